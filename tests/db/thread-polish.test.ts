import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	attempt,
	broadcastsNewestFirst,
	commitAs,
	createUser,
	failure,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// The inbox names who wrote the last message, the AI's hand-over comes before the note that
// explains it, and turning AI back on leaves a note naming who did.

let stack: TestStack;
let owner: Actor, agent: Actor, outsider: Actor;
let tenantId: string, numberId: string;

beforeAll(async () => {
	stack = await startTestStack();
	owner = await createUser(stack.db, 'polish-owner@example.test', { display_name: 'Olivia Owner' });
	agent = await createUser(stack.db, 'polish-agent@example.test', { display_name: 'Alba Agent' });
	outsider = await createUser(stack.db, 'polish-outsider@example.test', {
		display_name: 'Oscar Outsider'
	});
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'polish', [
		[agent, 'agent']
	]));
	await workspaceWithTwilioNumber(stack.db, outsider, 'polish-other', []);
});
afterAll(() => stack?.close());

let contactCount = 0;
/** A customer's conversation as the webhook leaves it: AI on, inside the window, one message. */
async function conversation(): Promise<string> {
	contactCount += 1;
	const { rows } = await stack.db.query<{ id: string }>(
		`with contact as (
			insert into public.contacts (tenant_id, wa_id, profile_name)
			values ($1, '1415666' || lpad($3::text, 4, '0'), 'Ana') returning id
		), conversation as (
			insert into public.conversations
				(tenant_id, number_id, contact_id, ai_active, last_message_preview, last_message_at, last_inbound_at)
			select $1, $2, id, true, 'Hello', now(), now() from contact returning id
		), message as (
			insert into public.messages (tenant_id, conversation_id, direction, sender, type, body, provider, status)
			select $1, id, 'inbound', 'customer', 'text', 'Hello', 'twilio', 'received' from conversation
		)
		select id from conversation`,
		[tenantId, numberId, contactCount]
	);
	return rows[0].id;
}

async function inboxRow(actor: Actor, conversationId: string) {
	const [row] = rowsOf(
		await attempt<{
			last_message_sender: string | null;
			last_message_sender_user_id: string | null;
		}>(
			stack.db,
			actor,
			'select last_message_sender, last_message_sender_user_id, last_message_sender_name from public.inbox_conversations($1, only_id => $2)',
			[tenantId, conversationId]
		)
	);
	return row;
}

async function thread(conversationId: string) {
	const { rows } = await stack.db.query<{ sender: string; body: string; created_at: string }>(
		`select sender, body, created_at from public.messages where conversation_id = $1
		 order by created_at, sender = 'system', id`,
		[conversationId]
	);
	return rows;
}

describe('who wrote the last message', () => {
	it('is the agent (by user id) after their reply, and the AI after its answer', async () => {
		const id = await conversation();
		rowsOf(
			await commitAs(stack.db, agent, 'select public.queue_outbound_message($1, $2)', [
				id,
				'On its way'
			])
		);
		expect(await inboxRow(owner, id)).toEqual({
			last_message_sender: 'agent',
			last_message_sender_user_id: agent.id,
			last_message_sender_name: 'Alba Agent'
		});
		const { rows: broadcasts } = await stack.db.query<{ payload: { record: object } }>(
			`select payload from realtime.messages
			 where topic = $1 and event = 'conversations' and extension = 'broadcast'
			   and payload->'record'->>'id' = $2
			   and payload->'record'->>'last_message_preview' = 'On its way'
			 order by ${broadcastsNewestFirst} limit 1`,
			[`tenant:${tenantId}`, id]
		);
		// The live inbox row says the same as a reload would.
		expect(broadcasts[0].payload.record).toMatchObject({
			id,
			last_message_sender: 'agent',
			last_message_sender_user_id: agent.id,
			last_message_sender_name: 'Alba Agent'
		});
		await stack.db.query(`select public.queue_ai_message($1, 'It arrives tomorrow.')`, [id]);
		expect(await inboxRow(agent, id)).toEqual({
			last_message_sender: 'ai',
			last_message_sender_user_id: null,
			last_message_sender_name: null
		});
	});

	it('is not visible to another tenant', async () => {
		const id = await conversation();
		const outcome = await attempt(
			stack.db,
			outsider,
			'select * from public.inbox_conversations($1, only_id => $2)',
			[tenantId, id]
		);
		expect(rowsOf(outcome)).toEqual([]);
	});

	it('cannot be written by a member', async () => {
		const id = await conversation();
		const refused = failure(
			await attempt(
				stack.db,
				owner,
				`update public.conversations set last_message_sender = 'ai' where id = $1`,
				[id]
			)
		);
		expect(refused).not.toBe('succeeded');
	});
});

describe('the AI hands over', () => {
	it('writes the hand-over and its note at one instant, and the note sorts after it', async () => {
		const id = await conversation();
		const { rows } = await stack.db.query<{ handed: { escalated: boolean; message_id: string } }>(
			`select public.ai_hand_over($1, 'The customer asked for a refund.', 'A person will reply soon.') as handed`,
			[id]
		);
		expect(rows[0].handed.escalated).toBe(true);
		expect(rows[0].handed.message_id).toEqual(expect.any(String));
		const [, handover, note] = await thread(id);
		expect(handover).toMatchObject({ sender: 'ai', body: 'A person will reply soon.' });
		expect(note.sender).toBe('system');
		expect(note.body).toContain('The customer asked for a refund.');
		expect(Date.parse(note.created_at)).toBe(Date.parse(handover.created_at));
		const again = await stack.db.query<{ handed: { escalated: boolean } }>(
			`select public.ai_hand_over($1, 'Again.', 'Again.') as handed`,
			[id]
		);
		expect(again.rows[0].handed).toEqual({ escalated: false, message_id: null });
		expect(await thread(id)).toHaveLength(3);
	});

	it('only escalates when there is nothing it may send', async () => {
		const id = await conversation();
		const { rows } = await stack.db.query<{ handed: unknown }>(
			`select public.ai_hand_over($1, 'Window closed.') as handed`,
			[id]
		);
		expect(rows[0].handed).toEqual({ escalated: true, message_id: null });
		expect((await thread(id)).map((row) => row.sender)).toEqual(['customer', 'system']);
	});

	it('is not for members to call', async () => {
		const id = await conversation();
		const refused = failure(
			await attempt(stack.db, owner, `select public.ai_hand_over($1, 'x', 'y')`, [id])
		);
		expect(refused).toMatchObject({ code: '42501' });
	});
});

describe('AI back on', () => {
	it('leaves a note naming the member who turned it on, and none when it is turned off', async () => {
		const id = await conversation();
		rowsOf(
			await commitAs(
				stack.db,
				agent,
				'update public.conversations set ai_active = false where id = $1',
				[id]
			)
		);
		expect((await thread(id)).map((row) => row.sender)).toEqual(['customer']);
		rowsOf(
			await commitAs(
				stack.db,
				agent,
				'update public.conversations set ai_active = true where id = $1',
				[id]
			)
		);
		const notes = (await thread(id)).filter((row) => row.sender === 'system');
		expect(notes.map((row) => row.body)).toEqual([
			'AI replies are on again for this conversation (turned on by Alba Agent).'
		]);
	});

	it('says nothing when AI was already on', async () => {
		const id = await conversation();
		rowsOf(
			await commitAs(
				stack.db,
				owner,
				'update public.conversations set ai_active = true where id = $1',
				[id]
			)
		);
		expect((await thread(id)).map((row) => row.sender)).toEqual(['customer']);
	});

	it('cannot be turned on in another tenant, so no note appears there', async () => {
		const id = await conversation();
		await stack.db.query('update public.conversations set ai_active = false where id = $1', [id]);
		const outcome = await commitAs(
			stack.db,
			outsider,
			'update public.conversations set ai_active = true where id = $1',
			[id]
		);
		expect(outcome.ok && outcome.affectedRows).toBe(0);
		expect((await thread(id)).map((row) => row.sender)).toEqual(['customer']);
	});
});
