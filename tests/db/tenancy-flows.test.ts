import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedIn } from '../support/clients.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	attempt,
	commitAs,
	createUser,
	rowsOf,
	type Actor,
	type Outcome,
	failure
} from './support.ts';

let stack: TestStack;
let userCount = 0;

beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

function newUser(name: string, metadata: Record<string, unknown> = {}): Promise<Actor> {
	userCount += 1;
	return createUser(stack.db, `${name}-${userCount}@example.test`, metadata);
}

/** The error an outcome failed with (code and message), or 'succeeded'. */
async function createTenant(owner: Actor, slug: string, name = 'Workspace'): Promise<string> {
	const [tenant] = rowsOf(
		await commitAs<{ id: string }>(stack.db, owner, 'select * from public.create_tenant($1, $2)', [
			name,
			slug
		])
	);
	return tenant.id;
}

function invite(
	inviter: Actor,
	tenantId: string,
	email: string,
	role = 'agent'
): Promise<Outcome<{ token: string }>> {
	return commitAs<{ token: string }>(
		stack.db,
		inviter,
		'select public.invite_member($1, $2, $3) as token',
		[tenantId, email, role]
	);
}

function accept(user: Actor, token: string): Promise<Outcome<{ id: string; slug: string }>> {
	return commitAs(stack.db, user, 'select * from public.accept_invitation($1)', [token]);
}

async function join(owner: Actor, tenantId: string, user: Actor, role: string): Promise<void> {
	const [{ token }] = rowsOf(await invite(owner, tenantId, user.email!, role));
	rowsOf(await accept(user, token));
}

/** A workspace with an owner, an admin and an agent. */
async function team(slug: string) {
	const owner = await newUser('owner');
	const admin = await newUser('admin');
	const agent = await newUser('agent');
	const tenantId = await createTenant(owner, slug, `Team ${slug}`);
	await join(owner, tenantId, admin, 'admin');
	await join(owner, tenantId, agent, 'agent');
	return { tenantId, owner, admin, agent };
}

async function rolesIn(tenantId: string): Promise<Record<string, string>> {
	const { rows } = await stack.db.query<{ email: string; role: string }>(
		`select u.email, m.role from public.memberships m join auth.users u on u.id = m.user_id where m.tenant_id = $1`,
		[tenantId]
	);
	return Object.fromEntries(rows.map((r) => [r.email, r.role]));
}

describe('profiles', () => {
	it('a new user gets a profile named from display_name, else full_name, else the email', async () => {
		const named = await newUser('named', {
			display_name: 'Ada Lovelace',
			full_name: 'Augusta Ada King'
		});
		const full = await newUser('full', { full_name: 'Grace Hopper' });
		const bare = await createUser(stack.db, 'jean-luc.picard@example.test');
		const { rows } = await stack.db.query<{
			id: string;
			display_name: string;
			avatar_initials: string;
		}>('select id, display_name, avatar_initials from public.profiles where id = any ($1)', [
			[named.id, full.id, bare.id]
		]);
		const byId = Object.fromEntries(rows.map((r) => [r.id, [r.display_name, r.avatar_initials]]));
		expect(byId).toEqual({
			[named.id!]: ['Ada Lovelace', 'AL'],
			[full.id!]: ['Grace Hopper', 'GH'],
			[bare.id!]: ['jean-luc.picard', 'JP']
		});
	});
});

describe('create_tenant', () => {
	it('makes the caller the owner of a new workspace', async () => {
		const founder = await newUser('founder');
		const [tenant] = rowsOf(
			await commitAs<{ name: string; slug: string; id: string }>(
				stack.db,
				founder,
				'select * from public.create_tenant($1, $2)',
				['  Globex Support ', 'globex-2']
			)
		);
		expect({ name: tenant.name, slug: tenant.slug }).toEqual({
			name: 'Globex Support',
			slug: 'globex-2'
		});
		expect(await rolesIn(tenant.id)).toEqual({ [founder.email!]: 'owner' });
	});

	it('refuses an address that is not 3 to 40 lowercase letters, digits or hyphens', async () => {
		const founder = await newUser('founder');
		for (const slug of ['Acme', 'ac', 'a'.repeat(41), 'acme support', 'acme_support', '']) {
			const outcome = await commitAs(stack.db, founder, 'select public.create_tenant($1, $2)', [
				'Acme',
				slug
			]);
			expect(failure(outcome), slug).toEqual({
				code: '22023',
				message:
					'A workspace address must be 3 to 40 characters long and use only lowercase letters, digits and hyphens.'
			});
		}
	});

	it('says so when the address is taken', async () => {
		const first = await newUser('first');
		const second = await newUser('second');
		await createTenant(first, 'taken-slug');
		expect(
			failure(
				await commitAs(stack.db, second, 'select public.create_tenant($1, $2)', [
					'Other',
					'taken-slug'
				])
			)
		).toEqual({
			code: '23505',
			message: 'The address "taken-slug" is already taken. Choose another one.'
		});
	});

	it('refuses an empty name', async () => {
		const founder = await newUser('founder');
		expect(
			failure(
				await commitAs(stack.db, founder, 'select public.create_tenant($1, $2)', [
					'   ',
					'empty-name'
				])
			)
		).toEqual({
			code: '22023',
			message: 'A workspace name must be 1 to 80 characters long.'
		});
	});

	it('cannot be called anonymously', async () => {
		const outcome = await commitAs(stack.db, anon, 'select public.create_tenant($1, $2)', [
			'Anon',
			'anon-space'
		]);
		expect(failure(outcome)).toMatchObject({ code: '42501' });
	});
});

describe('invite_member', () => {
	it('returns a token, stores only its hash, and expires in 7 days', async () => {
		const { tenantId, owner } = await team('invite-hash');
		const [{ token }] = rowsOf(await invite(owner, tenantId, ' New.Person@Example.test ', 'agent'));
		expect(token).toMatch(/^[0-9a-f]{64}$/);
		const { rows } = await stack.db.query<{
			email: string;
			role: string;
			token_hash: string;
			lifetime: string;
		}>(
			`select email, role, token_hash, (expires_at - created_at)::text as lifetime
			 from public.invitations where tenant_id = $1 and accepted_at is null`,
			[tenantId]
		);
		expect(rows).toEqual([
			{
				email: 'new.person@example.test',
				role: 'agent',
				token_hash: createHash('sha256').update(token).digest('hex'),
				lifetime: '7 days'
			}
		]);
	});

	it('an agent cannot invite anyone', async () => {
		const { tenantId, agent } = await team('invite-agent');
		expect(failure(await invite(agent, tenantId, 'x@example.test'))).toEqual({
			code: '42501',
			message: 'Only owners and admins can invite people to this workspace.'
		});
	});

	it('a stranger cannot invite anyone', async () => {
		const { tenantId } = await team('invite-stranger');
		const stranger = await newUser('stranger');
		expect(failure(await invite(stranger, tenantId, 'x@example.test'))).toMatchObject({
			code: '42501'
		});
	});

	it('an admin invites admins and agents but not owners', async () => {
		const { tenantId, admin } = await team('invite-admin');
		expect(rowsOf(await invite(admin, tenantId, 'helper@example.test', 'admin'))).toHaveLength(1);
		expect(failure(await invite(admin, tenantId, 'boss@example.test', 'owner'))).toEqual({
			code: '42501',
			message: 'Only owners can invite someone as an owner.'
		});
	});

	it('refuses a role that does not exist and an address that is not an email', async () => {
		const { tenantId, owner } = await team('invite-bad');
		expect(failure(await invite(owner, tenantId, 'x@example.test', 'superuser'))).toEqual({
			code: '22023',
			message: 'There is no role called "superuser". Choose owner, admin or agent.'
		});
		expect(failure(await invite(owner, tenantId, 'not-an-email', 'agent'))).toEqual({
			code: '22023',
			message: '"not-an-email" is not an email address.'
		});
	});

	it('refuses to invite someone who is already a member', async () => {
		const { tenantId, owner, agent } = await team('invite-member');
		expect(failure(await invite(owner, tenantId, agent.email!.toUpperCase()))).toEqual({
			code: 'P0001',
			message: `${agent.email} is already a member of this workspace.`
		});
	});

	it('a new invitation replaces a pending one: only the latest link works', async () => {
		const { tenantId, owner } = await team('invite-again');
		const invitee = await newUser('invitee');
		const [{ token: first }] = rowsOf(await invite(owner, tenantId, invitee.email!));
		const [{ token: second }] = rowsOf(await invite(owner, tenantId, invitee.email!, 'admin'));
		expect(failure(await accept(invitee, first))).toMatchObject({ code: 'PT404' });
		expect(rowsOf(await accept(invitee, second))).toHaveLength(1);
		expect((await rolesIn(tenantId))[invitee.email!]).toBe('admin');
	});
});

describe('accept_invitation', () => {
	it('makes the invitee a member with the invited role and returns the workspace', async () => {
		const { tenantId, owner } = await team('accept-ok');
		const invitee = await newUser('invitee');
		const [{ token }] = rowsOf(await invite(owner, tenantId, invitee.email!, 'admin'));
		expect(rowsOf(await accept(invitee, token))).toMatchObject([
			{ id: tenantId, slug: 'accept-ok' }
		]);
		expect((await rolesIn(tenantId))[invitee.email!]).toBe('admin');
		const { rows } = await stack.db.query(
			'select 1 from public.invitations where accepted_by = $1 and accepted_at is not null',
			[invitee.id]
		);
		expect(rows).toHaveLength(1);
	});

	it('works only once', async () => {
		const { tenantId, owner } = await team('accept-once');
		const invitee = await newUser('invitee');
		const [{ token }] = rowsOf(await invite(owner, tenantId, invitee.email!));
		rowsOf(await accept(invitee, token));
		rowsOf(await commitAs(stack.db, invitee, 'select public.leave_tenant($1)', [tenantId]));
		expect(failure(await accept(invitee, token))).toEqual({
			code: 'P0001',
			message:
				'This invitation has already been used. Ask an owner or admin of the workspace for a new one.'
		});
		expect(await rolesIn(tenantId)).not.toHaveProperty(invitee.email!);
	});

	it('refuses an expired invitation', async () => {
		const { tenantId, owner } = await team('accept-expired');
		const invitee = await newUser('invitee');
		const [{ token }] = rowsOf(await invite(owner, tenantId, invitee.email!));
		await stack.db.query(
			`update public.invitations set expires_at = now() - interval '1 second' where email = $1`,
			[invitee.email]
		);
		expect(failure(await accept(invitee, token))).toEqual({
			code: 'P0001',
			message:
				'This invitation has expired. Ask an owner or admin of the workspace to invite you again.'
		});
		expect(await rolesIn(tenantId)).not.toHaveProperty(invitee.email!);
	});

	it('refuses someone signed in with another email, and stays usable by the invitee', async () => {
		const { tenantId, owner } = await team('accept-email');
		const invitee = await newUser('invitee');
		const other = await newUser('other');
		const [{ token }] = rowsOf(await invite(owner, tenantId, invitee.email!));
		expect(failure(await accept(other, token))).toEqual({
			code: '42501',
			message:
				'This invitation was sent to another email address. Sign in with that address to accept it.'
		});
		expect(rowsOf(await accept(invitee, token))).toHaveLength(1);
		expect(await rolesIn(tenantId)).not.toHaveProperty(other.email!);
	});

	it('refuses a token that matches no invitation', async () => {
		const someone = await newUser('someone');
		expect(failure(await accept(someone, 'f'.repeat(64)))).toEqual({
			code: 'PT404',
			message:
				'This invitation link is not valid. Ask an owner or admin of the workspace for a new one.'
		});
	});
});

describe('change_member_role', () => {
	const change = (actor: Actor, tenantId: string, user: Actor, role: string) =>
		commitAs<{ role: string }>(
			stack.db,
			actor,
			'select * from public.change_member_role($1, $2, $3)',
			[tenantId, user.id, role]
		);

	it("an admin changes an agent's role", async () => {
		const { tenantId, admin, agent } = await team('role-admin-ok');
		expect(rowsOf(await change(admin, tenantId, agent, 'admin'))).toMatchObject([
			{ role: 'admin' }
		]);
	});

	it('an admin cannot demote an owner', async () => {
		const { tenantId, owner, admin } = await team('role-admin-owner');
		expect(failure(await change(admin, tenantId, owner, 'agent'))).toEqual({
			code: '42501',
			message: 'Admins cannot change the role of an owner.'
		});
		expect((await rolesIn(tenantId))[owner.email!]).toBe('owner');
	});

	it('an admin cannot make anyone an owner, themself included', async () => {
		const { tenantId, admin, agent } = await team('role-admin-grant');
		for (const target of [agent, admin]) {
			expect(failure(await change(admin, tenantId, target, 'owner'))).toEqual({
				code: '42501',
				message: 'Only owners can make someone an owner.'
			});
		}
		expect(Object.values(await rolesIn(tenantId)).sort()).toEqual(['admin', 'agent', 'owner']);
	});

	it('an agent cannot change roles', async () => {
		const { tenantId, agent, admin } = await team('role-agent');
		expect(failure(await change(agent, tenantId, admin, 'agent'))).toEqual({
			code: '42501',
			message: 'Only owners and admins can change roles in this workspace.'
		});
	});

	it('the last owner cannot be demoted', async () => {
		const { tenantId, owner } = await team('role-last-owner');
		expect(failure(await change(owner, tenantId, owner, 'admin'))).toEqual({
			code: 'P0001',
			message:
				'Team role-last-owner needs at least one owner, so its last owner cannot take another role.'
		});
	});

	it('an owner makes an agent owner, after which either owner may step down', async () => {
		const { tenantId, owner, agent } = await team('role-two-owners');
		rowsOf(await change(owner, tenantId, agent, 'owner'));
		rowsOf(await change(owner, tenantId, owner, 'agent'));
		expect(await rolesIn(tenantId)).toMatchObject({
			[owner.email!]: 'agent',
			[agent.email!]: 'owner'
		});
	});

	it('says when the person is not a member', async () => {
		const { tenantId, owner } = await team('role-nobody');
		const stranger = await newUser('stranger');
		expect(failure(await change(owner, tenantId, stranger, 'agent'))).toEqual({
			code: 'PT404',
			message: 'That person is not a member of this workspace.'
		});
	});
});

describe('remove_member and leave_tenant', () => {
	const remove = (actor: Actor, tenantId: string, user: Actor) =>
		commitAs(stack.db, actor, 'select public.remove_member($1, $2)', [tenantId, user.id]);
	const leave = (actor: Actor, tenantId: string) =>
		commitAs(stack.db, actor, 'select public.leave_tenant($1)', [tenantId]);

	it('an admin cannot remove an owner', async () => {
		const { tenantId, owner, admin } = await team('remove-owner');
		expect(failure(await remove(admin, tenantId, owner))).toEqual({
			code: '42501',
			message: 'Admins cannot remove an owner.'
		});
		expect((await rolesIn(tenantId))[owner.email!]).toBe('owner');
	});

	it('an agent cannot remove anyone', async () => {
		const { tenantId, admin, agent } = await team('remove-agent');
		expect(failure(await remove(agent, tenantId, admin))).toEqual({
			code: '42501',
			message: 'Only owners and admins can remove people from this workspace.'
		});
	});

	it('a removed member immediately sees nothing of the workspace', async () => {
		const { tenantId, owner, admin, agent } = await team('remove-sees-nothing');
		const before = await attempt(stack.db, agent, 'select id from public.tenants');
		expect(rowsOf(before)).toEqual([{ id: tenantId }]);
		rowsOf(await remove(admin, tenantId, agent));
		expect(rowsOf(await attempt(stack.db, agent, 'select id from public.tenants'))).toEqual([]);
		expect(
			rowsOf(await attempt(stack.db, agent, 'select user_id from public.memberships'))
		).toEqual([]);
		expect(rowsOf(await attempt(stack.db, agent, 'select id from public.profiles'))).toEqual([
			{ id: agent.id }
		]);
		expect(failure(await invite(agent, tenantId, 'x@example.test'))).toMatchObject({
			code: '42501'
		});
		// …and the workspace no longer sees them.
		const remaining = rowsOf(
			await attempt<{ id: string }>(stack.db, owner, 'select id from public.profiles')
		);
		expect(remaining.map((r) => r.id).sort()).toEqual([owner.id, admin.id].sort());
	});

	it('the last owner cannot leave', async () => {
		const { tenantId, owner } = await team('leave-last-owner');
		expect(failure(await leave(owner, tenantId))).toEqual({
			code: 'P0001',
			message: 'You are the last owner of Team leave-last-owner, so you cannot leave it.'
		});
		expect(failure(await remove(owner, tenantId, owner))).toMatchObject({ code: 'P0001' });
	});

	it('an agent leaves; an owner leaves once another owner exists', async () => {
		const { tenantId, owner, admin, agent } = await team('leave-ok');
		rowsOf(await leave(agent, tenantId));
		rowsOf(
			await commitAs(stack.db, owner, 'select public.change_member_role($1, $2, $3)', [
				tenantId,
				admin.id,
				'owner'
			])
		);
		rowsOf(await leave(owner, tenantId));
		expect(await rolesIn(tenantId)).toEqual({ [admin.email!]: 'owner' });
	});

	it('leaving a workspace you are not in says so', async () => {
		const { tenantId } = await team('leave-stranger');
		const stranger = await newUser('stranger');
		expect(failure(await leave(stranger, tenantId))).toEqual({
			code: 'PT404',
			message: 'You are not a member of this workspace.'
		});
	});

	it('over REST, leaving a workspace you are not in or a link that matches nothing answers 404, not 500', async () => {
		const { tenantId } = await team('leave-stranger-rest');
		const stranger = await signedIn(stack, await newUser('stranger'));
		const left = await stranger.rpc('leave_tenant', { tenant_id: tenantId });
		expect({ status: left.status, code: left.error?.code, message: left.error?.message }).toEqual({
			status: 404,
			code: 'PT404',
			message: 'You are not a member of this workspace.'
		});
		const accepted = await stranger.rpc('accept_invitation', { token: 'f'.repeat(64) });
		expect({ status: accepted.status, code: accepted.error?.code }).toEqual({
			status: 404,
			code: 'PT404'
		});
	});

	it('an owner deletes the workspace, taking its memberships and invitations with it', async () => {
		const { tenantId, owner } = await team('delete-workspace');
		await invite(owner, tenantId, 'pending@example.test');
		const deleted = await commitAs(stack.db, owner, 'delete from public.tenants where id = $1', [
			tenantId
		]);
		expect(deleted.ok && deleted.affectedRows).toBe(1);
		const { rows } = await stack.db.query(
			'select 1 from public.memberships where tenant_id = $1 union all select 1 from public.invitations where tenant_id = $1',
			[tenantId]
		);
		expect(rows).toEqual([]);
	});

	it("deleting the last owner's account is not blocked by the one-owner rule", async () => {
		const { tenantId, owner } = await team('delete-account');
		await stack.db.query('delete from auth.users where id = $1', [owner.id]);
		expect(await rolesIn(tenantId)).not.toHaveProperty(owner.email!);
	});
});
