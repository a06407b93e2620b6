import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { Inbox, signedIn, subscribed } from '../support/clients.ts';
import { createUser, workspaceWithTwilioNumber, type Actor } from '../db/support.ts';

// The attacker is a member of the workspace with the chat open. conversation:<id> carries what the
// database sends (messages, reactions); a member's broadcast there must never reach a teammate.
// Typing and presence live on conversation-activity:<id>, which members may send on.

let stack: TestStack;
let attacker: SupabaseClient, teammate: SupabaseClient, outsider: SupabaseClient;
let attackerActor: Actor;
let conversationId: string;
const clients: SupabaseClient[] = [];

beforeAll(async () => {
	stack = await startTestStack();
	const owner = await createUser(stack.db, 'topics-owner@example.test');
	attackerActor = await createUser(stack.db, 'topics-agent@example.test');
	const stranger = await createUser(stack.db, 'topics-stranger@example.test');
	const { tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'topics', [
		[attackerActor, 'agent']
	]);
	await workspaceWithTwilioNumber(stack.db, stranger, 'topics-other', []);
	const { rows } = await stack.db.query<{ id: string }>(
		`with contact as (
			insert into public.contacts (tenant_id, wa_id, profile_name) values ($1, '14155550123', 'Ana')
			returning id
		)
		insert into public.conversations (tenant_id, number_id, contact_id)
		select $1, $2, id from contact returning id`,
		[tenantId, numberId]
	);
	conversationId = rows[0].id;
	attacker = await signedIn(stack, attackerActor);
	teammate = await signedIn(stack, owner);
	outsider = await signedIn(stack, stranger);
	clients.push(attacker, teammate, outsider);
});

// supabase-js hands out one channel object per topic and client: each test starts with none.
afterEach(async () => {
	for (const client of clients) await client.removeAllChannels();
});

afterAll(() => stack?.close());

type Broadcast = { event: string; payload: Record<string, unknown> };

const fakeMessage = () => ({
	operation: 'INSERT',
	table: 'messages',
	schema: 'public',
	record: {
		id: '00000000-0000-4000-8000-000000000001',
		conversation_id: conversationId,
		direction: 'inbound',
		sender: 'customer',
		body: 'Your account is locked: sign in again at https://example.test/phish'
	},
	old_record: null
});

describe('realtime: server-owned conversation topics accept no client broadcasts', () => {
	it("a member's messages broadcast on conversation:<id> never reaches a teammate; typing on the activity topic does", async () => {
		const chat = `conversation:${conversationId}`;
		const activity = `conversation-activity:${conversationId}`;
		const teammateChat = new Inbox<Broadcast>();
		const teammateActivity = new Inbox<Broadcast>();
		const teammateChatChannel = teammate
			.channel(chat, { config: { private: true } })
			.on('broadcast', { event: '*' }, teammateChat.push);
		const teammateActivityChannel = teammate
			.channel(activity, { config: { private: true } })
			.on('broadcast', { event: '*' }, teammateActivity.push);
		const attackerChat = attacker.channel(chat, {
			config: { private: true, presence: { key: 'attacker' } }
		});
		const attackerActivity = attacker.channel(activity, { config: { private: true } });
		await Promise.all(
			[teammateChatChannel, teammateActivityChannel, attackerChat, attackerActivity].map(subscribed)
		);

		// Over the socket and over HTTP, as a client library can.
		await attackerChat.send({ type: 'broadcast', event: 'messages', payload: fakeMessage() });
		await attackerChat.httpSend('messages', fakeMessage());
		// Presence on the conversation topic is refused too: nobody can pose as a viewer there.
		expect(await attackerChat.track({ userId: attackerActor.id, name: 'Support' })).toBe('error');

		// The server handles one socket's frames in order and relays at once, and both of the
		// teammate's channels share one socket: once the typing arrives, a relayed fake would have too.
		await attackerActivity.send({
			type: 'broadcast',
			event: 'typing',
			payload: { userId: attackerActor.id, name: 'Agent' }
		});
		expect(await teammateActivity.next()).toMatchObject({
			event: 'typing',
			payload: { userId: attackerActor.id, name: 'Agent' }
		});
		expect(teammateChat.items).toEqual([]);

		// What the database sends on the conversation topic still arrives.
		await stack.db.query(`select realtime.send($1::jsonb, 'messages', $2)`, [
			JSON.stringify({ operation: 'INSERT', record: { body: 'from the database' } }),
			chat
		]);
		expect(await teammateChat.next()).toMatchObject({
			event: 'messages',
			payload: { record: { body: 'from the database' } }
		});
		expect(teammateChat.items).toHaveLength(1);
	});

	it('members see each other on the activity topic through presence', async () => {
		const activity = `conversation-activity:${conversationId}`;
		const synced = new Inbox<void>();
		const teammateChannel = teammate
			.channel(activity, { config: { private: true, presence: { key: 'teammate' } } })
			.on('presence', { event: 'sync' }, synced.push);
		await subscribed(teammateChannel);
		const attackerChannel = attacker.channel(activity, {
			config: { private: true, presence: { key: 'agent' } }
		});
		await subscribed(attackerChannel);
		expect(await attackerChannel.track({ name: 'Agent' })).toBe('ok');
		while (!('agent' in teammateChannel.presenceState())) await synced.next();
		expect(teammateChannel.presenceState().agent).toEqual([
			expect.objectContaining({ name: 'Agent' })
		]);
	});

	it('a member of another tenant can neither join nor send on the activity topic', async () => {
		const activity = `conversation-activity:${conversationId}`;
		const teammateInbox = new Inbox<Broadcast>();
		const teammateChannel = teammate
			.channel(activity, { config: { private: true } })
			.on('broadcast', { event: '*' }, teammateInbox.push);
		await subscribed(teammateChannel);

		const foreign = outsider.channel(activity, { config: { private: true } });
		await expect(subscribed(foreign)).rejects.toThrow(
			`Unauthorized: You do not have permissions to read from this Channel topic: ${activity}`
		);
		// Sending without joining: the HTTP broadcast API checks the write policy for the token.
		const sent = await fetch(`${stack.url}/realtime/v1/api/broadcast`, {
			method: 'POST',
			headers: {
				apikey: stack.anonKey,
				authorization: `Bearer ${(await outsider.auth.getSession()).data.session!.access_token}`,
				'content-type': 'application/json'
			},
			body: JSON.stringify({
				messages: [
					{ topic: activity, event: 'typing', payload: { name: 'Intruder' }, private: true }
				]
			})
		});
		expect(sent.status).toBe(202);

		const attackerChannel = attacker.channel(activity, { config: { private: true } });
		await subscribed(attackerChannel);
		await attackerChannel.send({ type: 'broadcast', event: 'typing', payload: { name: 'Agent' } });
		expect(await teammateInbox.next()).toMatchObject({ payload: { name: 'Agent' } });
		expect(teammateInbox.items).toHaveLength(1);
	});
});
