import { redirect } from '@sveltejs/kit';
import { HOME_PATH, LOGIN_PATH } from '$lib/auth/redirects';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	const { user } = await locals.safeGetSession();
	redirect(303, user ? HOME_PATH : LOGIN_PATH);
};
