import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

// A workspace opens on its inbox.
export const load: PageServerLoad = async ({ params }) => {
	redirect(303, `/app/${params.tenant}/whatsapp`);
};
