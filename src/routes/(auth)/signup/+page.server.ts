import { fail, redirect } from '@sveltejs/kit';
import { authErrorSentence } from '$lib/auth/messages';
import { formText, parseForm, type FormFailure, signUpSchema } from '$lib/auth/forms';
import { LOGIN_PATH, safeNextPath } from '$lib/auth/redirects';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async () => ({ title: 'Create your account' });

type Failure = FormFailure<typeof signUpSchema>;

export const actions: Actions = {
	default: async ({ request, locals, url }) => {
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
		const { data, error } = await locals.supabase.auth.signUp({
			email,
			password,
			options: { data: { display_name: displayName } }
		});
		if (error) {
			const status = error.status && error.status >= 400 && error.status < 500 ? 400 : 500;
			return fail(status, failure({}, authErrorSentence(error)));
		}
		// A project that asks for email confirmation returns no session: the person signs in afterwards.
		if (!data.session) redirect(303, `${LOGIN_PATH}?confirm=email`);

		redirect(303, safeNextPath(url.searchParams.get('next')));
	}
};
