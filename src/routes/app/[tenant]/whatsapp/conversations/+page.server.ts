import { filtersFromSearchParams, loadRecentConversations } from '$lib/inbox/conversations';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, parent, url }) => {
	const { tenant } = await parent();
	return {
		title: 'Conversations',
		inbox: await loadRecentConversations(
			locals.supabase,
			tenant.id,
			filtersFromSearchParams(url.searchParams)
		)
	};
};
