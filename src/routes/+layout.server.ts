import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals }) => {
	const { user } = await locals.safeGetSession();
	return {
		// Only the public URL and anon key go to the browser; nothing secret lives in this config.
		supabaseConfig: locals.supabaseConfig,
		signedIn: user !== null
	};
};
