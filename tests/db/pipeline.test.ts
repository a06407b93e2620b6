import {
	messageStatusAdvances,
	type MessageStatus
} from '../../supabase/functions/_shared/contracts.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	attempt,
	commitAs,
	createUser,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber,
	failure
} from './support.ts';

// The messaging tables and functions as each role meets them: who reads and changes what, how a
// delivery is stored, and how statuses move. Deliveries are stored as the service role, as the
// webhook functions do.

let stack: TestStack;
let userCount = 0;
let phoneCount = 0;

beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

function newUser(name: string): Promise<Actor> {
	userCount += 1;
	return createUser(stack.db, `${name}-${userCount}@pipeline.test`);
}

/** A workspace with an owner, an admin, an agent and a Twilio number. */
async function team(slug: string) {
	const owner = await newUser('owner');
	const admin = await newUser('admin');
	const agent = await newUser('agent');
	const { tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, slug, [
		[admin, 'admin'],
		[agent, 'agent']
	]);
	return { tenantId, owner, admin, agent, numberId };
}

type Team = Awaited<ReturnType<typeof team>>;

/** Runs SQL as the service role (what the Edge Functions use for the pipeline's RPCs). */
async function asService<Row = Record<string, unknown>>(sql: string, params: unknown[] = []) {
	return stack.db.transaction(async (tx) => {
		await tx.query(`select set_config('role', 'service_role', true)`);
		return (await tx.query<Row>(sql, params)).rows;
	});
}

interface Delivered {
	event_id: string;
	error: string | null;
	messages: { message_id?: string; conversation_id: string; inserted: boolean }[];
}

async function deliver(
	numberId: string,
	messages: Record<string, unknown>[],
	statuses: Record<string, unknown>[] = []
): Promise<Delivered> {
	const [row] = await asService<{ result: Delivered }>(
		`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw body', $2::jsonb, $3::jsonb) as result`,
		[numberId, JSON.stringify(messages), JSON.stringify(statuses)]
	);
	return row.result;
}

/**
 * Moves a stored message and its conversation's last_message_at a minute past now(): a message
 * stamped after a newer one on the same clock tick is ahead of the clock, and a minute stands in
 * for the microsecond so that no clock catches up during a test. Returns the stamp.
 */
async function stampAhead(messageId: string, conversationId: string): Promise<string> {
	const { rows } = await stack.db.query<{ stamp: string }>(
		`with stamp as (select now() + interval '1 minute' as at),
		   moved as (update public.messages set created_at = (select at from stamp) where id = $1)
		 update public.conversations set last_message_at = (select at from stamp) where id = $2
		 returning last_message_at::text as stamp`,
		[messageId, conversationId]
	);
	return rows[0].stamp;
}

function inbound(overrides: Record<string, unknown> = {}) {
	phoneCount += 1;
	return {
		provider_message_id: `SMdb${phoneCount}`,
		wa_id: `1415555${String(phoneCount).padStart(4, '0')}`,
		profile_name: 'Ana',
		type: 'text',
		body: 'Hello',
		...overrides
	};
}

let a: Team;
let b: Team;
beforeAll(async () => {
	a = await team('db-pipe-a');
	b = await team('db-pipe-b');
});

describe('access', () => {
	it('only the service role stores deliveries and records sends', async () => {
		for (const sql of [
			`select public.ingest_whatsapp_delivery('twilio', '${a.numberId}', '{}', 'x', '[]', '[]')`,
			`select public.record_message_failed(gen_random_uuid(), '1', 'x')`,
			`select public.flag_number_credentials('${a.numberId}', 'x')`,
			`select * from public.number_send_credentials('${a.numberId}')`
		]) {
			expect(failure(await attempt(stack.db, a.owner, sql))).toMatchObject({ code: '42501' });
		}
	});

	it("members read their tenant's conversations, messages and contacts; another tenant sees none", async () => {
		const stored = await deliver(a.numberId, [inbound()]);
		const conversationId = stored.messages[0].conversation_id;
		for (const member of [a.owner, a.admin, a.agent]) {
			for (const table of ['conversations', 'messages', 'contacts']) {
				const rows = rowsOf(await attempt(stack.db, member, `select id from public.${table}`));
				expect(rows.length, table).toBeGreaterThan(0);
			}
		}
		for (const table of [
			'conversations',
			'messages',
			'contacts',
			'notifications',
			'webhook_events'
		]) {
			expect(
				rowsOf(await attempt(stack.db, b.owner, `select id from public.${table}`)),
				table
			).toEqual([]);
		}
		expect(
			rowsOf(
				await attempt(stack.db, b.owner, 'select private.can_read_topic($1) as allowed', [
					`conversation:${conversationId}`
				])
			)
		).toEqual([{ allowed: false }]);
		expect(
			rowsOf(
				await attempt(stack.db, a.agent, 'select private.can_read_topic($1) as allowed', [
					`conversation:${conversationId}`
				])
			)
		).toEqual([{ allowed: true }]);
	});

	it('an agent changes status, AI and unread count, but not the summary, and cannot delete a conversation', async () => {
		const { messages } = await deliver(a.numberId, [inbound()]);
		const id = messages[0].conversation_id;
		const update = await attempt(
			stack.db,
			a.agent,
			`update public.conversations set status = 'closed', ai_active = false, unread_count = 0 where id = $1`,
			[id]
		);
		expect(update).toMatchObject({ ok: true, affectedRows: 1 });
		expect(
			failure(
				await attempt(
					stack.db,
					a.agent,
					`update public.conversations set summary = 'x' where id = $1`,
					[id]
				)
			)
		).toMatchObject({ code: '42501' });
		expect(
			failure(
				await attempt(stack.db, a.agent, 'delete from public.conversations where id = $1', [id])
			)
		).toEqual({
			code: '42501',
			message: 'Only owners and admins can delete conversations. Close or archive it instead.'
		});
		expect(
			await attempt(stack.db, a.admin, 'delete from public.conversations where id = $1', [id])
		).toMatchObject({ ok: true, affectedRows: 1 });
		expect(
			await attempt(stack.db, b.owner, 'delete from public.conversations where id = $1', [id])
		).toMatchObject({ ok: true, affectedRows: 0 });
	});

	it('notifications are read, marked and deleted by their recipient only', async () => {
		const { messages } = await deliver(a.numberId, [inbound()]);
		const messageId = messages[0].message_id;
		const mine = rowsOf(
			await attempt<{ id: string; recipient_id: string }>(
				stack.db,
				a.agent,
				'select id, recipient_id from public.notifications where message_id = $1',
				[messageId]
			)
		);
		expect(mine).toEqual([{ id: expect.any(String), recipient_id: a.agent.id }]);
		expect(
			await attempt(
				stack.db,
				a.owner,
				'update public.notifications set read_at = now() where id = $1',
				[mine[0].id]
			)
		).toMatchObject({ ok: true, affectedRows: 0 });
		expect(
			await attempt(
				stack.db,
				a.agent,
				'update public.notifications set read_at = now() where id = $1',
				[mine[0].id]
			)
		).toMatchObject({ ok: true, affectedRows: 1 });
		expect(
			failure(
				await attempt(
					stack.db,
					a.agent,
					`update public.notifications set title = 'x' where id = $1`,
					[mine[0].id]
				)
			)
		).toMatchObject({ code: '42501' });
	});

	it('webhook events are read by owners and admins, not agents', async () => {
		const { event_id } = await deliver(a.numberId, [inbound()]);
		for (const [actor, visible] of [
			[a.owner, 1],
			[a.admin, 1],
			[a.agent, 0]
		] as const) {
			const rows = rowsOf(
				await attempt(stack.db, actor, 'select id from public.webhook_events where id = $1', [
					event_id
				])
			);
			expect(rows.length).toBe(visible);
		}
	});

	it('queueing a reply is refused for someone outside the tenant', async () => {
		const { messages } = await deliver(a.numberId, [inbound()]);
		expect(
			failure(
				await attempt(stack.db, b.agent, 'select * from public.queue_outbound_message($1, $2)', [
					messages[0].conversation_id,
					'Hi'
				])
			)
		).toEqual({ code: '42501', message: 'There is no such conversation.' });
	});
});

describe('ingest', () => {
	it('a closed conversation reopens on a new message; an archived one too unless the tenant opted out', async () => {
		const first = inbound();
		const { messages } = await deliver(a.numberId, [first]);
		const id = messages[0].conversation_id;
		const status = async () =>
			(
				await stack.db.query<{ status: string }>(
					'select status from public.conversations where id = $1',
					[id]
				)
			).rows[0].status;
		const again = (n: number) => ({
			...first,
			provider_message_id: `${first.provider_message_id}-${n}`
		});

		await stack.db.query(`update public.conversations set status = 'closed' where id = $1`, [id]);
		await deliver(a.numberId, [again(1)]);
		expect(await status()).toBe('open');

		await stack.db.query(`update public.conversations set status = 'archived' where id = $1`, [id]);
		await deliver(a.numberId, [again(2)]);
		expect(await status()).toBe('open');

		await stack.db.query(
			`update public.tenants set reopen_archived_on_inbound = false where id = $1`,
			[a.tenantId]
		);
		await stack.db.query(`update public.conversations set status = 'archived' where id = $1`, [id]);
		await deliver(a.numberId, [again(3)]);
		expect(await status()).toBe('archived');
		await stack.db.query(
			`update public.tenants set reopen_archived_on_inbound = true where id = $1`,
			[a.tenantId]
		);
	});

	it("a customer's batched messages and the business's echoes keep the delivery's order in the thread and the inbox", async () => {
		// Meta batches quick messages into one webhook: one transaction, one now(). A thread read
		// by (created_at, id) must not shuffle them by their random ids.
		const first = inbound({ body: 'm1' });
		const next = (n: number, direction = 'inbound') => ({
			...first,
			provider_message_id: `${first.provider_message_id}-${n}`,
			body: `${direction === 'inbound' ? 'm' : 'e'}${n}`,
			direction
		});
		const { messages } = await deliver(a.numberId, [
			first,
			next(2),
			next(3, 'outbound'),
			next(4),
			next(5),
			next(6)
		]);
		const conversationId = messages[0].conversation_id;
		// Two later deliveries in one transaction: the second begins at the first one's now().
		await stack.db.transaction(async (tx) => {
			await tx.query(`select set_config('role', 'service_role', true)`);
			for (const item of [next(7), next(8, 'outbound')]) {
				await tx.query(
					`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw body', $2::jsonb)`,
					[a.numberId, JSON.stringify([item])]
				);
			}
		});
		const { rows } = await stack.db.query<{ body: string; created_at: string }>(
			'select body, created_at::text from public.messages where conversation_id = $1 order by created_at, id',
			[conversationId]
		);
		expect(rows.map((row) => row.body)).toEqual(['m1', 'm2', 'e3', 'm4', 'm5', 'm6', 'm7', 'e8']);
		const [conversation] = (
			await stack.db.query<{
				last_message_at: string;
				last_message_preview: string;
				last_message_direction: string;
			}>(
				'select last_message_at::text, last_message_preview, last_message_direction from public.conversations where id = $1',
				[conversationId]
			)
		).rows;
		expect(conversation).toEqual({
			last_message_at: rows[7].created_at,
			last_message_preview: 'e8',
			last_message_direction: 'outbound'
		});
	});

	it("replies by an agent and by the AI sort after the customer's message however its stamp leads the clock", async () => {
		const { messages } = await deliver(a.numberId, [inbound({ body: 'Is it in stock?' })]);
		const conversationId = messages[0].conversation_id;
		const ahead = await stampAhead(messages[0].message_id!, conversationId);
		await commitAs(stack.db, a.agent, 'select public.queue_outbound_message($1, $2)', [
			conversationId,
			'Yes, in blue'
		]);
		await asService(`select public.queue_ai_message($1, 'It ships today.')`, [conversationId]);
		const { rows } = await stack.db.query<{ body: string; later: boolean }>(
			`select body, created_at > $2::timestamptz as later from public.messages
			 where conversation_id = $1 order by created_at, id`,
			[conversationId, ahead]
		);
		expect(rows).toEqual([
			{ body: 'Is it in stock?', later: false },
			{ body: 'Yes, in blue', later: true },
			{ body: 'It ships today.', later: true }
		]);
		const [conversation] = (
			await stack.db.query<{ newest: boolean; preview: string }>(
				`select c.last_message_at = (select max(m.created_at) from public.messages m where m.conversation_id = c.id) as newest,
				   c.last_message_preview as preview
				 from public.conversations c where c.id = $1`,
				[conversationId]
			)
		).rows;
		expect(conversation).toEqual({ newest: true, preview: 'It ships today.' });
	});

	it("the AI's hand-over and Parley's note about it share one stamp after the customer's message", async () => {
		const { messages } = await deliver(a.numberId, [inbound({ body: 'Can a person help?' })]);
		const conversationId = messages[0].conversation_id;
		const ahead = await stampAhead(messages[0].message_id!, conversationId);
		await asService(
			`select public.ai_hand_over($1, 'The customer asked for a person.', 'A person will reply.')`,
			[conversationId]
		);
		const { rows } = await stack.db.query<{ sender: string; later: boolean; stamp: string }>(
			`select sender, created_at > $2::timestamptz as later, created_at::text as stamp
			 from public.messages where conversation_id = $1 and sender <> 'customer' order by sender`,
			[conversationId, ahead]
		);
		expect(rows.map(({ sender, later }) => ({ sender, later }))).toEqual([
			{ sender: 'ai', later: true },
			{ sender: 'system', later: true }
		]);
		// The same instant: the thread shows the note after the message it explains.
		expect(rows[1].stamp).toBe(rows[0].stamp);
	});

	it('a message the database refuses is kept with its reason for admins, and the rest of the delivery is stored', async () => {
		const good = inbound();
		const bad = inbound({ wa_id: 'not-a-number' });
		const result = await deliver(a.numberId, [bad, good]);
		expect(result.error).toMatch(
			new RegExp(`^Message ${bad.provider_message_id} could not be stored: `)
		);
		expect(result.messages.map((m) => m.inserted)).toEqual([true]);
		const [event] = (
			await stack.db.query<{ error: string; raw_body: string; processed_at: string }>(
				'select error, raw_body, processed_at from public.webhook_events where id = $1',
				[result.event_id]
			)
		).rows;
		expect(event).toMatchObject({ raw_body: 'raw body', error: result.error });
		const [failure] = (
			await stack.db.query<{ kind: string; reason: string; item: { wa_id: string } }>(
				'select kind, reason, item from public.webhook_item_failures where event_id = $1',
				[result.event_id]
			)
		).rows;
		expect(failure).toMatchObject({
			kind: 'message',
			reason: expect.stringContaining('contacts_wa_id_format'),
			item: { wa_id: 'not-a-number' }
		});
		// Bad data is not a credentials problem: the number's health is left alone.
		const [number] = (
			await stack.db.query<{ needs_attention: boolean }>(
				'select needs_attention from public.whatsapp_numbers where id = $1',
				[a.numberId]
			)
		).rows;
		expect(number.needs_attention).toBe(false);
	});
});

describe('reactions', () => {
	it('a reaction shows on its message, even when it arrives first; a new emoji replaces it and an empty one removes it', async () => {
		const target = inbound();
		const reaction = (id: string, emoji: string) => ({
			provider_message_id: id,
			wa_id: target.wa_id,
			type: 'reaction',
			reaction: { target_provider_id: target.provider_message_id, emoji }
		});
		const reactions = async () =>
			(
				await stack.db.query<{ message_id: string | null; emoji: string }>(
					'select message_id, emoji from public.message_reactions where target_provider_id = $1',
					[target.provider_message_id]
				)
			).rows;
		const early = await deliver(a.numberId, [reaction('wamid.r1', '❤️')]);
		expect(early.error).toBeNull();
		expect(await reactions()).toEqual([{ message_id: null, emoji: '❤️' }]);

		const { messages } = await deliver(a.numberId, [target]);
		expect(await reactions()).toEqual([{ message_id: messages[0].message_id, emoji: '❤️' }]);

		await deliver(a.numberId, [reaction('wamid.r2', '👍')]);
		expect(await reactions()).toEqual([{ message_id: messages[0].message_id, emoji: '👍' }]);
		// Reactions are not messages: no unread count, no notification of their own.
		expect(
			(
				await stack.db.query<{ unread_count: number }>(
					'select unread_count from public.conversations where id = $1',
					[messages[0].conversation_id]
				)
			).rows[0].unread_count
		).toBe(1);

		await deliver(a.numberId, [reaction('wamid.r3', '')]);
		expect(await reactions()).toEqual([]);
	});
});

describe('AI hook', () => {
	it('asks for an AI reply only when the conversation has AI on and the number and its agent are active', async () => {
		const t = await team('db-pipe-ai');
		const first = inbound();
		const ask = async (n: number) =>
			(
				await deliver(t.numberId, [
					{ ...first, provider_message_id: `${first.provider_message_id}-ai${n}` }
				])
			).messages[0] as unknown as { ai_reply: boolean; conversation_id: string };
		expect((await ask(1)).ai_reply).toBe(false);

		const { rows } = await stack.db.query<{ id: string }>(
			`insert into public.ai_agents (tenant_id, name, whatsapp_enabled) values ($1, 'Sofia', true) returning id`,
			[t.tenantId]
		);
		await stack.db.query(
			'update public.whatsapp_numbers set assigned_agent_id = $1, active = true where id = $2',
			[rows[0].id, t.numberId]
		);
		const on = await ask(2);
		expect(on.ai_reply).toBe(true);

		await stack.db.query('update public.conversations set ai_active = false where id = $1', [
			on.conversation_id
		]);
		expect((await ask(3)).ai_reply).toBe(false);
		// A duplicate never asks again.
		await stack.db.query('update public.conversations set ai_active = true where id = $1', [
			on.conversation_id
		]);
		expect((await ask(2)).ai_reply).toBe(false);
	});
});

describe('statuses', () => {
	it('move forward only; failed wins over queued and sent; delivered or read after failed ends there; the app agrees', async () => {
		const statuses: MessageStatus[] = ['queued', 'sent', 'delivered', 'read', 'failed'];
		const rows = (
			await stack.db.query<{ current: string; next: string; advances: boolean }>(
				`select c.s as current, n.s as next, public.message_status_advances(c.s, n.s) as advances
				 from unnest($1::text[]) c(s) cross join unnest($1::text[]) n(s)
				 where public.message_status_advances(c.s, n.s)`,
				[statuses]
			)
		).rows.map((row) => `${row.current}→${row.next}`);
		const expected = [
			'queued→sent',
			'queued→delivered',
			'queued→read',
			'queued→failed',
			'sent→delivered',
			'sent→read',
			'sent→failed',
			'delivered→read',
			'failed→delivered',
			'failed→read'
		].sort();
		expect(rows.sort()).toEqual(expected);
		const app = statuses.flatMap((current) =>
			statuses
				.filter((next) => messageStatusAdvances(current, next))
				.map((next) => `${current}→${next}`)
		);
		expect(app.sort()).toEqual(expected);
	});

	it('a status that arrives before the send recorded the provider id is applied when it is', async () => {
		const { messages } = await deliver(a.numberId, [inbound()]);
		const [queued] = rowsOf(
			await commitAs<{ id: string; status: string }>(
				stack.db,
				a.agent,
				'select id, status from public.queue_outbound_message($1, $2)',
				[messages[0].conversation_id, 'On its way']
			)
		);
		expect(queued.status).toBe('queued');
		await deliver(a.numberId, [], [{ provider_message_id: 'SMearly', status: 'delivered' }]);
		const [sent] = await asService<{ status: string; delivered_at: string | null }>(
			`select status, delivered_at from public.record_message_sent($1, 'SMearly', 'queued')`,
			[queued.id]
		);
		expect(sent.status).toBe('delivered');
		expect(sent.delivered_at).not.toBeNull();
		await deliver(a.numberId, [], [{ provider_message_id: 'SMearly', status: 'sent' }]);
		const [after] = (
			await stack.db.query<{ status: string }>('select status from public.messages where id = $1', [
				queued.id
			])
		).rows;
		expect(after.status).toBe('delivered');
	});

	it("a delivered after failed (the customer's other device) ends delivered without the failure's error; a late failed changes nothing", async () => {
		const { messages } = await deliver(a.numberId, [inbound()]);
		const [queued] = rowsOf(
			await commitAs<{ id: string }>(
				stack.db,
				a.agent,
				'select id from public.queue_outbound_message($1, $2)',
				[messages[0].conversation_id, 'Two phones']
			)
		);
		await asService(`select public.record_message_sent($1, 'SMtwodevices', 'sent')`, [queued.id]);
		const state = async () =>
			(
				await stack.db.query<{ status: string; error_code: string | null }>(
					'select status, error_code from public.messages where id = $1',
					[queued.id]
				)
			).rows[0];
		await deliver(
			a.numberId,
			[],
			[
				{
					provider_message_id: 'SMtwodevices',
					status: 'failed',
					error_code: '63003',
					error_message: 'Could not reach this device.'
				}
			]
		);
		expect(await state()).toEqual({ status: 'failed', error_code: '63003' });
		await deliver(a.numberId, [], [{ provider_message_id: 'SMtwodevices', status: 'delivered' }]);
		expect(await state()).toEqual({ status: 'delivered', error_code: null });
		await deliver(
			a.numberId,
			[],
			[{ provider_message_id: 'SMtwodevices', status: 'failed', error_code: '63003' }]
		);
		expect(await state()).toEqual({ status: 'delivered', error_code: null });
	});

	it('statuses for messages Parley never stored are forgotten after a day', async () => {
		await stack.db.query(
			`insert into private.pending_message_statuses (number_id, provider, provider_message_id, status, occurred_at, received_at)
			 values ($1, 'twilio', 'SMforgotten', 'sent', now() - interval '2 days', now() - interval '2 days')`,
			[a.numberId]
		);
		await deliver(a.numberId, [], [{ provider_message_id: 'SMunknown', status: 'delivered' }]);
		const { rows } = await stack.db.query<{ provider_message_id: string }>(
			`select provider_message_id from private.pending_message_statuses
			 where provider_message_id in ('SMforgotten', 'SMunknown')`
		);
		expect(rows).toEqual([{ provider_message_id: 'SMunknown' }]);
	});
});
