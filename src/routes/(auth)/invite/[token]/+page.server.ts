import { error, fail, redirect } from '@sveltejs/kit';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import { previewInvitation } from '$lib/members/tenancy';
import type { Actions, PageServerLoad } from './$types';

/** What a link that matches no invitation (mistyped, revoked or replaced) says. */
const INVALID_INVITATION = 'This invitation link is not valid or has expired.';

export const load: PageServerLoad = async ({ locals, params }) => {
	const { user } = await locals.safeGetSession();
	const invitation = await previewInvitation(locals.supabase, params.token);
	// A link that matches no invitation is the visitor's dead end, not our failure: 404, in words.
	if (!invitation) error(404, INVALID_INVITATION);
	return {
		title: `Join ${invitation.tenantName}`,
		invitation,
		signedInAs: user ? { email: (user.email ?? '').toLowerCase() } : null
	};
};

export const actions: Actions = {
	accept: async ({ locals, params }) => {
		const { user } = await locals.safeGetSession();
		if (!user)
			return fail(401, {
				message: 'Sign in with the invited email address to accept this invitation.'
			});
		const { data, error } = await locals.supabase
			.rpc('accept_invitation', { token: params.token })
			.single<{ slug: string }>();
		if (error) {
			if (databaseErrorStatus(error) === 500) console.error(error);
			return fail(databaseErrorStatus(error), { message: databaseErrorSentence(error) });
		}
		redirect(303, `/app/${data.slug}/whatsapp`);
	}
};
