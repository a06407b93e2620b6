import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { signJwt } from '../../supabase/local/jwt.ts';
import { PUBLISHABLE_KEY } from '../../supabase/local/keys.ts';
import { requestRealtimeRecheck } from '../../supabase/local/realtime.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { Inbox, subscribed } from '../support/clients.ts';

let stack: TestStack;
const alice = randomUUID();
const bob = randomUUID();
const clients: SupabaseClient[] = [];

beforeAll(async () => {
	stack = await startTestStack();
	// Rooms whose members may read `room:<id>`; members with can_write may also broadcast there.
	await stack.db.exec(`
		create table public.rooms (id int primary key);
		create table public.room_members (
			room_id int not null references public.rooms (id),
			user_id uuid not null,
			can_write boolean not null default true,
			primary key (room_id, user_id)
		);
		create table public.room_messages (
			id bigint generated always as identity primary key,
			room_id int not null references public.rooms (id),
			body text not null
		);
		create function public.room_messages_broadcast() returns trigger
		language plpgsql security definer set search_path = '' as $$
		begin
			perform realtime.broadcast_changes('room:' || new.room_id, TG_OP, TG_OP, TG_TABLE_NAME, TG_TABLE_SCHEMA, new, old);
			return null;
		end $$;
		create trigger room_messages_broadcast after insert or update on public.room_messages
			for each row execute function public.room_messages_broadcast();

		create function public.room_member(topic text, writing boolean) returns boolean
		language sql stable security definer set search_path = '' as $$
			select exists (
				select 1 from public.room_members m
				where 'room:' || m.room_id = topic and m.user_id = (select auth.uid()) and (m.can_write or not writing)
			)
		$$;
		grant execute on function public.room_member(text, boolean) to authenticated;
		create policy "room members read their rooms" on realtime.messages for select to authenticated
			using (public.room_member(realtime.topic(), false));
		create policy "room members write their rooms" on realtime.messages for insert to authenticated
			with check (public.room_member(realtime.topic(), extension = 'broadcast'));

		insert into public.rooms values (1), (2), (3);
		insert into public.room_members (room_id, user_id, can_write) values
			(1, '${alice}', true), (2, '${bob}', true), (3, '${alice}', false), (3, '${bob}', true);
	`);
});

afterEach(async () => {
	for (const client of clients.splice(0)) await client.removeAllChannels();
});

afterAll(() => stack?.close());

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

describe('realtime: tokens', () => {
	it('refuses the upgrade with 401 for a forged, expired or missing apikey', async () => {
		const socketUrl = `${stack.url.replace('http', 'ws')}/realtime/v1/websocket?vsn=2.0.0`;
		const forged = stack.anonKey.slice(0, -4) + 'AAAA';
		const expired = await signJwt({ role: 'anon', exp: Math.floor(Date.now() / 1000) - 60 });
		for (const apikey of [forged, expired]) {
			const refused = await refusedUpgrade(`${socketUrl}&apikey=${apikey}`);
			expect(refused).toEqual({ status: 401, body: { error: expect.any(String) } });
		}
		expect((await refusedUpgrade(socketUrl)).status).toBe(401);
	});

	it('accepts the publishable key as the apikey', async () => {
		const client = createClient(stack.url, PUBLISHABLE_KEY, {
			realtime: { transport: WebSocket as never }
		});
		clients.push(client);
		const inbox = new Inbox<Broadcast>();
		const lobby = client.channel('lobby', { config: { broadcast: { ack: true, self: true } } });
		lobby.on('broadcast', { event: '*' }, inbox.push);
		await expect(subscribed(lobby)).resolves.toBeUndefined();
		expect(lobby.state).toBe('joined');
		// Joined and heard: the server acknowledges the client's broadcast and relays it back.
		expect(
			await lobby.send({ type: 'broadcast', event: 'hello', payload: { key: 'publishable' } })
		).toBe('ok');
		expect(await inbox.next()).toMatchObject({ event: 'hello', payload: { key: 'publishable' } });
	});

	it('closes a private channel when a pushed access_token may not read it', async () => {
		const user = await userClient(await userToken(alice));
		const system = new Inbox<{ status: string; message: string }>();
		const closed = new Inbox<void>();
		const room = user.client
			.channel('room:1', { config: { private: true } })
			.on('system', {}, system.push);
		await new Promise<void>((resolve) =>
			room.subscribe((status) => {
				if (status === 'SUBSCRIBED') resolve();
				if (status === 'CLOSED') closed.push();
			})
		);

		await user.setToken(await userToken(bob));
		expect(await system.next()).toMatchObject({
			extension: 'system',
			status: 'error',
			message: 'You no longer have permission to read from this Channel topic: room:1'
		});
		await closed.next();
	});

	it('keeps a private channel open when a refreshed token of the same user is pushed', async () => {
		const user = await userClient(await userToken(alice));
		const inbox = new Inbox<Broadcast>();
		const room = user.client
			.channel('room:1', { config: { private: true } })
			.on('broadcast', { event: 'note' }, inbox.push);
		await subscribed(room);
		await user.setToken(await userToken(alice, 7200));
		await stack.db.query(`select realtime.send('{"after":"refresh"}'::jsonb, 'note', 'room:1')`);
		expect((await inbox.next()).payload).toMatchObject({ after: 'refresh' });
	});

	it('stops delivering to a channel once its token expires', async () => {
		const user = await userClient(await userToken(alice, 2));
		const inbox = new Inbox<Broadcast>();
		const system = new Inbox<{ message: string }>();
		const room = user.client
			.channel('room:1', { config: { private: true } })
			.on('broadcast', { event: 'note' }, inbox.push)
			.on('system', {}, system.push);
		await subscribed(room);
		await stack.db.query(`select realtime.send('{"n":1}'::jsonb, 'note', 'room:1')`);
		await inbox.next();

		expect((await system.next()).message).toMatch(/^Token has expired/);
		await stack.db.query(`select realtime.send('{"n":2}'::jsonb, 'note', 'room:1')`);
		// A second, still valid subscriber proves the later message went out.
		const other = new Inbox<Broadcast>();
		const watcher = (await userClient(await userToken(alice))).client.channel('room:1', {
			config: { private: true }
		});
		watcher.on('broadcast', { event: 'note' }, other.push);
		await subscribed(watcher);
		await stack.db.query(`select realtime.send('{"n":3}'::jsonb, 'note', 'room:1')`);
		expect((await other.next()).payload).toMatchObject({ n: 3 });
		expect(inbox.items.map((item) => item.payload.n)).toEqual([1]);
	});

	it('closes the private channels of revoked sessions only', async () => {
		const revokedSession = randomUUID();
		const revoked = (await userClient(await userToken(alice, 3600, revokedSession))).client.channel(
			'room:1',
			{ config: { private: true } }
		);
		const kept = (await userClient(await userToken(alice))).client.channel('room:3', {
			config: { private: true }
		});
		const revokedSystem = new Inbox<{ message: string }>();
		revoked.on('system', {}, revokedSystem.push);
		const keptInbox = new Inbox<Broadcast>();
		kept.on('broadcast', { event: 'note' }, keptInbox.push);
		await Promise.all([subscribed(revoked), subscribed(kept)]);

		stack.context.events.emit('sessions-revoked', { userId: alice, sessionIds: [revokedSession] });
		expect((await revokedSystem.next()).message).toMatch(/session has ended/);
		await stack.db.query(`select realtime.send('{}'::jsonb, 'note', 'room:3')`);
		await keptInbox.next();
	});

	it('closes a channel when a re-check finds the user left the room', async () => {
		await stack.db.query(`insert into public.room_members (room_id, user_id) values (2, $1)`, [
			alice
		]);
		const room = (await userClient(await userToken(alice))).client.channel('room:2', {
			config: { private: true }
		});
		const system = new Inbox<{ message: string }>();
		room.on('system', {}, system.push);
		await subscribed(room);

		await stack.db.transaction(async (tx) => {
			await tx.query(`delete from public.room_members where room_id = 2 and user_id = $1`, [alice]);
			await requestRealtimeRecheck(tx, alice);
		});
		expect((await system.next()).message).toBe(
			'You no longer have permission to read from this Channel topic: room:2'
		);
	});
});

describe('realtime: Phoenix protocol', () => {
	it('speaks vsn 1.0.0: joins, database broadcasts and client broadcasts arrive as JSON', async () => {
		const client = (await userClient(await userToken(alice), { vsn: '1.0.0' })).client;
		const inbox = new Inbox<Broadcast>();
		const room = client
			.channel('room:1', { config: { private: true, broadcast: { self: true, ack: true } } })
			.on('broadcast', { event: '*' }, inbox.push);
		await subscribed(room);
		await stack.db.query(`select realtime.send('{"v":1}'::jsonb, 'note', 'room:1')`);
		const fromDatabase = await inbox.next();
		expect(fromDatabase).toMatchObject({
			event: 'note',
			payload: { v: 1 },
			meta: { id: fromDatabase.payload.id }
		});
		expect(await room.send({ type: 'broadcast', event: 'typing', payload: { v: 1 } })).toBe('ok');
		expect(await inbox.next()).toEqual({ type: 'broadcast', event: 'typing', payload: { v: 1 } });
	});

	it('answers heartbeats, echoes postgres_changes with ids and refuses unknown topics', async () => {
		const socket = await RawSocket.open(
			`${stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${stack.anonKey}&vsn=2.0.0`
		);
		try {
			socket.send([null, '1', 'phoenix', 'heartbeat', {}]);
			expect(await socket.frames.next()).toEqual([
				null,
				'1',
				'phoenix',
				'phx_reply',
				{ status: 'ok', response: {} }
			]);

			socket.send([
				'2',
				'2',
				'realtime:plain',
				'phx_join',
				{ config: { broadcast: { self: false }, private: false } }
			]);
			expect(await socket.frames.next()).toEqual([
				'2',
				'2',
				'realtime:plain',
				'phx_reply',
				{ status: 'ok', response: { postgres_changes: [] } }
			]);

			const filter = { event: 'INSERT', schema: 'public', table: 'room_messages' };
			socket.send([
				'3',
				'3',
				'realtime:changes',
				'phx_join',
				{ config: { postgres_changes: [filter] } }
			]);
			const reply = (await socket.frames.next()) as [
				string,
				string,
				string,
				string,
				{ response: { postgres_changes: unknown[] } }
			];
			expect(reply[4].response.postgres_changes).toEqual([{ ...filter, id: expect.any(Number) }]);

			// The join is followed by a system message saying postgres_changes is not served locally.
			expect(await socket.frames.next()).toMatchObject([
				'3',
				null,
				'realtime:changes',
				'system',
				{ status: 'error' }
			]);

			socket.send([
				'9',
				'4',
				'realtime:nowhere',
				'broadcast',
				{ type: 'broadcast', event: 'x', payload: {} }
			]);
			expect(await socket.frames.next()).toEqual([
				'9',
				'4',
				'realtime:nowhere',
				'phx_reply',
				{ status: 'error', response: { reason: 'unmatched topic' } }
			]);

			socket.send(['2', '5', 'realtime:plain', 'phx_leave', {}]);
			expect(await socket.frames.next()).toEqual([
				'2',
				'5',
				'realtime:plain',
				'phx_reply',
				{ status: 'ok', response: {} }
			]);
			socket.send([
				'2',
				'6',
				'realtime:plain',
				'broadcast',
				{ type: 'broadcast', event: 'x', payload: {} }
			]);
			expect(await socket.frames.next()).toMatchObject([
				'2',
				'6',
				'realtime:plain',
				'phx_reply',
				{ status: 'error' }
			]);
		} finally {
			socket.close();
		}
	});

	it('refuses a join whose access_token is expired with InvalidJWTToken', async () => {
		const client = stack.client();
		clients.push(client);
		await client.realtime.setAuth(
			await signJwt({ sub: alice, role: 'authenticated', exp: Math.floor(Date.now() / 1000) - 5 })
		);
		await expect(subscribed(client.channel('lobby'))).rejects.toThrow(
			/^InvalidJWTToken: Token has expired/
		);
	});

	it('drops a socket that stops reading instead of buffering without bound, while others keep receiving', async () => {
		const socketUrl = `${stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${stack.anonKey}&vsn=2.0.0`;
		const slow = await RawSocket.open(socketUrl);
		slow.send(['1', '1', 'realtime:flood', 'phx_join', { config: {} }]);
		await slow.frames.next();
		const healthy = new Inbox<Broadcast>();
		const watcher = stack.client();
		clients.push(watcher);
		await subscribed(watcher.channel('flood').on('broadcast', { event: 'last' }, healthy.push));

		const closed = new Promise<number>((resolve) => slow.ws.once('close', (code) => resolve(code)));
		slow.pauseReading();
		const chunk = 'x'.repeat(1024 * 1024);
		// Far more than the per-socket limit plus what the kernel buffers on loopback.
		for (let sent = 0; sent < 64; sent++) {
			await fetch(`${stack.url}/realtime/v1/api/broadcast`, {
				method: 'POST',
				headers: { apikey: stack.serviceRoleKey, 'content-type': 'application/json' },
				body: JSON.stringify({ messages: [{ topic: 'flood', event: 'bulk', payload: { chunk } }] })
			});
		}
		await fetch(`${stack.url}/realtime/v1/api/broadcast`, {
			method: 'POST',
			headers: { apikey: stack.serviceRoleKey, 'content-type': 'application/json' },
			body: JSON.stringify({ messages: [{ topic: 'flood', event: 'last', payload: {} }] })
		});
		expect((await healthy.next()).event).toBe('last');
		slow.resumeReading();
		expect(await closed).toBe(1006);
	});
});

type Broadcast = {
	type: string;
	event: string;
	payload: Record<string, unknown> & { id?: string; n?: number };
	meta?: { id: string };
};

function userToken(sub: string, seconds = 3600, sessionId: string = randomUUID()): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	return signJwt({
		sub,
		role: 'authenticated',
		aud: 'authenticated',
		iat: now,
		exp: now + seconds,
		session_id: sessionId
	});
}

/**
 * A supabase-js client acting with a user's token. supabase-js re-reads the realtime token from its
 * `accessToken` source after every join and heartbeat, so the token lives there; `setToken` changes
 * it and pushes it to joined channels with `realtime.setAuth`, as a token refresh does.
 */
async function userClient(token: string, realtime: { vsn?: string } = {}) {
	let current = token;
	const client = createClient(stack.url, stack.anonKey, {
		accessToken: async () => current,
		realtime: { transport: WebSocket as never, ...realtime }
	});
	clients.push(client);
	// Joins carry the token only once supabase-js has read it from its source; wait for that.
	await client.realtime.setAuth(token);
	return {
		client,
		async setToken(next: string) {
			current = next;
			await client.realtime.setAuth(next);
		}
	};
}

/** A raw Phoenix socket, for protocol details supabase-js hides. */
class RawSocket {
	readonly frames = new Inbox<unknown>();
	private constructor(readonly ws: WebSocket) {
		ws.on('message', (data, isBinary) =>
			this.frames.push(isBinary ? data : JSON.parse(data.toString()))
		);
	}

	static open(url: string): Promise<RawSocket> {
		const ws = new WebSocket(url);
		return new Promise((resolve, reject) => {
			ws.once('open', () => resolve(new RawSocket(ws)));
			ws.once('error', reject);
		});
	}

	send(frame: unknown): void {
		this.ws.send(JSON.stringify(frame));
	}

	close(): void {
		this.ws.close();
	}

	private get tcp(): Socket {
		// ws keeps the TCP socket private; pausing it is how a client that stops reading looks.
		return (this.ws as unknown as { _socket: Socket })._socket;
	}

	pauseReading(): void {
		this.tcp.pause();
	}

	resumeReading(): void {
		this.tcp.resume();
	}
}

/** Opens a websocket the server refuses, giving back the HTTP status and JSON body. */
function refusedUpgrade(url: string): Promise<{ status: number; body: unknown }> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url);
		ws.once('open', () => reject(new Error('the socket was accepted')));
		ws.once('unexpected-response', (_request, response) => {
			let text = '';
			response.on('data', (chunk: Buffer) => (text += chunk.toString()));
			response.on('end', () =>
				resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) })
			);
		});
		ws.once('error', () => undefined);
	});
}
