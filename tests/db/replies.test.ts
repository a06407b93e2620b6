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

// Replies at hand: canned responses every member reads and only owners and admins change, and
// internal notes that stay inside the workspace, notify the members they mention, and are never
// messages.

let stack: TestStack;
let owner: Actor, admin: Actor, agent: Actor, outsider: Actor;
let tenantId: string, otherTenantId: string;
let conversationId: string, otherConversationId: string;

/** A customer's conversation on the workspace's number, as ingest leaves it. */
async function conversationOn(tenant: string, number: string, waId: string, name: string) {
	const { rows } = await stack.db.query<{ id: string }>(
		`with contact as (
			insert into public.contacts (tenant_id, wa_id, profile_name) values ($1, $3, $4) returning id
		)
		insert into public.conversations (tenant_id, number_id, contact_id, last_inbound_at, last_message_at)
		select $1, $2, id, now(), now() from contact returning id`,
		[tenant, number, waId, name]
	);
	return rows[0].id;
}

beforeAll(async () => {
	stack = await startTestStack();
	owner = await createUser(stack.db, 'replies-owner@example.test', { display_name: 'Olive Owner' });
	admin = await createUser(stack.db, 'replies-admin@example.test', { display_name: 'Ada Admin' });
	agent = await createUser(stack.db, 'replies-agent@example.test', { display_name: 'Arlo Agent' });
	outsider = await createUser(stack.db, 'replies-outsider@example.test');
	const ours = await workspaceWithTwilioNumber(stack.db, owner, 'replies', [
		[admin, 'admin'],
		[agent, 'agent']
	]);
	const theirs = await workspaceWithTwilioNumber(stack.db, outsider, 'replies-other', []);
	tenantId = ours.tenantId;
	otherTenantId = theirs.tenantId;
	conversationId = await conversationOn(tenantId, ours.numberId, '14155550101', 'Ana Gómez');
	otherConversationId = await conversationOn(
		otherTenantId,
		theirs.numberId,
		'14155550102',
		'Ben Other'
	);
});
afterAll(() => stack?.close());

const insertCanned = `insert into public.canned_responses (tenant_id, shortcut, title, body)
	values ($1, $2, $3, $4) returning id, shortcut, title, body`;

describe('canned responses', () => {
	it('an admin adds one, trimmed, and every member of the workspace reads it', async () => {
		const [created] = rowsOf(
			await commitAs<{ id: string; shortcut: string; title: string }>(
				stack.db,
				admin,
				insertCanned,
				[tenantId, ' /Greeting ', ' Greeting ', 'Hi {{customer_name}}, {{agent_name}} here.']
			)
		);
		expect(created).toMatchObject({ shortcut: 'greeting', title: 'Greeting' });
		for (const member of [owner, admin, agent]) {
			const seen = rowsOf(
				await attempt<{ shortcut: string }>(
					stack.db,
					member,
					'select shortcut from public.canned_responses where tenant_id = $1',
					[tenantId]
				)
			);
			expect(seen.map((row) => row.shortcut)).toContain('greeting');
		}
	});

	it("another workspace's member sees none of them", async () => {
		const seen = rowsOf(
			await attempt(
				stack.db,
				outsider,
				'select id from public.canned_responses where tenant_id = $1',
				[tenantId]
			)
		);
		expect(seen).toEqual([]);
		expect(
			failure(
				await attempt(stack.db, outsider, insertCanned, [tenantId, 'sneaky', 'Sneaky', 'Hello'])
			)
		).toMatchObject({ code: '42501' });
	});

	it('an agent reads but can neither add, change nor delete one', async () => {
		expect(
			failure(await attempt(stack.db, agent, insertCanned, [tenantId, 'mine', 'Mine', 'Hello']))
		).toMatchObject({ code: '42501' });
		const changed = await attempt(
			stack.db,
			agent,
			`update public.canned_responses set body = 'changed' where tenant_id = $1 returning id`,
			[tenantId]
		);
		expect(rowsOf(changed)).toEqual([]);
		const deleted = await attempt(
			stack.db,
			agent,
			'delete from public.canned_responses where tenant_id = $1 returning id',
			[tenantId]
		);
		expect(rowsOf(deleted)).toEqual([]);
		const { rows } = await stack.db.query<{ body: string }>(
			`select body from public.canned_responses where tenant_id = $1 and shortcut = 'greeting'`,
			[tenantId]
		);
		expect(rows[0].body).toBe('Hi {{customer_name}}, {{agent_name}} here.');
	});

	it('owners and admins change and delete them; a second "greeting" is refused', async () => {
		const changed = await attempt<{ body: string }>(
			stack.db,
			owner,
			`update public.canned_responses set body = 'Hello {{customer_first_name}}!'
			 where tenant_id = $1 and shortcut = 'greeting' returning body`,
			[tenantId]
		);
		expect(rowsOf(changed)).toEqual([{ body: 'Hello {{customer_first_name}}!' }]);
		expect(
			failure(
				await attempt(stack.db, admin, insertCanned, [tenantId, 'greeting', 'Again', 'Hello'])
			)
		).toMatchObject({ code: '23505' });
		const deleted = await attempt(
			stack.db,
			admin,
			`delete from public.canned_responses where tenant_id = $1 and shortcut = 'greeting' returning id`,
			[tenantId]
		);
		expect(rowsOf(deleted)).toHaveLength(1);
	});

	it('a shortcut with spaces is refused in a sentence', async () => {
		expect(
			failure(await attempt(stack.db, admin, insertCanned, [tenantId, 'two words', 'T', 'Hello']))
		).toEqual({
			code: '22023',
			message:
				'A shortcut is 1 to 32 lowercase letters, digits, hyphens or underscores, like "greeting".'
		});
	});
});

const insertNote = `insert into public.conversation_notes (conversation_id, body, mentioned_user_ids)
	values ($1, $2, $3) returning id, tenant_id, author_id, body, mentioned_user_ids`;

interface NoteRow {
	id: string;
	tenant_id: string;
	author_id: string;
	body: string;
	mentioned_user_ids: string[];
}

/** The mention notifications a user has about the conversation. */
async function mentionsOf(user: Actor, conversation: string) {
	const { rows } = await stack.db.query<{ title: string; body: string }>(
		`select title, body from public.notifications
		 where recipient_id = $1 and conversation_id = $2 and kind = 'mention' order by created_at`,
		[user.id, conversation]
	);
	return rows;
}

describe('internal notes', () => {
	it('an agent writes a note as themselves; the mentioned admin is notified, the outsider dropped', async () => {
		const [note] = rowsOf(
			await commitAs<NoteRow>(stack.db, agent, insertNote, [
				conversationId,
				'  @Ada Admin can you check the refund?  ',
				[admin.id, outsider.id]
			])
		);
		expect(note).toMatchObject({
			tenant_id: tenantId,
			author_id: agent.id,
			body: '@Ada Admin can you check the refund?',
			mentioned_user_ids: [admin.id]
		});
		expect(await mentionsOf(admin, conversationId)).toEqual([
			{
				title: 'Arlo Agent mentioned you in the conversation with Ana Gómez',
				body: '@Ada Admin can you check the refund?'
			}
		]);
		const { rows } = await stack.db.query(
			'select id from public.notifications where recipient_id = $1',
			[outsider.id]
		);
		expect(rows).toEqual([]);
		expect(await mentionsOf(agent, conversationId)).toEqual([]);
	});

	it('a note reaches the open chats on the conversation topic', async () => {
		const [note] = rowsOf(
			await commitAs<NoteRow>(stack.db, admin, insertNote, [conversationId, 'On it.', []])
		);
		const { rows } = await stack.db.query<{ payload: Record<string, unknown> }>(
			`select payload from realtime.messages
			 where topic = $1 and event = 'conversation_notes' order by ${broadcastsNewestFirst} limit 1`,
			[`conversation:${conversationId}`]
		);
		expect(rows[0].payload).toMatchObject({
			operation: 'INSERT',
			table: 'conversation_notes',
			record: { id: note.id, body: 'On it.', author_id: admin.id },
			old_record: null
		});
	});

	it('every member of the workspace reads the notes; another workspace sees none', async () => {
		for (const member of [owner, admin, agent]) {
			const seen = rowsOf(
				await attempt(
					stack.db,
					member,
					'select id from public.conversation_notes where conversation_id = $1',
					[conversationId]
				)
			);
			expect(seen).toHaveLength(2);
		}
		expect(
			rowsOf(
				await attempt(
					stack.db,
					outsider,
					'select id from public.conversation_notes where tenant_id = $1',
					[tenantId]
				)
			)
		).toEqual([]);
	});

	it("nobody writes a note in another workspace's conversation, or as someone else", async () => {
		expect(
			failure(
				await attempt(stack.db, outsider, insertNote, [conversationId, 'Let me in', [owner.id]])
			)
		).toEqual({
			code: 'P0002',
			message: 'That conversation does not exist, or you cannot see it.'
		});
		expect(
			failure(await attempt(stack.db, agent, insertNote, [otherConversationId, 'Hello there', []]))
		).toMatchObject({ code: 'P0002' });
		// author_id is not the caller's to choose: the database writes who is asking.
		expect(
			failure(
				await attempt(
					stack.db,
					agent,
					`insert into public.conversation_notes (conversation_id, body, author_id)
					 values ($1, 'Signed by the owner', $2)`,
					[conversationId, owner.id]
				)
			)
		).toMatchObject({ code: '42501' });
		expect(await mentionsOf(owner, conversationId)).toEqual([]);
	});

	it("a note's workspace is its conversation's, whatever the client names", async () => {
		const [note] = rowsOf(
			await attempt<NoteRow>(
				stack.db,
				agent,
				`insert into public.conversation_notes (tenant_id, conversation_id, body)
				 values ($1, $2, 'Filed under the other workspace?') returning tenant_id`,
				[otherTenantId, conversationId]
			)
		);
		expect(note.tenant_id).toBe(tenantId);
	});

	it('only its author deletes a note', async () => {
		const [note] = rowsOf(
			await commitAs<NoteRow>(stack.db, agent, insertNote, [conversationId, 'Typo, ignore', []])
		);
		const byOwner = await attempt(
			stack.db,
			owner,
			'delete from public.conversation_notes where id = $1 returning id',
			[note.id]
		);
		expect(rowsOf(byOwner)).toEqual([]);
		const byAuthor = await commitAs(
			stack.db,
			agent,
			'delete from public.conversation_notes where id = $1 returning id',
			[note.id]
		);
		expect(rowsOf(byAuthor)).toEqual([{ id: note.id }]);
		const { rows } = await stack.db.query<{ payload: Record<string, unknown> }>(
			`select payload from realtime.messages
			 where topic = $1 and event = 'conversation_notes' order by ${broadcastsNewestFirst} limit 1`,
			[`conversation:${conversationId}`]
		);
		expect(rows[0].payload).toMatchObject({ operation: 'DELETE', old_record: { id: note.id } });
	});

	it('nothing of a note appears among the messages or on the conversation row', async () => {
		const { rows: messages } = await stack.db.query(
			'select id from public.messages where conversation_id = $1',
			[conversationId]
		);
		expect(messages).toEqual([]);
		const { rows: conversation } = await stack.db.query<{
			last_message_preview: string | null;
			unread_count: number;
		}>('select last_message_preview, unread_count from public.conversations where id = $1', [
			conversationId
		]);
		expect(conversation).toEqual([{ last_message_preview: null, unread_count: 0 }]);
	});
});
