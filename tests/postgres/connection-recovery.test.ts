import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { signJwt } from '../../supabase/local/jwt.ts';
import { startTestStack, testDatabaseServer, type TestStack } from '../support/stack.ts';
import { Inbox, subscribed } from '../support/clients.ts';

// The server ends the stack's sessions under it, as a restart or an administrator would: the stack
// must answer the requests caught in it with 503, keep serving, LISTEN again, and deliver the
// broadcasts committed while it could not read them.

/** Waiting for the server to show a session (or drop one) can take a moment on a busy machine. */
const POLL = { timeout: 15_000, interval: 50 };

let stack: TestStack;
/** A superuser session on the server's own database, for ALTER DATABASE on the stack's. */
let server: pg.Client;
/** A superuser session on the stack's database, kept open while it refuses new connections. */
let admin: pg.Client;
let database: string;
const alice = randomUUID();
const clients: SupabaseClient[] = [];

interface Broadcast {
	event: string;
	payload: { record?: { body?: string } };
}

beforeAll(async () => {
	if (!testDatabaseServer)
		throw new Error(
			'These tests need a PostgreSQL server: set PARLEY_TEST_DATABASE_URL to a superuser URL.'
		);
	stack = await startTestStack();
	database = (await stack.db.query<{ name: string }>('select current_database() as name')).rows[0]
		.name;
	const url = new URL(testDatabaseServer);
	url.pathname = `/${database}`;
	admin = new pg.Client({ connectionString: url.toString() });
	await admin.connect();
	server = new pg.Client({ connectionString: testDatabaseServer });
	await server.connect();
	await admin.query(`
		create table public.room_messages (
			id bigint generated always as identity primary key,
			room_id int not null,
			body text not null
		);
		alter table public.room_messages enable row level security;
		create policy "anyone signed in reads room messages" on public.room_messages
			for select to authenticated using (true);
		grant select on public.room_messages to authenticated;
		create function public.room_messages_broadcast() returns trigger
		language plpgsql security definer set search_path = '' as $$
		begin
			perform realtime.broadcast_changes('room:' || new.room_id, TG_OP, TG_OP, TG_TABLE_NAME, TG_TABLE_SCHEMA, new, old);
			return null;
		end $$;
		create trigger room_messages_broadcast after insert on public.room_messages
			for each row execute function public.room_messages_broadcast();
		create policy "alice reads room 1" on realtime.messages for select to authenticated
			using (realtime.topic() = 'room:1' and (select auth.uid()) = '${alice}');
		create function public.hold(seconds double precision) returns int
		language sql as $$ select 1 from pg_sleep(seconds) $$;
		grant execute on function public.hold(double precision) to authenticated;
		notify pgrst, 'reload schema';
	`);
	// The REST schema cache reloads on that notification; wait until it knows the table.
	await vi.waitFor(
		async () => {
			const response = await fetch(`${stack.url}/rest/v1/room_messages?select=body`, {
				headers: { apikey: stack.serviceRoleKey }
			});
			if (response.status !== 200) throw new Error(`REST answered ${response.status}`);
		},
		{ timeout: 10_000, interval: 50 }
	);
});

afterAll(async () => {
	await server?.query(`alter database ${database} allow_connections true`).catch(() => undefined);
	await server?.end();
	await admin?.end();
	for (const client of clients) await client.removeAllChannels();
	await stack?.close();
});

async function aliceClient(): Promise<SupabaseClient> {
	const token = await signJwt({
		sub: alice,
		role: 'authenticated',
		aud: 'authenticated',
		exp: Math.floor(Date.now() / 1000) + 3600,
		session_id: randomUUID()
	});
	const client = createClient(stack.url, stack.anonKey, {
		accessToken: async () => token,
		realtime: { transport: WebSocket as never }
	});
	await client.realtime.setAuth(token);
	clients.push(client);
	return client;
}

/** Alice's client with her private channel on room:1 joined, and the broadcasts it receives. */
async function aliceInRoom1(): Promise<{ client: SupabaseClient; inbox: Inbox<Broadcast> }> {
	const client = await aliceClient();
	const inbox = new Inbox<Broadcast>();
	const room = client.channel('room:1', { config: { private: true } });
	room.on('broadcast', { event: '*' }, inbox.push);
	await subscribed(room);
	return { client, inbox };
}

/** Backend pids of the stack's sessions of one kind (pool or LISTEN). */
async function stackBackends(applicationName: string): Promise<number[]> {
	const { rows } = await admin.query<{ pid: number }>(
		`select pid from pg_stat_activity where datname = $1 and application_name = $2`,
		[database, applicationName]
	);
	return rows.map((row) => row.pid);
}

async function terminate(pids: number[]): Promise<void> {
	await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) pid', [pids]);
}

describe('the local stack on PostgreSQL when the server ends its connections', () => {
	it('answers a request whose connection is terminated with 503 and keeps serving', async () => {
		const client = await aliceClient();
		// A query builder runs when it is awaited; `then` sends it now.
		const held = client.rpc('hold', { seconds: 30 }).then((answer) => answer);
		await expect
			.poll(async () => {
				const { rows } = await admin.query<{ pid: number }>(
					`select pid from pg_stat_activity
					 where datname = $1 and application_name = 'parley-stack' and query like '%hold%'`,
					[database]
				);
				return rows.map((row) => row.pid);
			}, POLL)
			.toHaveLength(1);
		await terminate(await stackBackends('parley-stack'));

		const { error, status } = await held;
		expect(status).toBe(503);
		expect(error?.code).toBe('57P01');

		// The pool drops the dead sessions and opens new ones (a GET answered 503 on the way is
		// retried by supabase-js).
		const { data, error: readError } = await client.from('room_messages').select('body');
		expect(readError).toBeNull();
		expect(data).toEqual([]);
	});

	it('LISTENs again after its session is terminated and delivers what was committed meanwhile, once', async () => {
		const { client, inbox } = await aliceInRoom1();

		// Nobody may open a session for a while: the stack cannot LISTEN again yet, nor serve REST.
		await server.query(`alter database ${database} allow_connections false`);
		const listener = await stackBackends('parley-stack-listen');
		expect(listener).toHaveLength(1);
		await terminate([...listener, ...(await stackBackends('parley-stack'))]);
		await expect.poll(() => stackBackends('parley-stack-listen'), POLL).toEqual([]);

		await admin.query(`insert into public.room_messages (room_id, body) values (1, 'while down')`);
		const refused = await fetch(`${stack.url}/rest/v1/room_messages?select=body`, {
			method: 'POST',
			headers: {
				apikey: stack.anonKey,
				authorization: `Bearer ${stack.serviceRoleKey}`,
				'content-type': 'application/json'
			},
			body: JSON.stringify({ room_id: 1, body: 'refused' })
		});
		expect(refused.status).toBe(503);
		expect(await refused.json()).toMatchObject({
			code: '08001',
			message: expect.stringContaining('try again in a moment')
		});

		await server.query(`alter database ${database} allow_connections true`);
		expect((await inbox.next()).payload.record?.body).toBe('while down');
		await expect.poll(() => stackBackends('parley-stack-listen'), POLL).toHaveLength(1);

		await admin.query(`insert into public.room_messages (room_id, body) values (1, 'after')`);
		expect((await inbox.next()).payload.record?.body).toBe('after');
		expect(inbox.items.map((item) => item.payload.record?.body)).toEqual(['while down', 'after']);

		const { data, error } = await client.from('room_messages').select('body').order('id');
		expect(error).toBeNull();
		expect(data).toEqual([{ body: 'while down' }, { body: 'after' }]);
	});

	it('delivers a transaction that commits after later ones, once, when it commits', async () => {
		const { inbox } = await aliceInRoom1();

		// A long transaction writes first and commits last: reads in between must not skip it.
		const url = new URL(testDatabaseServer!);
		url.pathname = `/${database}`;
		const writer = new pg.Client({ connectionString: url.toString() });
		await writer.connect();
		try {
			await writer.query('begin');
			await writer.query(`insert into public.room_messages (room_id, body) values (1, 'slow')`);
			await admin.query(`insert into public.room_messages (room_id, body) values (1, 'quick')`);
			expect((await inbox.next()).payload.record?.body).toBe('quick');
			await writer.query('commit');
			expect((await inbox.next()).payload.record?.body).toBe('slow');
			await admin.query(`insert into public.room_messages (room_id, body) values (1, 'last')`);
			expect((await inbox.next()).payload.record?.body).toBe('last');
			expect(inbox.items.map((item) => item.payload.record?.body)).toEqual([
				'quick',
				'slow',
				'last'
			]);
		} finally {
			await writer.end();
		}
	});

	it('after losing its sessions it also reads rows whose transaction id it had taken as finished', async () => {
		// A crash can hand the id of an aborted transaction whose WAL never reached the disk to a new
		// transaction. Forged here: rows given the id of a transaction that finished long ago.
		const { inbox } = await aliceInRoom1();
		const finished = (
			await admin.query<{ xid: string }>('select pg_current_xact_id()::text as xid')
		).rows[0].xid;
		const insertWithId = (body: string) =>
			admin.query(
				`insert into realtime.messages (topic, extension, event, private, payload, xid)
				 values ('room:1', 'broadcast', 'INSERT', true, jsonb_build_object('record', jsonb_build_object('body', $1::text)), $2::xid8)`,
				[body, finished]
			);
		// Once a read has passed that transaction, its id alone does not bring a row back.
		await admin.query(`insert into public.room_messages (room_id, body) values (1, 'past it')`);
		expect((await inbox.next()).payload.record?.body).toBe('past it');
		await insertWithId('forged');
		await admin.query(`insert into public.room_messages (room_id, body) values (1, 'marker')`);
		expect((await inbox.next()).payload.record?.body).toBe('marker');

		await server.query(`alter database ${database} allow_connections false`);
		await terminate(await stackBackends('parley-stack'));
		await insertWithId('reused');
		await server.query(`alter database ${database} allow_connections true`);
		expect((await inbox.next()).payload.record?.body).toBe('reused');
		expect(inbox.items.map((item) => item.payload.record?.body)).toEqual([
			'past it',
			'marker',
			'reused'
		]);
	});

	it('tells subscribers to fetch current state again while it cannot read broadcasts, then goes on', async () => {
		const client = await aliceClient();
		const system = new Inbox<Record<string, unknown>>();
		const broadcasts = new Inbox<Broadcast>();
		const room = client.channel('room:1', { config: { private: true } });
		room.on('system', {}, system.push);
		room.on('broadcast', { event: '*' }, broadcasts.push);
		await subscribed(room);

		await server.query(`alter database ${database} allow_connections false`);
		await terminate(await stackBackends('parley-stack-listen'));
		await expect.poll(() => stackBackends('parley-stack-listen'), POLL).toEqual([]);
		// The broadcast rows cannot be read back when the session returns.
		await admin.query('alter table realtime.messages rename to messages_set_aside');
		try {
			await server.query(`alter database ${database} allow_connections true`);
			expect(await system.next()).toEqual({
				extension: 'system',
				status: 'ok',
				resync: true,
				message: expect.stringContaining('fetch its current state again')
			});
		} finally {
			await admin.query('alter table realtime.messages_set_aside rename to messages');
		}

		// The channel stays joined and receives what comes next.
		await admin.query(`insert into public.room_messages (room_id, body) values (1, 'resynced')`);
		expect((await broadcasts.next()).payload.record?.body).toBe('resynced');
	});
});
