import { listMyWorkspaces, type MyWorkspace } from '$lib/workspaces';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, parent }) => {
	const { user } = await parent();
	let workspaces: MyWorkspace[] = [];
	let workspacesError: string | null = null;
	try {
		workspaces = await listMyWorkspaces(locals.supabase, user.id);
	} catch (error) {
		console.error(error);
		workspacesError = "We couldn't load your workspaces. Reload the page to try again.";
	}
	return { title: 'Home', workspaces, workspacesError };
};
