import { fail, redirect } from '@sveltejs/kit';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import { previewInvitation } from '$lib/members/tenancy';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
	const { user } = await locals.safeGetSession();
	const invitation = await previewInvitation(locals.supabase, params.token);
	return {
		title: invitation ? `Join ${invitation.tenantName}` : 'Invitation',
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
