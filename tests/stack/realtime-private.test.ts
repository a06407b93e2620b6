/** Realtime: private channels authorized by RLS on realtime.messages, and broadcasts from the database (realtime.broadcast_changes, realtime.send) and from the HTTP API. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../support/stack.ts';
import { Inbox, subscribed } from '../support/clients.ts';
import { useRealtimeRooms, userToken, type Broadcast } from './realtime-rooms.ts';

const rooms = useRealtimeRooms();
const { alice, bob, clients, userClient } = rooms;
let stack: TestStack;
beforeAll(() => {
	stack = rooms.stack;
});

describe('realtime: private channels and broadcast from the database', () => {
	it('delivers a trigger broadcast to members of the room only, with Supabase payload shape', async () => {
		const aliceInbox = new Inbox<Broadcast>();
		const bobInbox = new Inbox<Broadcast>();
		const aliceRoom = (await userClient(await userToken(alice))).client.channel('room:1', {
			config: { private: true }
		});
		aliceRoom.on('broadcast', { event: '*' }, aliceInbox.push);
		const bobRoom = (await userClient(await userToken(bob))).client.channel('room:2', {
			config: { private: true }
		});
		bobRoom.on('broadcast', { event: '*' }, bobInbox.push);
		await Promise.all([subscribed(aliceRoom), subscribed(bobRoom)]);

		await stack.db.query(`insert into public.room_messages (room_id, body) values (2, 'for bob')`);
		await stack.db.query(
			`insert into public.room_messages (room_id, body) values (1, 'for alice')`
		);

		const received = await aliceInbox.next();
		expect(received).toEqual({
			type: 'broadcast',
			event: 'INSERT',
			meta: { id: expect.any(String) },
			payload: {
				id: received.meta?.id,
				operation: 'INSERT',
				record: { id: expect.any(Number), room_id: 1, body: 'for alice' },
				old_record: null,
				schema: 'public',
				table: 'room_messages'
			}
		});
		expect((await bobInbox.next()).payload).toMatchObject({
			record: { room_id: 2, body: 'for bob' }
		});
		expect(aliceInbox.items).toHaveLength(1);
	});

	it('refuses to join a room the user is not a member of, with the Unauthorized reason', async () => {
		const channel = (await userClient(await userToken(alice))).client.channel('room:2', {
			config: { private: true }
		});
		await expect(subscribed(channel)).rejects.toThrow(
			'Unauthorized: You do not have permissions to read from this Channel topic: room:2'
		);
	});

	it('refuses a private channel to the anon key', async () => {
		const client = stack.client();
		clients.push(client);
		await expect(
			subscribed(client.channel('room:1', { config: { private: true } }))
		).rejects.toThrow(
			'Unauthorized: You do not have permissions to read from this Channel topic: room:1'
		);
	});

	it('delivers realtime.send from SQL, keeping private and public topics of one name apart', async () => {
		const privateInbox = new Inbox<Broadcast>();
		const publicInbox = new Inbox<Broadcast>();
		// One supabase-js client holds one channel per topic name, so each channel gets its own client.
		const privateRoom = (await userClient(await userToken(alice))).client
			.channel('room:1', { config: { private: true } })
			.on('broadcast', { event: 'note' }, privateInbox.push);
		const publicRoom = (await userClient(await userToken(alice))).client
			.channel('room:1')
			.on('broadcast', { event: 'note' }, publicInbox.push);
		await Promise.all([subscribed(privateRoom), subscribed(publicRoom)]);

		await stack.db.query(
			`select realtime.send('{"text":"in public"}'::jsonb, 'note', 'room:1', false)`
		);
		await stack.db.query(`select realtime.send('{"text":"in private"}'::jsonb, 'note', 'room:1')`);

		const privateNote = await privateInbox.next();
		expect(privateNote).toMatchObject({
			event: 'note',
			payload: { text: 'in private', id: privateNote.meta?.id }
		});
		expect((await publicInbox.next()).payload).toMatchObject({ text: 'in public' });
		expect(privateInbox.items).toHaveLength(1);
	});

	it('delivers a service-role HTTP broadcast to a private channel', async () => {
		const inbox = new Inbox<Broadcast>();
		const room = (await userClient(await userToken(alice))).client.channel('room:1', {
			config: { private: true }
		});
		room.on('broadcast', { event: 'ping' }, inbox.push);
		await subscribed(room);

		const response = await fetch(`${stack.url}/realtime/v1/api/broadcast`, {
			method: 'POST',
			headers: { apikey: stack.serviceRoleKey, 'content-type': 'application/json' },
			body: JSON.stringify({
				messages: [{ topic: 'room:1', event: 'ping', payload: { n: 1 }, private: true }]
			})
		});
		expect(response.status).toBe(202);
		expect(await inbox.next()).toMatchObject({
			type: 'broadcast',
			event: 'ping',
			payload: { n: 1 }
		});
	});
});
