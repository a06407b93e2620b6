import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	actAs,
	broadcastsNewestFirst,
	createUser,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// The inbox puts a changed conversation in place from its broadcast alone: the `conversations`
// event on tenant:<id> carries the row as inbox_conversations returns it, in broadcast_changes' shape.

let stack: TestStack;
let agent: Actor;
let tenantId: string, numberId: string;

beforeAll(async () => {
	stack = await startTestStack();
	const owner = await createUser(stack.db, 'broadcast-owner@example.test');
	agent = await createUser(stack.db, 'broadcast-agent@example.test');
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'broadcasts', [
		[agent, 'agent']
	]));
});
afterAll(() => stack?.close());

interface Broadcast {
	operation: string;
	table: string;
	schema: string;
	record: Record<string, unknown> | null;
	old_record: Record<string, unknown> | null;
}

/** The last `conversations` broadcast on the tenant's topic. */
async function lastBroadcast(): Promise<Broadcast> {
	const { rows } = await stack.db.query<{ payload: Broadcast }>(
		`select payload from realtime.messages
		 where topic = $1 and event = 'conversations' and extension = 'broadcast'
		 order by ${broadcastsNewestFirst} limit 1`,
		[`tenant:${tenantId}`]
	);
	return rows[0].payload;
}

/** The row as the inbox reads it, in JSON as it travels. */
async function inboxRow(conversationId: string): Promise<Record<string, unknown>> {
	const { rows } = await stack.db.query<{ row: Record<string, unknown> }>(
		'select to_jsonb(r) as row from public.inbox_conversations($1, only_id => $2) r',
		[tenantId, conversationId]
	);
	return rows[0].row;
}

describe('conversation broadcasts carry the inbox row', () => {
	it('a new conversation, an agent closing it, and its deletion each arrive ready to show', async () => {
		const { rows } = await stack.db.query<{ id: string }>(
			`with contact as (
				insert into public.contacts (tenant_id, wa_id, profile_name, username)
				values ($1, '14155550188', 'Ana Gómez', '@ana.g') returning id
			)
			insert into public.conversations
				(tenant_id, number_id, contact_id, last_message_preview, last_message_at, unread_count)
			select $1, $2, id, 'Do you have it in blue?', now(), 1 from contact returning id`,
			[tenantId, numberId]
		);
		const conversationId = rows[0].id;
		const inserted = await lastBroadcast();
		expect(inserted).toMatchObject({
			operation: 'INSERT',
			table: 'conversations',
			schema: 'public',
			old_record: null
		});
		expect(inserted.record).toEqual(expect.objectContaining(await inboxRow(conversationId)));
		expect(inserted.record).toMatchObject({
			contact_name: 'Ana Gómez',
			contact_username: '@ana.g',
			contact_wa_id: '14155550188',
			number_name: 'Store',
			number_provider: 'twilio',
			last_message_preview: 'Do you have it in blue?',
			unread_count: 1
		});

		// As the app closes it: the agent's own update through RLS.
		await actAs(stack.db, agent, (tx) =>
			tx.query(`update public.conversations set status = 'closed' where id = $1`, [conversationId])
		);
		const closed = await lastBroadcast();
		expect(closed.operation).toBe('UPDATE');
		expect(closed.record).toEqual(expect.objectContaining(await inboxRow(conversationId)));
		expect(closed.record).toMatchObject({ status: 'closed', contact_name: 'Ana Gómez' });
		expect(closed.old_record).toMatchObject({ id: conversationId, status: 'open' });

		await stack.db.query('delete from public.conversations where id = $1', [conversationId]);
		expect(await lastBroadcast()).toMatchObject({
			operation: 'DELETE',
			record: null,
			old_record: { id: conversationId, status: 'closed' }
		});
	});
});
