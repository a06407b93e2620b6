import { z } from 'zod';
import { ROLE_LABELS, ROLES, type Role } from './roles.ts';

/** What the workspace layout's load depends on: invalidated when the person's membership changes. */
export const MEMBERSHIP_DEPENDENCY = 'app:membership';

/** The `membership` broadcast on `user:<id>`: a role change, or (role null) the membership gone. */
export interface MembershipChange {
	tenantId: string;
	role: Role | null;
	/** The person ended the membership themselves (left), rather than being removed. */
	left: boolean;
}

const membershipPayload = z.object({
	tenant_id: z.uuid(),
	role: z.enum(ROLES).nullable(),
	left: z.boolean().default(false)
});

/** Reads a `membership` broadcast's payload; null for anything else. */
export function readMembershipChange(payload: unknown): MembershipChange | null {
	const parsed = membershipPayload.safeParse(payload);
	if (!parsed.success) return null;
	return { tenantId: parsed.data.tenant_id, role: parsed.data.role, left: parsed.data.left };
}

/** What an open workspace tab does about a membership change. */
export type MembershipReaction =
	/** Another workspace's membership: only the workspace switcher's list changes. */
	| { kind: 'elsewhere' }
	/** Nothing this tab shows changes (the role it already has). */
	| { kind: 'unchanged' }
	/** A new role here: reload what depends on it and say so. */
	| { kind: 'role'; message: string }
	/** No longer a member here: leave the workspace and say why. */
	| { kind: 'removed'; message: string };

/** Decides how the tab showing `current` follows `change`, with the sentence the person reads. */
export function membershipReaction(
	change: MembershipChange,
	current: { tenantId: string; tenantName: string; role: Role }
): MembershipReaction {
	if (change.tenantId !== current.tenantId) return { kind: 'elsewhere' };
	if (change.role === null) {
		return {
			kind: 'removed',
			message: change.left
				? `You left ${current.tenantName}.`
				: `You were removed from ${current.tenantName}. Ask an owner or admin to invite you again.`
		};
	}
	if (change.role === current.role) return { kind: 'unchanged' };
	return {
		kind: 'role',
		message: `Your role in ${current.tenantName} is now ${ROLE_LABELS[change.role]}.`
	};
}
