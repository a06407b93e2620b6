import { loadNotifications } from '$lib/inbox/notifications';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, parent }) => {
	const { tenant } = await parent();
	const page = await loadNotifications(locals.supabase, tenant.id);
	return { title: 'Notifications', ...page, now: Date.now() };
};
