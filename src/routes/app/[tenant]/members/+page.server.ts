import { error, fail, redirect } from '@sveltejs/kit';
import { formText, parseForm } from '$lib/auth/forms';
import { displayNameOf } from '$lib/auth/user';
import { databaseErrorSentence, databaseErrorStatus } from '$lib/members/database-errors';
import {
	changeRoleSchema,
	inviteSchema,
	removeMemberSchema,
	revokeInvitationSchema
} from '$lib/members/forms';
import { deliverToDevMailbox, invitationMail } from '$lib/members/mailbox.server';
import { canManageMembers, ROLE_LABELS } from '$lib/members/roles';
import { listMembers, listPendingInvitations } from '$lib/members/tenancy';
import { loadAssignmentSettings } from '$lib/members/assignment';
import { actingMembership } from '$lib/members/acting-membership.server';
import type { Actions, PageServerLoad } from './$types';

const MANAGERS_ONLY = 'Only owners and admins can manage the members of this workspace.';

export const load: PageServerLoad = async ({ locals, parent }) => {
	const { tenant, role } = await parent();
	if (!canManageMembers(role)) error(403, MANAGERS_ONLY);
	const [members, invitations, assignment] = await Promise.all([
		listMembers(locals.supabase, tenant.id),
		listPendingInvitations(locals.supabase, tenant.id),
		loadAssignmentSettings(locals.supabase, tenant.id)
	]);
	return { title: 'Members', members, invitations, assignment, now: Date.now() };
};

/** A refusal from the database, as the page's toast and status show it. */
function refused(action: string, dbError: { code?: string; message?: string }) {
	const status = databaseErrorStatus(dbError);
	if (status === 500) console.error(dbError);
	return fail(status, { action, message: databaseErrorSentence(dbError) });
}

export const actions: Actions = {
	invite: async (event) => {
		const formData = await event.request.formData();
		const values = { email: formText(formData, 'email'), role: formText(formData, 'role') };
		const parsed = parseForm(inviteSchema, formData);
		if (!parsed.ok) return fail(400, { action: 'invite', values, errors: parsed.errors });

		const { user, tenant } = await actingMembership(event);
		const { email, role } = parsed.data;
		const { data: token, error: inviteError } = await event.locals.supabase.rpc('invite_member', {
			tenant_id: tenant.id,
			email,
			role
		});
		if (inviteError) {
			const sentence = databaseErrorSentence(inviteError);
			// "already a member" and "not an email" belong beside the email field.
			if (inviteError.code === 'P0001' || inviteError.code === '22023')
				return fail(databaseErrorStatus(inviteError), {
					action: 'invite',
					values,
					errors: { email: sentence }
				});
			return refused('invite', inviteError);
		}
		const link = `${event.url.origin}/invite/${token}`;
		const delivered = await deliverToDevMailbox(
			event.locals.supabaseConfig.url,
			invitationMail({
				to: email,
				workspaceName: tenant.name,
				roleLabel: ROLE_LABELS[role],
				inviterName: displayNameOf(user),
				link
			})
		);
		return {
			action: 'invite',
			message: delivered
				? `Invitation sent to ${email} (to the local mailbox).`
				: `Invitation for ${email} is ready. Copy the link and send it to them.`,
			invite: { email, role, link, delivered }
		};
	},

	changeRole: async (event) => {
		const parsed = parseForm(changeRoleSchema, await event.request.formData());
		if (!parsed.ok)
			return fail(400, { action: 'changeRole', message: Object.values(parsed.errors)[0] });
		const { tenant } = await actingMembership(event);
		const { data, error: changeError } = await event.locals.supabase
			.rpc('change_member_role', {
				tenant_id: tenant.id,
				user_id: parsed.data.userId,
				role: parsed.data.role
			})
			.single<{ role: keyof typeof ROLE_LABELS }>();
		if (changeError) return refused('changeRole', changeError);
		return { action: 'changeRole', message: `Role changed to ${ROLE_LABELS[data.role]}.` };
	},

	remove: async (event) => {
		const parsed = parseForm(removeMemberSchema, await event.request.formData());
		if (!parsed.ok)
			return fail(400, { action: 'remove', message: Object.values(parsed.errors)[0] });
		const { user, tenant } = await actingMembership(event);
		const { error: removeError } = await event.locals.supabase.rpc('remove_member', {
			tenant_id: tenant.id,
			user_id: parsed.data.userId
		});
		if (removeError) return refused('remove', removeError);
		if (parsed.data.userId === user.id) redirect(303, '/app');
		return { action: 'remove', message: 'Removed from the workspace. They lost access at once.' };
	},

	revoke: async (event) => {
		const parsed = parseForm(revokeInvitationSchema, await event.request.formData());
		if (!parsed.ok)
			return fail(400, { action: 'revoke', message: Object.values(parsed.errors)[0] });
		const { tenant } = await actingMembership(event);
		const { data, error: revokeError } = await event.locals.supabase
			.from('invitations')
			.delete()
			.eq('id', parsed.data.invitationId)
			.eq('tenant_id', tenant.id)
			.is('accepted_at', null)
			.select('email');
		if (revokeError) return refused('revoke', revokeError);
		if (!data || data.length === 0)
			return fail(404, {
				action: 'revoke',
				message:
					'That invitation could not be revoked: it was already accepted or revoked, or only an owner may revoke it.'
			});
		return {
			action: 'revoke',
			message: `Invitation for ${data[0].email} revoked. Its link no longer works.`
		};
	}
};
