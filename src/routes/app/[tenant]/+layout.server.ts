import { error } from '@sveltejs/kit';
import { MEMBERSHIP_DEPENDENCY } from '$lib/members/membership-change';
import { loadTenantMembership } from '$lib/members/tenancy';
import { listMyWorkspaces } from '$lib/workspaces';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ depends, locals, params, parent, url }) => {
	const { user } = await parent();
	// A role change or removal broadcast to the person reloads this (and the pages under it).
	depends(MEMBERSHIP_DEPENDENCY);
	// Reading the path makes this load run again on every navigation, not just when the workspace
	// changes, so someone removed a moment ago is refused on their very next click.
	void url.pathname;
	const [membership, workspaces] = await Promise.all([
		loadTenantMembership(locals.supabase, params.tenant, user.id),
		listMyWorkspaces(locals.supabase, user.id)
	]);
	// The same answer whether the workspace does not exist or you are not in it.
	if (!membership) error(404, 'Not found');
	return { tenant: membership.tenant, role: membership.role, workspaces };
};
