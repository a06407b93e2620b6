import { redirect } from '@sveltejs/kit';
import { LOGIN_PATH } from '$lib/auth/redirects';
import type { Actions, PageServerLoad } from './$types';

// Signing out changes state, so it is a POST only; a visit here just goes home.
export const load: PageServerLoad = async () => redirect(303, '/');

export const actions: Actions = {
	default: async ({ locals }) => {
		// Ends the session at Auth too (not just the cookie), so a copied token stops working.
		await locals.supabase.auth.signOut();
		redirect(303, LOGIN_PATH);
	}
};
