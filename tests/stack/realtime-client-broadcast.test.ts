/** Realtime: broadcasts sent by clients (ack, self, binary, httpSend, write policies) and presence. */
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

describe('realtime: client broadcast and presence', () => {
	it('acknowledges a broadcast and echoes it to the sender with self', async () => {
		const bobInbox = new Inbox<Broadcast>();
		const aliceInbox = new Inbox<Broadcast>();
		const bobRoom = (await userClient(await userToken(bob))).client.channel('room:3', {
			config: { private: true, broadcast: { ack: true, self: true } }
		});
		bobRoom.on('broadcast', { event: 'typing' }, bobInbox.push);
		const aliceRoom = (await userClient(await userToken(alice))).client.channel('room:3', {
			config: { private: true }
		});
		aliceRoom.on('broadcast', { event: 'typing' }, aliceInbox.push);
		await Promise.all([subscribed(bobRoom), subscribed(aliceRoom)]);

		expect(
			await bobRoom.send({ type: 'broadcast', event: 'typing', payload: { who: 'bob' } })
		).toBe('ok');
		expect(await bobInbox.next()).toEqual({
			type: 'broadcast',
			event: 'typing',
			payload: { who: 'bob' }
		});
		expect(await aliceInbox.next()).toEqual({
			type: 'broadcast',
			event: 'typing',
			payload: { who: 'bob' }
		});
	});

	it('relays binary payloads and accepts httpSend on a public channel', async () => {
		const inbox = new Inbox<{ event: string; payload: unknown }>();
		const client = stack.client();
		clients.push(client);
		const room = client.channel('binary-room', {
			config: { broadcast: { self: true, ack: true } }
		});
		room.on('broadcast', { event: '*' }, inbox.push);
		await subscribed(room);
		expect(
			await room.send({
				type: 'broadcast',
				event: 'bytes',
				payload: new Uint8Array([1, 2, 3]).buffer
			})
		).toBe('ok');
		const bytes = await inbox.next();
		expect(bytes.event).toBe('bytes');
		expect([...new Uint8Array(bytes.payload as ArrayBuffer)]).toEqual([1, 2, 3]);

		await expect(room.httpSend('over-http', { via: 'rest' })).resolves.toEqual({ success: true });
		expect(await inbox.next()).toMatchObject({ event: 'over-http', payload: { via: 'rest' } });
	});

	it('does not echo a broadcast to the sender without self', async () => {
		const bobInbox = new Inbox<Broadcast>();
		const bobRoom = (await userClient(await userToken(bob))).client.channel('room:2', {
			config: { private: true, broadcast: { ack: true } }
		});
		bobRoom.on('broadcast', { event: '*' }, bobInbox.push);
		await subscribed(bobRoom);
		expect(await bobRoom.send({ type: 'broadcast', event: 'typing', payload: {} })).toBe('ok');
		await stack.db.query(`select realtime.send('{}'::jsonb, 'after', 'room:2')`);
		expect((await bobInbox.next()).event).toBe('after');
		expect(bobInbox.items).toHaveLength(1);
	});

	it('drops broadcasts from a member without write permission', async () => {
		const bobPrivate = new Inbox<Broadcast>();
		const bobPublic = new Inbox<Broadcast>();
		const aliceClient = (await userClient(await userToken(alice))).client;
		const bobClient = (await userClient(await userToken(bob))).client;
		const alicePrivate = aliceClient.channel('room:3', { config: { private: true } });
		const alicePublic = aliceClient.channel('lobby', { config: { broadcast: { ack: true } } });
		const bobRoom = bobClient
			.channel('room:3', { config: { private: true } })
			.on('broadcast', { event: '*' }, bobPrivate.push);
		const bobLobby = bobClient.channel('lobby').on('broadcast', { event: '*' }, bobPublic.push);
		await Promise.all([alicePrivate, alicePublic, bobRoom, bobLobby].map(subscribed));

		await alicePrivate.send({ type: 'broadcast', event: 'typing', payload: { who: 'alice' } });
		// The server handles a socket's frames in order, so once the lobby message is through, the
		// private one has been relayed or dropped.
		expect(await alicePublic.send({ type: 'broadcast', event: 'hello', payload: {} })).toBe('ok');
		expect((await bobPublic.next()).event).toBe('hello');
		expect(bobPrivate.items).toEqual([]);
	});

	it('syncs presence between two clients: state, join and leave', async () => {
		const aliceClient = (await userClient(await userToken(alice))).client;
		const bobClient = (await userClient(await userToken(bob))).client;
		const joins = new Inbox<{ key: string; newPresences: Record<string, unknown>[] }>();
		const leaves = new Inbox<{ key: string; leftPresences: Record<string, unknown>[] }>();
		const bobRoom = bobClient
			.channel('room:3', { config: { private: true, presence: { key: 'bob' } } })
			.on('presence', { event: 'join' }, joins.push)
			.on('presence', { event: 'leave' }, leaves.push);
		await subscribed(bobRoom);
		expect(await bobRoom.track({ status: 'here' })).toBe('ok');
		expect((await joins.next()).key).toBe('bob');

		const aliceRoom = aliceClient.channel('room:3', {
			config: { private: true, presence: { key: 'alice' } }
		});
		const aliceSynced = new Inbox<void>();
		aliceRoom.on('presence', { event: 'sync' }, aliceSynced.push);
		await subscribed(aliceRoom);
		await aliceSynced.next();
		expect(Object.keys(aliceRoom.presenceState())).toEqual(['bob']);

		expect(await aliceRoom.track({ status: 'typing' })).toBe('ok');
		const aliceJoin = await joins.next();
		expect(aliceJoin.key).toBe('alice');
		expect(aliceJoin.newPresences[0]).toMatchObject({
			status: 'typing',
			presence_ref: expect.any(String)
		});
		expect(Object.keys(bobRoom.presenceState()).sort()).toEqual(['alice', 'bob']);

		await aliceClient.removeChannel(aliceRoom);
		const aliceLeave = await leaves.next();
		expect(aliceLeave.key).toBe('alice');
		expect(Object.keys(bobRoom.presenceState())).toEqual(['bob']);
	});
});
