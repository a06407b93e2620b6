import { z } from 'zod';
import { ROLES } from './roles.ts';
import { SLUG_MAX_LENGTH } from './slug.ts';

const roleField = z.enum(ROLES, { error: 'Choose a role: owner, admin or agent.' });

/** Create-workspace form: the same rules as `create_tenant`, checked before asking the database. */
export const createWorkspaceSchema = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Enter a name for the workspace, like your company or team.')
		.max(80, 'Keep the name under 80 characters.'),
	slug: z
		.string()
		.trim()
		.min(3, 'Use at least 3 characters for the address.')
		.max(SLUG_MAX_LENGTH, `Keep the address under ${SLUG_MAX_LENGTH + 1} characters.`)
		.regex(/^[a-z0-9-]+$/, 'Use only lowercase letters, digits and hyphens in the address.')
});

/** Invite form: who (an email) and as what. */
export const inviteSchema = z.object({
	email: z
		.string()
		.trim()
		.toLowerCase()
		.pipe(z.email('Enter a valid email address, like name@company.com.')),
	role: roleField
});

const userIdField = z.uuid('That member could not be found. Reload the page and try again.');

/** Change-role form of one member row. */
export const changeRoleSchema = z.object({ userId: userIdField, role: roleField });

/** Remove form of one member row. */
export const removeMemberSchema = z.object({ userId: userIdField });

/** Revoke form of one pending invitation. */
export const revokeInvitationSchema = z.object({
	invitationId: z.uuid('That invitation could not be found. Reload the page and try again.')
});
