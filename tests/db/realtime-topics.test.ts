import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	becomeActor,
	commitAs,
	createUser,
	probeAs,
	rolledBack,
	rowsOf,
	workspaceWithTwilioNumber,
	type Actor
} from './support.ts';

// Realtime decides whether a user may join a private channel by inserting probe rows into
// realtime.messages on a privileged connection, then selecting them as the user with
// realtime.topic set to the channel's topic. These tests do the same, and roll back.

let stack: TestStack;
let owner: Actor, agent: Actor, otherOwner: Actor, stranger: Actor;
let tenantA: string, tenantB: string;
let conversationA: string;

beforeAll(async () => {
	stack = await startTestStack();
	const db = stack.db;
	owner = await createUser(db, 'rt-owner@example.test');
	agent = await createUser(db, 'rt-agent@example.test');
	otherOwner = await createUser(db, 'rt-other@example.test');
	stranger = await createUser(db, 'rt-stranger@example.test');
	[{ id: tenantA }] = rowsOf(
		await commitAs<{ id: string }>(db, owner, 'select id from public.create_tenant($1, $2)', [
			'A',
			'rt-a'
		])
	);
	[{ id: tenantB }] = rowsOf(
		await commitAs<{ id: string }>(db, otherOwner, 'select id from public.create_tenant($1, $2)', [
			'B',
			'rt-b'
		])
	);
	const [{ token }] = rowsOf(
		await commitAs<{ token: string }>(
			db,
			owner,
			'select public.invite_member($1, $2, $3) as token',
			[tenantA, agent.email, 'agent']
		)
	);
	rowsOf(await commitAs(db, agent, 'select public.accept_invitation($1)', [token]));
	// A conversation in A's second workspace, with the agent as a member, stored as ingest stores it.
	const chatOwner = await createUser(db, 'rt-chat-owner@example.test');
	const { tenantId, numberId } = await workspaceWithTwilioNumber(db, chatOwner, 'rt-chat', [
		[agent, 'agent']
	]);
	const { rows } = await db.query<{ id: string }>(
		`with contact as (
			insert into public.contacts (tenant_id, wa_id, profile_name) values ($1, '14155550100', 'Ana')
			returning id
		)
		insert into public.conversations (tenant_id, number_id, contact_id)
		select $1, $2, id from contact returning id`,
		[tenantId, numberId]
	);
	conversationA = rows[0].id;
});
afterAll(() => stack?.close());

/** Whether the actor may receive `extension` messages on `topic`, decided as Realtime decides it. */
function mayRead(actor: Actor, topic: string, extension = 'broadcast'): Promise<boolean> {
	return rolledBack(stack.db, async (tx) => {
		const { rows: probes } = await tx.query<{ id: string }>(
			'insert into realtime.messages (topic, extension) values ($1, $2) returning id',
			[topic, extension]
		);
		await becomeActor(tx, actor);
		await tx.query(`select set_config('realtime.topic', $1, true)`, [topic]);
		const { rows } = await tx.query('select id from realtime.messages where id = $1', [
			probes[0].id
		]);
		return rows.length === 1;
	});
}

describe('realtime topic authorization', () => {
	it('members of a tenant receive tenant:<id>; members of other tenants, strangers and anon do not', async () => {
		const topic = () => `tenant:${tenantA}`;
		const result: Record<string, boolean> = {};
		for (const [label, actor] of Object.entries({ owner, agent, otherOwner, stranger, anon }))
			result[label] = await mayRead(actor, topic());
		expect(result).toEqual({
			owner: true,
			agent: true,
			otherOwner: false,
			stranger: false,
			anon: false
		});
		expect(await mayRead(otherOwner, `tenant:${tenantB}`)).toBe(true);
	});

	it('a user receives their own user:<id> topic and nobody else does', async () => {
		expect(await mayRead(agent, `user:${agent.id}`)).toBe(true);
		expect(await mayRead(stranger, `user:${stranger.id}`)).toBe(true);
		expect(await mayRead(owner, `user:${agent.id}`)).toBe(false);
		expect(await mayRead(anon, `user:${agent.id}`)).toBe(false);
	});

	it('presence on a tenant topic follows the same rule', async () => {
		expect(await mayRead(agent, `tenant:${tenantA}`, 'presence')).toBe(true);
		expect(await mayRead(stranger, `tenant:${tenantA}`, 'presence')).toBe(false);
	});

	it('unknown or malformed topics are refused to everyone', async () => {
		for (const topic of [
			'room:lobby',
			'tenant:',
			'tenant:not-a-uuid',
			`conversation:${tenantA}`,
			`Tenant:${tenantA}`
		]) {
			expect(await mayRead(owner, topic), topic).toBe(false);
		}
	});

	it('a removed member stops receiving the tenant topic at once', async () => {
		const leaver = await createUser(stack.db, 'rt-leaver@example.test');
		const [{ token }] = rowsOf(
			await commitAs<{ token: string }>(
				stack.db,
				owner,
				'select public.invite_member($1, $2) as token',
				[tenantA, leaver.email]
			)
		);
		rowsOf(await commitAs(stack.db, leaver, 'select public.accept_invitation($1)', [token]));
		expect(await mayRead(leaver, `tenant:${tenantA}`)).toBe(true);
		rowsOf(
			await commitAs(stack.db, owner, 'select public.remove_member($1, $2)', [tenantA, leaver.id])
		);
		expect(await mayRead(leaver, `tenant:${tenantA}`)).toBe(false);
	});

	it('nobody broadcasts from a client: inserting a message is refused even on a readable topic', async () => {
		const outcome = await probeAs(stack.db, owner, async (tx) => {
			await tx.query(`select set_config('realtime.topic', $1, true)`, [`tenant:${tenantA}`]);
			return tx
				.query(
					`insert into realtime.messages (topic, extension, event, payload) values ($1, 'broadcast', 'x', '{}')`,
					[`tenant:${tenantA}`]
				)
				.then(
					() => 'inserted',
					(error: { code?: string }) => error.code
				);
		});
		expect(outcome).toBe('42501');
	});
});

/** Whether the actor may send `extension` messages on `topic`, probed as Realtime probes a write. */
function maySend(
	actor: Actor,
	topic: string,
	extension = 'broadcast',
	rowTopic = topic
): Promise<boolean | string> {
	return probeAs(stack.db, actor, async (tx) => {
		await tx.query(`select set_config('realtime.topic', $1, true)`, [topic]);
		return tx
			.query(
				`insert into realtime.messages (topic, extension, event, payload) values ($1, $2, 'typing', '{}')`,
				[rowTopic, extension]
			)
			.then(
				() => true,
				(error: { code?: string }) => (error.code === '42501' ? false : String(error.code))
			);
	});
}

describe('conversation topics: the database writes conversation:<id>, members write conversation-activity:<id>', () => {
	const chat = () => `conversation:${conversationA}`;
	const activity = () => `conversation-activity:${conversationA}`;

	it('members of the conversation’s tenant receive both topics; others do not', async () => {
		const result: Record<string, boolean[]> = {};
		for (const [label, actor] of Object.entries({ agent, owner, stranger, anon })) {
			result[label] = [
				await mayRead(actor, chat()),
				await mayRead(actor, activity()),
				await mayRead(actor, activity(), 'presence')
			];
		}
		// owner runs workspace A; the conversation is in the workspace the agent also belongs to.
		expect(result).toEqual({
			agent: [true, true, true],
			owner: [false, false, false],
			stranger: [false, false, false],
			anon: [false, false, false]
		});
	});

	it('a member cannot broadcast or track presence on conversation:<id>', async () => {
		expect(await maySend(agent, chat())).toBe(false);
		expect(await maySend(agent, chat(), 'presence')).toBe(false);
	});

	it('a member broadcasts typing and tracks presence on conversation-activity:<id>', async () => {
		expect(await maySend(agent, activity())).toBe(true);
		expect(await maySend(agent, activity(), 'presence')).toBe(true);
	});

	it('a member of another tenant, a stranger and anon cannot send on the activity topic', async () => {
		for (const actor of [owner, otherOwner, stranger, anon]) {
			expect(await maySend(actor, activity()), actor.label).toBe(false);
			expect(await maySend(actor, activity(), 'presence'), actor.label).toBe(false);
		}
	});

	it('a write allowed on the activity topic cannot name another topic in its row', async () => {
		expect(await maySend(agent, activity(), 'broadcast', chat())).toBe(false);
	});
});
