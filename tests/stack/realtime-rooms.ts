/**
 * The realtime suites' shared world: a stack whose `room:<id>` topics are readable by room members
 * (and writable by those with can_write), two users, and helpers for tokens, clients and raw sockets.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { signJwt } from '../../supabase/local/jwt.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { Inbox } from '../support/clients.ts';

export interface RealtimeRooms {
	readonly stack: TestStack;
	/** Member of rooms 1 and 3 (read-only in 3). */
	alice: string;
	/** Member of rooms 2 and 3. */
	bob: string;
	/** Clients the current test opened; their channels are removed after each test. */
	clients: SupabaseClient[];
	userClient(
		token: string,
		realtime?: { vsn?: string }
	): Promise<{ client: SupabaseClient; setToken(next: string): Promise<void> }>;
}

/** Registers the suite's hooks: a stack with the rooms schema before all, cleanup after each and all. */
export function useRealtimeRooms(): RealtimeRooms {
	const alice = randomUUID();
	const bob = randomUUID();
	let started: TestStack | undefined;
	const fixture: RealtimeRooms = {
		get stack(): TestStack {
			if (!started) throw new Error('the realtime stack is used before its beforeAll started it');
			return started;
		},
		alice,
		bob,
		clients: [],
		/**
		 * A supabase-js client acting with a user's token. supabase-js re-reads the realtime token from its
		 * `accessToken` source after every join and heartbeat, so the token lives there; `setToken` changes
		 * it and pushes it to joined channels with `realtime.setAuth`, as a token refresh does.
		 */
		async userClient(token: string, realtime: { vsn?: string } = {}) {
			let current = token;
			const client = createClient(fixture.stack.url, fixture.stack.anonKey, {
				accessToken: async () => current,
				realtime: { transport: WebSocket as never, ...realtime }
			});
			fixture.clients.push(client);
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
	};

	beforeAll(async () => {
		started = await startTestStack();
		await fixture.stack.db.exec(`
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
		for (const client of fixture.clients.splice(0)) await client.removeAllChannels();
	});
	afterAll(() => started?.close());
	return fixture;
}

export type Broadcast = {
	type: string;
	event: string;
	payload: Record<string, unknown> & { id?: string; n?: number };
	meta?: { id: string };
};

export function userToken(
	sub: string,
	seconds = 3600,
	sessionId: string = randomUUID()
): Promise<string> {
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

/** A raw Phoenix socket, for protocol details supabase-js hides. */
export class RawSocket {
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
export function refusedUpgrade(url: string): Promise<{ status: number; body: unknown }> {
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
