import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadThreadPage, THREAD_PAGE_SIZE } from '../../src/lib/inbox/messages.ts';
import { loadNotifications, NOTIFICATIONS_PAGE_SIZE } from '../../src/lib/inbox/notifications.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	commitAs,
	createUser,
	probeAs,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// The inbox's SQL as members meet it: a keyset page of conversations with filters and search, the
// unread notification count and "mark all as read", each under RLS; and who may share presence
// and typing on a conversation's activity topic.

let stack: TestStack;
let userCount = 0;
let phoneCount = 0;

beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

function newUser(name: string): Promise<Actor> {
	userCount += 1;
	return createUser(stack.db, `${name}-${userCount}@inbox.test`);
}

/** A workspace with an owner, an agent and a Twilio number. */
async function team(slug: string) {
	const owner = await newUser('owner');
	const agent = await newUser('agent');
	const { tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, slug, [
		[agent, 'agent']
	]);
	return { tenantId, owner, agent, numberId };
}

/** A customer writes: stored as the webhook function stores it. Returns the conversation id. */
async function customerWrites(numberId: string, name: string, body: string, waId?: string) {
	phoneCount += 1;
	const item = {
		provider_message_id: `SMinbox${phoneCount}`,
		wa_id: waId ?? `1415666${String(phoneCount).padStart(4, '0')}`,
		profile_name: name,
		type: 'text',
		body
	};
	const result = await stack.db.transaction(async (tx) => {
		await tx.query(`select set_config('role', 'service_role', true)`);
		const { rows } = await tx.query<{ result: { messages: { conversation_id: string }[] } }>(
			`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb) as result`,
			[numberId, JSON.stringify([item])]
		);
		return rows[0].result;
	});
	return result.messages[0].conversation_id;
}

interface InboxRow {
	id: string;
	contact_name: string;
	activity_at: string;
	unread_count: number;
	number_name: string;
}

async function inbox(actor: Actor, args: Record<string, unknown>): Promise<InboxRow[]> {
	const names = Object.keys(args);
	const sql = `select * from public.inbox_conversations(${names
		.map((name, i) => `${name} => $${i + 1}`)
		.join(', ')})`;
	return rowsOf(await commitAs<InboxRow>(stack.db, actor, sql, Object.values(args)));
}

describe('inbox_conversations', () => {
	let t: Awaited<ReturnType<typeof team>>;
	const ids: string[] = [];
	beforeAll(async () => {
		t = await team('inbox-list');
		for (let i = 0; i < 5; i++) {
			ids.push(await customerWrites(t.numberId, `Customer ${i}`, `Question number ${i}`));
		}
	});

	it('pages newest first with a keyset cursor, never repeating or skipping a row', async () => {
		const first = await inbox(t.agent, { tenant_id: t.tenantId, page_size: 2 });
		expect(first.map((row) => row.contact_name)).toEqual(['Customer 4', 'Customer 3']);
		const last = first.at(-1)!;
		const second = await inbox(t.agent, {
			tenant_id: t.tenantId,
			page_size: 2,
			after_activity_at: last.activity_at,
			after_id: last.id
		});
		expect(second.map((row) => row.contact_name)).toEqual(['Customer 2', 'Customer 1']);
		expect(first[0]).toMatchObject({ unread_count: 1, number_name: 'Store' });
	});

	it('a new message moves its conversation to the first page', async () => {
		const waId = (
			await stack.db.query<{ wa_id: string }>(
				'select ct.wa_id from public.conversations c join public.contacts ct on ct.id = c.contact_id where c.id = $1',
				[ids[0]]
			)
		).rows[0].wa_id;
		await customerWrites(t.numberId, 'Customer 0', 'Any news?', waId);
		const [top] = await inbox(t.agent, { tenant_id: t.tenantId, page_size: 1 });
		expect(top).toMatchObject({ id: ids[0], unread_count: 2 });
	});

	it('searches contact names, phone numbers and message text', async () => {
		expect(
			(await inbox(t.agent, { tenant_id: t.tenantId, search: 'customer 3' })).map((r) => r.id)
		).toEqual([ids[3]]);
		expect(
			(await inbox(t.agent, { tenant_id: t.tenantId, search: 'number 2' })).map((r) => r.id)
		).toEqual([ids[2]]);
		const phone = (
			await stack.db.query<{ wa_id: string }>(
				'select ct.wa_id from public.conversations c join public.contacts ct on ct.id = c.contact_id where c.id = $1',
				[ids[1]]
			)
		).rows[0].wa_id;
		expect(
			(await inbox(t.agent, { tenant_id: t.tenantId, search: `+${phone}` })).map((r) => r.id)
		).toEqual([ids[1]]);
	});

	it('filters by status, unread and one conversation', async () => {
		rowsOf(
			await commitAs(
				stack.db,
				t.agent,
				`update public.conversations set status = 'closed', unread_count = 0 where id = $1`,
				[ids[4]]
			)
		);
		const closed = await inbox(t.agent, { tenant_id: t.tenantId, status: 'closed' });
		expect(closed.map((row) => row.id)).toEqual([ids[4]]);
		const unread = await inbox(t.agent, { tenant_id: t.tenantId, unread_only: true });
		expect(unread.map((row) => row.id)).not.toContain(ids[4]);
		expect(
			await inbox(t.agent, { tenant_id: t.tenantId, only_id: ids[4], status: 'open' })
		).toEqual([]);
	});

	it('another workspace sees none of these conversations', async () => {
		const other = await team('inbox-other');
		expect(await inbox(other.owner, { tenant_id: t.tenantId })).toEqual([]);
		expect(await inbox(other.owner, { tenant_id: t.tenantId, only_id: ids[0] })).toEqual([]);
	});
});

describe('notification counts and marks', () => {
	it('counts and marks only the caller’s unread notifications in that workspace', async () => {
		const t = await team('inbox-notes');
		await customerWrites(t.numberId, 'Ana', 'One');
		await customerWrites(t.numberId, 'Ben', 'Two');
		const count = async (actor: Actor) =>
			rowsOf(
				await commitAs<{ n: number }>(
					stack.db,
					actor,
					'select public.unread_notification_count($1) as n',
					[t.tenantId]
				)
			)[0].n;
		expect(await count(t.owner)).toBe(2);
		expect(await count(t.agent)).toBe(2);
		const [{ changed }] = rowsOf(
			await commitAs<{ changed: number }>(
				stack.db,
				t.agent,
				'select public.mark_all_notifications_read($1) as changed',
				[t.tenantId]
			)
		);
		expect(changed).toBe(2);
		expect(await count(t.agent)).toBe(0);
		expect(await count(t.owner)).toBe(2);
	});
});

describe('conversation presence and typing', () => {
	it('members may send on a conversation-activity topic only; outsiders and database topics refuse', async () => {
		const t = await team('inbox-presence');
		const other = await team('inbox-stranger');
		const conversationId = await customerWrites(t.numberId, 'Ana', 'Hi');
		// As Realtime probes a channel's write policy: the topic set, an insert as the member, rolled back.
		const canSend = (actor: Actor, topic: string) =>
			probeAs(stack.db, actor, async (tx) => {
				await tx.query(`select set_config('realtime.topic', $1, true)`, [topic]);
				try {
					await tx.query(
						`insert into realtime.messages (topic, extension) values ($1, 'presence')`,
						[topic]
					);
					return true;
				} catch (error) {
					if ((error as { code?: string }).code === '42501') return false;
					throw error;
				}
			});
		expect(await canSend(t.agent, `conversation-activity:${conversationId}`)).toBe(true);
		expect(await canSend(other.agent, `conversation-activity:${conversationId}`)).toBe(false);
		expect(await canSend(t.agent, `conversation:${conversationId}`)).toBe(false);
		expect(await canSend(t.agent, `tenant:${t.tenantId}`)).toBe(false);
	});
});

/** Gives a conversation to a member, as the service does. */
async function assign(conversationId: string, userId: string) {
	await stack.db.query(`update public.conversations set assignee_id = $1 where id = $2`, [
		userId,
		conversationId
	]);
}

describe('thread and notification pages through supabase-js', () => {
	it('older messages and notifications page by keyset without repeats or gaps', async () => {
		const t = await team('inbox-thread');
		const waId = '14157770001';
		// Assigned to the agent, so each message notifies them.
		const conversationId = await customerWrites(t.numberId, 'Ana', 'Message 0', waId);
		await assign(conversationId, t.agent.id!);
		for (let i = 1; i < 35; i++) await customerWrites(t.numberId, 'Ana', `Message ${i}`, waId);
		const client = stack.client();
		const signedIn = await client.auth.signInWithPassword({
			email: t.agent.email!,
			password: 'secret-password'
		});
		expect(signedIn.error).toBeNull();

		const newest = await loadThreadPage(client, conversationId);
		expect(newest.messages).toHaveLength(THREAD_PAGE_SIZE);
		expect(newest.hasOlder).toBe(true);
		expect(newest.messages.at(-1)!.body).toBe('Message 34');
		const older = await loadThreadPage(client, conversationId, newest.messages[0]);
		expect(older.hasOlder).toBe(false);
		const bodies = [...older.messages, ...newest.messages].map((m) => m.body);
		expect(bodies).toEqual(Array.from({ length: 35 }, (_, i) => `Message ${i}`));

		const firstNotes = await loadNotifications(client, t.tenantId);
		expect(firstNotes.notifications).toHaveLength(NOTIFICATIONS_PAGE_SIZE);
		const moreNotes = await loadNotifications(client, t.tenantId, firstNotes.notifications.at(-1)!);
		const ids = [...firstNotes.notifications, ...moreNotes.notifications].map((n) => n.id);
		expect(new Set(ids).size).toBe(35);
		await client.auth.signOut();
	});

	it("puts Parley's note after the message of the same instant it explains, whatever their ids", async () => {
		const t = await team('inbox-ties');
		const conversationId = await customerWrites(
			t.numberId,
			'Ana',
			'Can a person help?',
			'14157770002'
		);
		// The note's id sorts before the hand-over's, as a random id does half the time.
		await stack.db.query(
			`insert into public.messages (id, tenant_id, conversation_id, direction, sender, type, body, status, provider, created_at)
			 values ('00000000-0000-4000-8000-000000000001', $1, $2, 'outbound', 'system', 'text', 'AI replies are off', 'received', 'twilio', '2026-12-01T10:00:00Z'),
			        ('ffffffff-ffff-4fff-8fff-ffffffffffff', $1, $2, 'outbound', 'ai', 'text', 'A person follows', 'queued', 'twilio', '2026-12-01T10:00:00Z')`,
			[t.tenantId, conversationId]
		);
		const client = stack.client();
		const signedIn = await client.auth.signInWithPassword({
			email: t.agent.email!,
			password: 'secret-password'
		});
		expect(signedIn.error).toBeNull();
		const { messages } = await loadThreadPage(client, conversationId);
		const tied = messages.filter((m) => m.created_at.startsWith('2026-12-01T10:00:00'));
		expect(tied.map((m) => m.sender)).toEqual(['ai', 'system']);
		await client.auth.signOut();
	});
});

describe('who hears of an inbound message', () => {
	/** New-message notifications of a conversation per recipient, by actor label. */
	async function told(conversationId: string, t: Awaited<ReturnType<typeof team>>) {
		const { rows } = await stack.db.query<{ recipient_id: string; count: number }>(
			`select recipient_id, count(*)::int as count from public.notifications
			 where conversation_id = $1 and kind = 'new_message' group by recipient_id`,
			[conversationId]
		);
		const byId = new Map(rows.map((row) => [row.recipient_id, row.count]));
		return { owner: byId.get(t.owner.id!) ?? 0, agent: byId.get(t.agent.id!) ?? 0 };
	}

	it('tells everyone when an unassigned conversation starts waiting, and only then', async () => {
		const t = await team('inbox-told-waiting');
		const waId = '14157770101';
		const id = await customerWrites(t.numberId, 'Bea', 'First', waId);
		expect(await told(id, t)).toEqual({ owner: 1, agent: 1 });

		// Still unread: the open notification and the inbox row already say it.
		await customerWrites(t.numberId, 'Bea', 'Second', waId);
		expect(await told(id, t)).toEqual({ owner: 1, agent: 1 });

		// Someone read it; the next message makes it wait again.
		await stack.db.query(`update public.conversations set unread_count = 0 where id = $1`, [id]);
		await customerWrites(t.numberId, 'Bea', 'Third', waId);
		expect(await told(id, t)).toEqual({ owner: 2, agent: 2 });

		// Closed while still unread: the message that reopens it tells everyone.
		await stack.db.query(`update public.conversations set status = 'closed' where id = $1`, [id]);
		await customerWrites(t.numberId, 'Bea', 'Fourth', waId);
		expect(await told(id, t)).toEqual({ owner: 3, agent: 3 });
		const { rows } = await stack.db.query<{ status: string; unread_count: number }>(
			`select status, unread_count from public.conversations where id = $1`,
			[id]
		);
		expect(rows).toEqual([{ status: 'open', unread_count: 2 }]);
	});

	it('tells an assigned conversation’s assignee of every message, and nobody else', async () => {
		const t = await team('inbox-told-assignee');
		const waId = '14157770102';
		const id = await customerWrites(t.numberId, 'Cruz', 'First', waId);
		await assign(id, t.agent.id!);
		await customerWrites(t.numberId, 'Cruz', 'Second', waId);
		await customerWrites(t.numberId, 'Cruz', 'Third', waId);
		expect(await told(id, t)).toEqual({ owner: 1, agent: 3 });

		// Reopened while assigned: still its assignee alone.
		await stack.db.query(`update public.conversations set status = 'archived' where id = $1`, [id]);
		await customerWrites(t.numberId, 'Cruz', 'Fourth', waId);
		expect(await told(id, t)).toEqual({ owner: 1, agent: 4 });

		// A retried delivery of a stored message tells nobody again.
		const { rows } = await stack.db.query<{ count: number }>(
			`select count(*)::int as count from public.notifications where conversation_id = $1`,
			[id]
		);
		phoneCount -= 1;
		await customerWrites(t.numberId, 'Cruz', 'Fourth', waId);
		const again = await stack.db.query<{ count: number }>(
			`select count(*)::int as count from public.notifications where conversation_id = $1`,
			[id]
		);
		expect(again.rows[0].count).toBe(rows[0].count);
	});
});
