import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	attempt,
	commitAs,
	createUser,
	rowsOf,
	type Actor,
	type Outcome
} from './support.ts';

// Who is probed: owner, admin and agent of tenant A, the owner of tenant B, a signed-up user with no
// membership, and an anonymous visitor. Every probe runs as that role and is rolled back.
let stack: TestStack;
let ownerA: Actor, adminA: Actor, agentA: Actor, ownerB: Actor, stranger: Actor;
let actors: Actor[];
let tenantA: string, tenantB: string;
const slugOf = new Map<string, string>();
const labelOf = new Map<string, string>();
const invitationIds = new Map<string, string>();

type Expected = Record<string, unknown>;

async function createTenant(owner: Actor, name: string, slug: string): Promise<string> {
	const [tenant] = rowsOf(
		await commitAs<{ id: string }>(stack.db, owner, 'select * from public.create_tenant($1, $2)', [
			name,
			slug
		])
	);
	slugOf.set(tenant.id, slug);
	return tenant.id;
}

async function invite(
	inviter: Actor,
	tenantId: string,
	email: string,
	role: string
): Promise<string> {
	const [{ token }] = rowsOf(
		await commitAs<{ token: string }>(
			stack.db,
			inviter,
			'select public.invite_member($1, $2, $3) as token',
			[tenantId, email, role]
		)
	);
	return token;
}

beforeAll(async () => {
	stack = await startTestStack();
	const db = stack.db;
	ownerA = await createUser(db, 'owner-a@example.test', { display_name: 'Owner A' });
	adminA = await createUser(db, 'admin-a@example.test', { display_name: 'Admin A' });
	agentA = await createUser(db, 'agent-a@example.test', { display_name: 'Agent A' });
	ownerB = await createUser(db, 'owner-b@example.test', { display_name: 'Owner B' });
	stranger = await createUser(db, 'stranger@example.test', { display_name: 'Stranger' });
	actors = [ownerA, adminA, agentA, ownerB, stranger, anon];
	for (const actor of actors) if (actor.id) labelOf.set(actor.id, actor.label);

	tenantA = await createTenant(ownerA, 'Tenant A', 'tenant-a');
	tenantB = await createTenant(ownerB, 'Tenant B', 'tenant-b');
	for (const [member, role] of [
		[adminA, 'admin'],
		[agentA, 'agent']
	] as const) {
		const token = await invite(ownerA, tenantA, member.email!, role);
		rowsOf(await commitAs(db, member, 'select public.accept_invitation($1)', [token]));
	}
	await invite(ownerA, tenantA, 'pending-agent@example.test', 'agent');
	await invite(ownerA, tenantA, 'pending-owner@example.test', 'owner');
	await invite(ownerB, tenantB, 'pending-b@example.test', 'agent');
	const { rows } = await db.query<{ id: string; email: string }>(
		'select id, email from public.invitations'
	);
	for (const row of rows) invitationIds.set(row.email, row.id);
});
afterAll(() => stack?.close());

/** What each actor sees: sorted row labels, or the SQLSTATE of the refusal. */
async function visibleTo(
	sql: string,
	label: (row: Record<string, string>) => string
): Promise<Expected> {
	const seen: Expected = {};
	for (const actor of actors) {
		const outcome = (await attempt(stack.db, actor, sql)) as Outcome<Record<string, string>>;
		seen[actor.label] = outcome.ok ? outcome.rows.map(label).sort() : outcome.error.code;
	}
	return seen;
}

/** What each actor's write did: rows affected, or the SQLSTATE it failed with. */
async function writeBy(sql: (actor: Actor) => [string, unknown[]]): Promise<Expected> {
	const result: Expected = {};
	for (const actor of actors) {
		const outcome = await attempt(stack.db, actor, ...sql(actor));
		result[actor.label] = outcome.ok ? outcome.affectedRows : outcome.error.code;
	}
	return result;
}

const each = (value: unknown): Expected =>
	Object.fromEntries(
		['owner-a', 'admin-a', 'agent-a', 'owner-b', 'stranger', 'anon'].map((k) => [k, value])
	);

describe('privileges', () => {
	const tables = ['tenants', 'memberships', 'profiles', 'invitations'];
	const privileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

	async function tablePrivileges(role: string): Promise<Record<string, string[]>> {
		const result: Record<string, string[]> = {};
		for (const table of tables) {
			const { rows } = await stack.db.query<{ privilege: string }>(
				`select p as privilege from unnest($2::text[]) p where has_table_privilege($1, 'public.' || $3, p)`,
				[role, privileges, table]
			);
			result[table] = rows.map((r) => r.privilege);
		}
		return result;
	}

	it('anon has no privilege at all on any tenancy table', async () => {
		expect(await tablePrivileges('anon')).toEqual({
			tenants: [],
			memberships: [],
			profiles: [],
			invitations: []
		});
	});

	it('authenticated may read and delete under RLS but never insert, and updates only chosen columns', async () => {
		expect(await tablePrivileges('authenticated')).toEqual({
			tenants: ['SELECT', 'DELETE'],
			memberships: ['SELECT', 'DELETE'],
			profiles: ['SELECT'],
			invitations: ['SELECT', 'DELETE']
		});
		const { rows } = await stack.db.query<{ name: string }>(
			`select c.table_name || '.' || c.column_name as name from information_schema.columns c
			 where c.table_schema = 'public' and c.table_name = any ($1)
			   and has_column_privilege('authenticated', 'public.' || c.table_name, c.column_name, 'UPDATE')
			 order by 1`,
			[tables]
		);
		expect(rows.map((r) => r.name)).toEqual([
			'memberships.role',
			'profiles.display_name',
			'tenants.name',
			'tenants.slug',
			'tenants.time_zone'
		]);
	});

	it('the API cannot call the private helpers schema as anon', async () => {
		const outcome = await attempt(stack.db, anon, 'select private.member_tenant_ids()');
		expect(outcome.ok ? 'allowed' : outcome.error.code).toBe('42501');
	});

	it('policy helpers run once per statement (an InitPlan), not once per row', async () => {
		for (const table of tables) {
			const outcome = await attempt<{ 'QUERY PLAN': string }>(
				stack.db,
				ownerA,
				`explain (costs off) select * from public.${table}`
			);
			const plan = rowsOf(outcome)
				.map((r) => r['QUERY PLAN'])
				.join('\n');
			expect(plan, table).toContain('InitPlan');
			expect(plan, table).not.toContain('SubPlan');
		}
	});
});

describe('tenants', () => {
	it('select: members see only their own tenant, a stranger sees none, anon is refused', async () => {
		expect(await visibleTo('select id from public.tenants', (r) => slugOf.get(r.id)!)).toEqual({
			'owner-a': ['tenant-a'],
			'admin-a': ['tenant-a'],
			'agent-a': ['tenant-a'],
			'owner-b': ['tenant-b'],
			stranger: [],
			anon: '42501'
		});
	});

	it('insert: nobody inserts a tenant directly', async () => {
		expect(
			await writeBy(() => [`insert into public.tenants (name, slug) values ('Mine', 'mine')`, []])
		).toEqual(each('42501'));
	});

	it('update: owners and admins rename their tenant, nobody else changes anything', async () => {
		expect(
			await writeBy(() => [`update public.tenants set name = 'Renamed' where id = $1`, [tenantA]])
		).toEqual({
			'owner-a': 1,
			'admin-a': 1,
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});

	it('update: the creation time is not editable', async () => {
		const outcome = await attempt(
			stack.db,
			ownerA,
			`update public.tenants set created_at = now() where id = $1`,
			[tenantA]
		);
		expect(outcome.ok ? 'allowed' : outcome.error.code).toBe('42501');
	});

	it('delete: only an owner deletes a tenant', async () => {
		expect(await writeBy(() => [`delete from public.tenants where id = $1`, [tenantA]])).toEqual({
			'owner-a': 1,
			'admin-a': 0,
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});
});

describe('memberships', () => {
	const membershipLabel = (r: Record<string, string>) =>
		`${slugOf.get(r.tenant_id)}:${labelOf.get(r.user_id)}:${r.role}`;

	it('select: members see everyone in their tenants, nothing of other tenants', async () => {
		const tenantAMembers = [
			'tenant-a:admin-a:admin',
			'tenant-a:agent-a:agent',
			'tenant-a:owner-a:owner'
		];
		expect(
			await visibleTo('select tenant_id, user_id, role from public.memberships', membershipLabel)
		).toEqual({
			'owner-a': tenantAMembers,
			'admin-a': tenantAMembers,
			'agent-a': tenantAMembers,
			'owner-b': ['tenant-b:owner-b:owner'],
			stranger: [],
			anon: '42501'
		});
	});

	it('insert: nobody adds a membership directly, not even an owner or the user themself', async () => {
		expect(
			await writeBy((actor) => [
				`insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'owner')`,
				[tenantA, actor.id ?? stranger.id]
			])
		).toEqual(each('42501'));
	});

	it("update: owners and admins change an agent's role", async () => {
		expect(
			await writeBy(() => [
				`update public.memberships set role = 'admin' where tenant_id = $1 and user_id = $2`,
				[tenantA, agentA.id]
			])
		).toEqual({
			'owner-a': 1,
			'admin-a': 1,
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});

	it('update: only an owner makes someone an owner; an admin is refused', async () => {
		expect(
			await writeBy(() => [
				`update public.memberships set role = 'owner' where tenant_id = $1 and user_id = $2`,
				[tenantA, agentA.id]
			])
		).toEqual({
			'owner-a': 1,
			'admin-a': '42501',
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});

	it("update: an admin cannot touch an owner's row, and the last owner cannot be demoted", async () => {
		expect(
			await writeBy(() => [
				`update public.memberships set role = 'agent' where tenant_id = $1 and user_id = $2`,
				[tenantA, ownerA.id]
			])
		).toEqual({
			'owner-a': 'P0001',
			'admin-a': 0,
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});

	it('update: the tenant and user of a membership are not editable', async () => {
		const outcome = await attempt(
			stack.db,
			ownerA,
			`update public.memberships set user_id = $2 where tenant_id = $1 and user_id = $2`,
			[tenantA, agentA.id]
		);
		expect(outcome.ok ? 'allowed' : outcome.error.code).toBe('42501');
	});

	it('delete: owners and admins remove an agent, and the agent may leave', async () => {
		expect(
			await writeBy(() => [
				`delete from public.memberships where tenant_id = $1 and user_id = $2`,
				[tenantA, agentA.id]
			])
		).toEqual({
			'owner-a': 1,
			'admin-a': 1,
			'agent-a': 1,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});

	it('delete: an admin cannot remove an owner, and the last owner cannot leave', async () => {
		expect(
			await writeBy(() => [
				`delete from public.memberships where tenant_id = $1 and user_id = $2`,
				[tenantA, ownerA.id]
			])
		).toEqual({
			'owner-a': 'P0001',
			'admin-a': 0,
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});
});

describe('profiles', () => {
	it("select: users see their own profile and their teammates', nobody else's", async () => {
		const tenantAProfiles = ['admin-a:Admin A:AA', 'agent-a:Agent A:AA', 'owner-a:Owner A:OA'];
		expect(
			await visibleTo(
				'select id, display_name, avatar_initials from public.profiles',
				(r) => `${labelOf.get(r.id)}:${r.display_name}:${r.avatar_initials}`
			)
		).toEqual({
			'owner-a': tenantAProfiles,
			'admin-a': tenantAProfiles,
			'agent-a': tenantAProfiles,
			'owner-b': ['owner-b:Owner B:OB'],
			stranger: ['stranger:Stranger:ST'],
			anon: '42501'
		});
	});

	it('insert: profiles are made only by the sign-up trigger', async () => {
		expect(
			await writeBy((actor) => [
				`insert into public.profiles (id, display_name) values ($1, 'Me')`,
				[actor.id ?? stranger.id]
			])
		).toEqual(each('42501'));
	});

	it('update: everyone signed in renames themself', async () => {
		expect(
			await writeBy((actor) => [
				`update public.profiles set display_name = 'New Name' where id = $1`,
				[actor.id ?? stranger.id]
			])
		).toEqual({ ...each(1), anon: '42501' });
	});

	it('update: nobody renames someone else, not even their owner', async () => {
		expect(
			await writeBy(() => [
				`update public.profiles set display_name = 'Hijacked' where id = $1`,
				[agentA.id]
			])
		).toEqual({
			'owner-a': 0,
			'admin-a': 0,
			'agent-a': 1,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});

	it('update: initials follow the display name and cannot be set by hand', async () => {
		const renamed = await attempt<{ avatar_initials: string }>(
			stack.db,
			agentA,
			`update public.profiles set display_name = 'Grace Brewster Hopper' where id = $1 returning avatar_initials`,
			[agentA.id]
		);
		expect(rowsOf(renamed)).toEqual([{ avatar_initials: 'GH' }]);
		const forced = await attempt(
			stack.db,
			agentA,
			`update public.profiles set avatar_initials = 'ZZ' where id = $1`,
			[agentA.id]
		);
		expect(forced.ok ? 'allowed' : forced.error.code).toBe('42501');
	});

	it('delete: nobody deletes a profile', async () => {
		expect(
			await writeBy((actor) => [
				`delete from public.profiles where id = $1`,
				[actor.id ?? stranger.id]
			])
		).toEqual(each('42501'));
	});
});

describe('invitations', () => {
	const invitationLabel = (r: Record<string, string>) => `${slugOf.get(r.tenant_id)}:${r.email}`;

	it("select: owners and admins see their tenant's invitations; agents, strangers and other tenants see none", async () => {
		const tenantAInvitations = [
			'tenant-a:admin-a@example.test',
			'tenant-a:agent-a@example.test',
			'tenant-a:pending-agent@example.test',
			'tenant-a:pending-owner@example.test'
		];
		expect(
			await visibleTo('select tenant_id, email from public.invitations', invitationLabel)
		).toEqual({
			'owner-a': tenantAInvitations,
			'admin-a': tenantAInvitations,
			'agent-a': [],
			'owner-b': ['tenant-b:pending-b@example.test'],
			stranger: [],
			anon: '42501'
		});
	});

	it('insert: nobody inserts an invitation directly (invite_member makes the token)', async () => {
		expect(
			await writeBy(() => [
				`insert into public.invitations (tenant_id, email, role, token_hash) values ($1, 'me@example.test', 'owner', 'x')`,
				[tenantA]
			])
		).toEqual(each('42501'));
	});

	it('update: nobody edits an invitation, so its expiry cannot be extended', async () => {
		expect(
			await writeBy(() => [
				`update public.invitations set expires_at = now() + interval '1 year' where tenant_id = $1`,
				[tenantA]
			])
		).toEqual(each('42501'));
	});

	it('delete: owners and admins revoke an agent invitation', async () => {
		expect(
			await writeBy(() => [
				`delete from public.invitations where id = $1`,
				[invitationIds.get('pending-agent@example.test')]
			])
		).toEqual({
			'owner-a': 1,
			'admin-a': 1,
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});

	it('delete: only an owner revokes an owner invitation', async () => {
		expect(
			await writeBy(() => [
				`delete from public.invitations where id = $1`,
				[invitationIds.get('pending-owner@example.test')]
			])
		).toEqual({
			'owner-a': 1,
			'admin-a': 0,
			'agent-a': 0,
			'owner-b': 0,
			stranger: 0,
			anon: '42501'
		});
	});
});
