/** The roles a person can hold in a workspace, most powerful first. */
export const ROLES = ['owner', 'admin', 'agent'] as const;

/** A role in a workspace, as the database's `member_role` enum spells it. */
export type Role = (typeof ROLES)[number];

/** How roles read in the interface. */
export const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent' };

/** What each role may do, in one line, for the invite form and role menus. */
export const ROLE_DESCRIPTIONS: Record<Role, string> = {
	owner: 'Everything, including deleting the workspace.',
	admin: 'Manages numbers, agents, integrations and members.',
	agent: 'Reads and answers conversations.'
};

/** Whether a role may open the members, integrations and other management pages. */
export function canManageMembers(role: Role): boolean {
	return role === 'owner' || role === 'admin';
}

/** The roles someone may give (owners give any; admins never make owners). */
export function grantableRoles(actor: Role): Role[] {
	if (actor === 'owner') return [...ROLES];
	if (actor === 'admin') return ['admin', 'agent'];
	return [];
}

/** One member row as the rules see it. */
export interface MemberRuleTarget {
	role: Role;
	isSelf: boolean;
}

/**
 * Why the actor may not change this member's role, as a sentence, or null when they may. Mirrors the
 * database's rules so the interface disables what would be refused anyway.
 */
export function roleChangeBlocker(
	actor: Role,
	target: MemberRuleTarget,
	ownerCount: number
): string | null {
	if (!canManageMembers(actor)) return 'Only owners and admins can change roles.';
	if (actor === 'admin' && target.role === 'owner')
		return 'Admins cannot change the role of an owner.';
	if (target.role === 'owner' && ownerCount <= 1)
		return 'The workspace needs at least one owner. Make someone else an owner first.';
	return null;
}

/** Why the actor may not remove this member (or leave, for themselves), or null when they may. */
export function removalBlocker(
	actor: Role,
	target: MemberRuleTarget,
	ownerCount: number
): string | null {
	if (target.role === 'owner' && ownerCount <= 1) {
		return target.isSelf
			? 'You are the last owner, so you cannot leave. Make someone else an owner first.'
			: 'The last owner cannot be removed. Make someone else an owner first.';
	}
	if (target.isSelf) return null;
	if (!canManageMembers(actor)) return 'Only owners and admins can remove people.';
	if (actor === 'admin' && target.role === 'owner') return 'Admins cannot remove an owner.';
	return null;
}
