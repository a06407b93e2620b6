import { redirect } from '@sveltejs/kit';
import { LOGIN_PATH } from '$lib/auth/redirects';
import { displayNameOf } from '$lib/auth/user';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals }) => {
	const { user } = await locals.safeGetSession();
	// hooks.server.ts already guards /app; this keeps the types honest if it ever changes.
	if (!user) redirect(303, LOGIN_PATH);
	return {
		user: { id: user.id, email: user.email ?? '', displayName: displayNameOf(user) }
	};
};
