import { error } from '@sveltejs/kit';
import { canManageMembers } from '$lib/members/roles';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ parent }) => {
	const { role } = await parent();
	if (!canManageMembers(role)) error(403, 'Only owners and admins can manage integrations.');
	return {};
};
