import { fail, redirect } from '@sveltejs/kit';
import { authErrorSentence } from '$lib/auth/messages';
import { formText, parseForm, type FormFailure, signInSchema } from '$lib/auth/forms';
import { pendingInvitationOf } from '$lib/auth/invitation-signup';
import { safeNextPath } from '$lib/auth/redirects';
import { createSupabaseServerClient } from '$lib/supabase/client.server';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	// On the way to accept an invitation, the invited address is the likely account.
	const invitation = await pendingInvitationOf(locals.supabase, url.searchParams.get('next'));
	return { title: 'Sign in', invitedEmail: invitation?.email ?? null };
};

type Failure = FormFailure<typeof signInSchema>;

export const actions: Actions = {
	default: async (event) => {
		const { request, locals, url } = event;
		const formData = await request.formData();
		const values: Failure['values'] = { email: formText(formData, 'email') };
		const failure = (errors: Failure['errors'], message: string | null = null): Failure => ({
			values,
			errors,
			message
		});
		const parsed = parseForm(signInSchema, formData);
		if (!parsed.ok) return fail(400, failure(parsed.errors));

		// Auth limits sign-ins per visitor's address, so this client tells it whose attempt this is.
		const supabase = createSupabaseServerClient(event, locals.supabaseConfig, {
			forwardClientAddress: true
		});
		const { error } = await supabase.auth.signInWithPassword(parsed.data);
		if (error) {
			const status = error.status === 400 || error.status === 429 ? error.status : 500;
			return fail(status, failure({}, authErrorSentence(error, 'sign-in')));
		}

		redirect(303, safeNextPath(url.searchParams.get('next')));
	}
};
