import { fail, redirect } from '@sveltejs/kit';
import { authErrorSentence } from '$lib/auth/messages';
import { formText, parseForm, type FormFailure, signInSchema } from '$lib/auth/forms';
import { safeNextPath } from '$lib/auth/redirects';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async () => ({ title: 'Sign in' });

type Failure = FormFailure<typeof signInSchema>;

export const actions: Actions = {
	default: async ({ request, locals, url }) => {
		const formData = await request.formData();
		const values: Failure['values'] = { email: formText(formData, 'email') };
		const failure = (errors: Failure['errors'], message: string | null = null): Failure => ({
			values,
			errors,
			message
		});
		const parsed = parseForm(signInSchema, formData);
		if (!parsed.ok) return fail(400, failure(parsed.errors));

		const { error } = await locals.supabase.auth.signInWithPassword(parsed.data);
		if (error) return fail(error.status === 400 ? 400 : 500, failure({}, authErrorSentence(error)));

		redirect(303, safeNextPath(url.searchParams.get('next')));
	}
};
