/** Realtime: the Phoenix protocol itself (vsn 1.0.0 and 2.0.0, heartbeats, postgres_changes ids, unknown topics) and slow readers. */
import { beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../supabase/local/jwt.ts';
import type { TestStack } from '../support/stack.ts';
import { Inbox, subscribed } from '../support/clients.ts';
import { RawSocket, useRealtimeRooms, userToken, type Broadcast } from './realtime-rooms.ts';

const rooms = useRealtimeRooms();
const { alice, clients, userClient } = rooms;
let stack: TestStack;
beforeAll(() => {
	stack = rooms.stack;
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
