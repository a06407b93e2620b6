import { error, type RequestEvent } from '@sveltejs/kit';
import { canManageMembers } from '$lib/members/roles';
import { loadTenantMembership } from '$lib/members/tenancy';

type TenantEvent = Pick<RequestEvent<{ tenant: string }>, 'locals' | 'params'>;

/**
 * The person and their membership of the workspace a form action is about, re-read through RLS
 * (actions do not run the layout load): 401 when signed out, 404 for a workspace they are not in.
 */
export async function actingMembership({ locals, params }: TenantEvent) {
	const { user } = await locals.safeGetSession();
	if (!user) error(401, 'Sign in again to continue.');
	const membership = await loadTenantMembership(locals.supabase, params.tenant, user.id);
	if (!membership) error(404, 'Not found');
	return { user, ...membership };
}

/** The workspace of an action only owners and admins may take; 403 with `refusal` for agents. */
export async function managedTenant(event: TenantEvent, refusal: string) {
	const membership = await actingMembership(event);
	if (!canManageMembers(membership.role)) error(403, refusal);
	return membership.tenant;
}
