import { fail, redirect } from '@sveltejs/kit';
import { authErrorSentence } from '$lib/auth/messages';
import { formText, parseForm, type FormFailure, signUpSchema } from '$lib/auth/forms';
import { invitedEmailRefusal, pendingInvitationOf } from '$lib/auth/invitation-signup';
import { LOGIN_PATH, safeNextPath } from '$lib/auth/redirects';
import { createSupabaseServerClient } from '$lib/supabase/client.server';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	// Someone on their way to accept an invitation signs up with the address it was sent to.
	const invitation = await pendingInvitationOf(locals.supabase, url.searchParams.get('next'));
	return {
		title: 'Create your account',
		invitation: invitation && { email: invitation.email, tenantName: invitation.tenantName }
	};
};

type Failure = FormFailure<typeof signUpSchema>;

export const actions: Actions = {
	default: async (event) => {
		const { request, locals, url } = event;
		const formData = await request.formData();
		const values: Failure['values'] = {
			displayName: formText(formData, 'displayName'),
			email: formText(formData, 'email')
		};
		const failure = (errors: Failure['errors'], message: string | null = null): Failure => ({
			values,
			errors,
			message
		});
		const parsed = parseForm(signUpSchema, formData);
		if (!parsed.ok) return fail(400, failure(parsed.errors));

		const { displayName, email, password } = parsed.data;
		// The read-only field can be edited by hand; the invitation still decides the address.
		const invitation = await pendingInvitationOf(locals.supabase, url.searchParams.get('next'));
		const refusal = invitation && invitedEmailRefusal(invitation.email, email);
		if (refusal) return fail(400, failure({ email: refusal }));

		// Auth limits sign-ups per visitor's address, so this client tells it whose attempt this is.
		const supabase = createSupabaseServerClient(event, locals.supabaseConfig, {
			forwardClientAddress: true
		});
		const { data, error } = await supabase.auth.signUp({
			email,
			password,
			options: { data: { display_name: displayName } }
		});
		if (error) {
			const status =
				error.status === 429
					? 429
					: error.status && error.status >= 400 && error.status < 500
						? 400
						: 500;
			return fail(status, failure({}, authErrorSentence(error, 'sign-up')));
		}
		// A project that asks for email confirmation returns no session: the person signs in afterwards.
		if (!data.session) redirect(303, `${LOGIN_PATH}?confirm=email`);

		redirect(303, safeNextPath(url.searchParams.get('next')));
	}
};
