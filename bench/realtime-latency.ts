/**
 * Realtime latency: many sockets subscribed to one private topic, a stream of committed inserts whose
 * trigger calls realtime.broadcast_changes, and the time from each row's write to its arrival at
 * every socket. The subscribers run in child processes, as browsers would be elsewhere, so their
 * decoding does not share the stack's event loop; more than one, so one process's pause (a
 * collection of fifty clients' garbage) does not hold up every socket at once.
 * Run with `npx tsx bench/realtime-latency.ts [--postgres <server url>]`.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { createClient } from '@supabase/supabase-js';
import { signJwt } from '../supabase/local/jwt.ts';
import { startBenchStack } from './stack.ts';

export interface RealtimeLatencyOptions {
	/** Sockets subscribed to the topic (default 50). */
	subscribers?: number;
	/** Committed inserts, each broadcasting once (default 1000). */
	inserts?: number;
	/**
	 * Rows written first, at the same pace and unmeasured, so the clock starts on a warm path
	 * (default 500, or `inserts` when fewer; at least 1).
	 */
	warmupInserts?: number;
	/** Concurrent writers issuing the inserts (default 4). */
	writers?: number;
	/** Paces the inserts to this many per second; without it they go as fast as the database commits. */
	ratePerSecond?: number;
	/** A PostgreSQL server URL; a scratch database is created there and dropped. Without it, PGlite. */
	databaseServer?: string;
	/** Give up waiting for deliveries after this long (default 60 s). */
	timeoutMs?: number;
	/** Child processes the subscribers are shared among (default 4). */
	subscriberProcesses?: number;
	/**
	 * What each subscriber is: a bare Phoenix socket that reads each frame as it arrives, as
	 * Supabase's own Realtime benchmarks do (`socket`, the default), or a supabase-js client.
	 */
	client?: 'socket' | 'supabase-js';
}

export interface RealtimeLatencyResult {
	database: 'pglite' | 'postgres';
	subscribers: number;
	inserts: number;
	/** Messages that arrived, over all sockets (ideally subscribers × inserts). */
	delivered: number;
	expected: number;
	/** Time from the row's write (in the committing transaction, just before commit) to arrival, in ms. */
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
	/** Inserts committed per second during the write phase. */
	insertsPerSecond: number;
	/** Broadcast events each socket received per insert (every event on the topic, not only INSERT). */
	eventsPerInsertPerSocket: number;
	/**
	 * How late the stack's event loop ran timers while the messages went out (p99, ms): when this is
	 * near the latency p99, the stack's own process is what delays delivery.
	 */
	stackLoopDelayP99Ms: number;
	/**
	 * The same in the subscribers' processes, the worst of them (fifty clients decoding every frame,
	 * as fifty browsers would on fifty machines): their stalls add to every latency they measure.
	 */
	subscriberLoopDelayMaxMs: number;
	/** How many processes the subscribers were shared among. */
	subscriberProcesses: number;
	client: 'socket' | 'supabase-js';
	/** The machine's one-minute load average at the end of the run (it is shared while measured). */
	loadAverage: number;
}

const TOPIC = 'bench:1';
const SUBSCRIBER_FLAG = '--realtime-latency-subscribers';

/** What the parent tells the subscriber process. */
interface SubscriberTask {
	url: string;
	anonKey: string;
	tokens: string[];
	inserts: number;
	/** Rows written first and not measured, so the clock starts on a warm path. */
	warmups: number;
	client: 'socket' | 'supabase-js';
}

/** What the subscriber process answers: first `ready`, then the latencies it measured. */
type SubscriberReport =
	| { ready: true }
	| { warmed: true }
	| { latencies: number[]; events: number; loopDelayMaxMs: number }
	| { error: string };

/** The warm-up rows' bodies start with this, and the subscribers leave them out of the counts. */
const WARMUP_PREFIX = 'warm';
const isWarmup = (body: unknown) =>
	typeof body === 'string' && body.startsWith(`${WARMUP_PREFIX} `);

/** Runs the realtime latency scenario once and returns its numbers. */
export async function measureRealtimeLatency(
	options: RealtimeLatencyOptions = {}
): Promise<RealtimeLatencyResult> {
	const subscribers = options.subscribers ?? 50;
	const inserts = options.inserts ?? 1000;
	const writers = options.writers ?? 4;
	const processes = Math.max(1, Math.min(options.subscriberProcesses ?? 4, subscribers));
	const client = options.client ?? 'socket';
	const bench = await startBenchStack(options.databaseServer);
	const { stack } = bench;
	const children = Array.from({ length: processes }, () =>
		fork(fileURLToPath(import.meta.url), [SUBSCRIBER_FLAG], {
			execArgv: ['--import', 'tsx'],
			stdio: ['ignore', 'inherit', 'inherit', 'ipc']
		})
	);
	try {
		await stack.db.exec(`
			create table public.bench_messages (
				id bigint generated always as identity primary key,
				body text not null,
				written_at double precision not null default extract(epoch from clock_timestamp()) * 1000
			);
			create function public.bench_messages_broadcast() returns trigger
			language plpgsql security definer set search_path = '' as $$
			begin
				perform realtime.broadcast_changes('${TOPIC}', TG_OP, TG_OP, TG_TABLE_NAME, TG_TABLE_SCHEMA, new, old);
				return null;
			end $$;
			create trigger bench_messages_broadcast after insert on public.bench_messages
				for each row execute function public.bench_messages_broadcast();
			create policy "bench readers" on realtime.messages for select to authenticated
				using (realtime.topic() = '${TOPIC}');
		`);

		const now = Math.floor(Date.now() / 1000);
		const tokens = await Promise.all(
			Array.from({ length: subscribers }, () =>
				signJwt({
					sub: randomUUID(),
					role: 'authenticated',
					aud: 'authenticated',
					exp: now + 3600,
					session_id: randomUUID()
				})
			)
		);
		// Each child's reports, in order; a step waits for the same report from every child.
		const reports = children.map(() => [] as SubscriberReport[]);
		let onReport = () => {};
		children.forEach((child, index) =>
			child.on('message', (report: SubscriberReport) => {
				reports[index].push(report);
				onReport();
			})
		);
		const nextReports = () =>
			new Promise<SubscriberReport[]>((resolve, reject) => {
				const check = () => {
					const failed = reports.flat().find((report) => 'error' in report);
					if (failed && 'error' in failed) return reject(new Error(failed.error));
					if (reports.some((queue) => queue.length === 0)) return;
					resolve(reports.map((queue) => queue.shift()!));
				};
				onReport = check;
				check();
			});
		// At least one: the subscribers report warm once they have seen every warm-up row.
		const warmups = Math.max(1, options.warmupInserts ?? Math.min(inserts, 500));
		/** `count` rows from `writers` concurrent writers, paced to the rate when there is one. */
		const writeRows = async (count: number, prefix: string) => {
			const started = performance.now();
			let issued = 0;
			await Promise.all(
				Array.from({ length: writers }, async () => {
					while (issued < count) {
						issued++;
						if (options.ratePerSecond) {
							const wait = started + (issued * 1000) / options.ratePerSecond - performance.now();
							if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
						}
						await stack.db.query(`insert into public.bench_messages (body) values ($1)`, [
							`${prefix} ${issued}`
						]);
					}
				})
			);
		};
		children.forEach((child, index) =>
			child.send({
				url: stack.url,
				anonKey: stack.anonKey,
				tokens: tokens.filter((_, token) => token % processes === index),
				inserts,
				warmups,
				client
			} satisfies SubscriberTask)
		);
		await nextReports();
		// The warm-up goes out as the measured rows do (same writers, same pace), so the clock starts
		// once every process on the path has run it hot: compiled, its buffers and heaps grown.
		await writeRows(warmups, WARMUP_PREFIX);
		await nextReports();

		const loopDelay = monitorEventLoopDelay({ resolution: 5 });
		loopDelay.enable();
		const writeStart = performance.now();
		await writeRows(inserts, 'message');
		const writeSeconds = (performance.now() - writeStart) / 1000;

		// A child reports when each of its sockets has every message, or when asked (after the timeout).
		const timer = setTimeout(
			() => children.forEach((child) => child.send('report')),
			options.timeoutMs ?? 60_000
		);
		const finals = await nextReports();
		clearTimeout(timer);
		loopDelay.disable();
		const loadAverage = loadavg()[0];
		const latencies = finals.flatMap((report) => ('latencies' in report ? report.latencies : []));
		latencies.sort((a, b) => a - b);
		const events = finals.reduce(
			(sum, report) => sum + ('events' in report ? report.events : 0),
			0
		);
		const subscriberLoopDelayMaxMs = Math.max(
			...finals.map((report) => ('loopDelayMaxMs' in report ? report.loopDelayMaxMs : NaN))
		);
		const percentile = (p: number) =>
			latencies.length
				? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]
				: NaN;
		return {
			database: stack.db.kind,
			subscribers,
			inserts,
			delivered: latencies.length,
			expected: subscribers * inserts,
			p50Ms: round(percentile(50)),
			p99Ms: round(percentile(99)),
			maxMs: round(latencies.at(-1) ?? NaN),
			insertsPerSecond: Math.round(inserts / writeSeconds),
			eventsPerInsertPerSocket: round(events / (inserts * subscribers)),
			stackLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6),
			subscriberLoopDelayMaxMs: round(subscriberLoopDelayMaxMs),
			subscriberProcesses: processes,
			client,
			loadAverage: round(loadAverage)
		};
	} finally {
		for (const child of children) child.kill();
		await bench.close();
	}
}

/** The child process: subscribes every token's socket and timestamps each arrival. */
function runSubscribers(): void {
	process.once('message', async (task: SubscriberTask) => {
		try {
			const latencies: number[] = [];
			let events = 0;
			let complete = 0;
			let warmedSockets = 0;
			const loopDelay = monitorEventLoopDelay({ resolution: 5 });
			const report = () =>
				process.send?.({
					latencies,
					events,
					loopDelayMaxMs: loopDelay.max / 1e6
				} satisfies SubscriberReport);
			process.on('message', (message) => message === 'report' && report());
			// Every broadcast counts, as hosted Realtime counts (and bills) every message delivered.
			const subscribe = task.client === 'socket' ? subscribeSocket : subscribeSupabaseJs;
			await Promise.all(
				task.tokens.map((token, index) => {
					let received = 0;
					let warmed = 0;
					return subscribe(task, token, index, (event, record) => {
						if (isWarmup(record?.body)) {
							if (
								event === 'INSERT' &&
								++warmed === task.warmups &&
								++warmedSockets === task.tokens.length
							) {
								loopDelay.enable();
								process.send?.({ warmed: true } satisfies SubscriberReport);
							}
							return;
						}
						events++;
						if (event !== 'INSERT' || !record) return;
						latencies.push(performance.timeOrigin + performance.now() - record.written_at);
						if (++received === task.inserts && ++complete === task.tokens.length) report();
					});
				})
			);
			process.send?.({ ready: true } satisfies SubscriberReport);
		} catch (error) {
			process.send?.({ error: (error as Error).message } satisfies SubscriberReport);
		}
	});
	process.on('disconnect', () => process.exit(0));
}

/** What a subscriber hands on: each broadcast's event and the row it carries. */
type OnBroadcast = (
	event: string,
	record: { written_at: number; body: string } | undefined
) => void;

/** A supabase-js client on the private topic, as the app's screens subscribe. */
async function subscribeSupabaseJs(
	task: SubscriberTask,
	token: string,
	index: number,
	onBroadcast: OnBroadcast
): Promise<void> {
	const client = createClient(task.url, task.anonKey, {
		accessToken: async () => token,
		realtime: { transport: WebSocket as never }
	});
	await client.realtime.setAuth(token);
	const channel = client.channel(TOPIC, { config: { private: true } });
	channel.on(
		'broadcast',
		{ event: '*' },
		(message: { event: string; payload: { record?: { written_at: number; body: string } } }) =>
			onBroadcast(message.event, message.payload.record)
	);
	// A join unanswered for supabase-js's 10 s (a busy machine) is TIMED_OUT, and supabase-js
	// joins again on its own, as the app's screens wait for it to. An error is final, and so is
	// a minute without a join.
	await new Promise<void>((resolve, reject) => {
		const gaveUp = setTimeout(
			() => reject(new Error(`subscriber ${index}: not joined within a minute`)),
			60_000
		);
		channel.subscribe((status, error) => {
			if (status === 'SUBSCRIBED') {
				clearTimeout(gaveUp);
				resolve();
			} else if (status === 'CHANNEL_ERROR') {
				clearTimeout(gaveUp);
				reject(error ?? new Error(`subscriber ${index}: ${status}`));
			}
		});
	});
}

/** Phoenix's v2 serializer: a user broadcast is a binary frame of kind 4 with its JSON payload. */
const USER_BROADCAST_FRAME = 4;

/**
 * A bare Realtime socket (protocol 2.0.0, as supabase-js speaks it) joined to the private topic:
 * the time measured is the frame's arrival and one JSON parse, nothing of a client library.
 */
async function subscribeSocket(
	task: SubscriberTask,
	token: string,
	index: number,
	onBroadcast: OnBroadcast
): Promise<void> {
	const url = `${task.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${task.anonKey}&vsn=2.0.0`;
	const ws = new WebSocket(url);
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
	});
	let ref = 1;
	const joinRef = String(ref++);
	ws.send(
		JSON.stringify([
			joinRef,
			joinRef,
			`realtime:${TOPIC}`,
			'phx_join',
			{ config: { private: true, broadcast: { self: false, ack: false } }, access_token: token }
		])
	);
	await new Promise<void>((resolve, reject) => {
		ws.on('message', (data: Buffer, isBinary: boolean) => {
			if (isBinary) {
				if (data[0] !== USER_BROADCAST_FRAME) return;
				const eventStart = 5 + data[1];
				const payloadStart = eventStart + data[2] + data[3];
				const event = data.toString('utf8', eventStart, eventStart + data[2]);
				const payload = JSON.parse(data.toString('utf8', payloadStart)) as {
					record?: { written_at: number; body: string };
				};
				onBroadcast(event, payload.record);
				return;
			}
			const [, replyRef, , event, payload] = JSON.parse(data.toString()) as [
				string | null,
				string | null,
				string,
				string,
				{ status?: string; response?: unknown }
			];
			if (event === 'phx_reply' && replyRef === joinRef) {
				if (payload.status === 'ok') resolve();
				else reject(new Error(`subscriber ${index}: ${JSON.stringify(payload.response)}`));
			}
		});
	});
	// Phoenix's heartbeat, as clients send it, so a long run is not taken for a dead socket.
	setInterval(
		() => ws.send(JSON.stringify([null, String(ref++), 'phoenix', 'heartbeat', {}])),
		25_000
	).unref();
}

function round(value: number): number {
	return Math.round(value * 100) / 100;
}

/** Prints one result as a small table. */
export function printRealtimeLatency(result: RealtimeLatencyResult): void {
	console.log(
		`\nRealtime broadcast latency (${result.database}, ${result.subscribers} sockets on one private topic, in ${result.subscriberProcesses} processes)`
	);
	console.table({
		inserts: result.inserts,
		'delivered / expected': `${result.delivered} / ${result.expected}`,
		'p50 (ms)': result.p50Ms,
		'p99 (ms)': result.p99Ms,
		'max (ms)': result.maxMs,
		'inserts/s': result.insertsPerSecond,
		'events per insert per socket': result.eventsPerInsertPerSocket,
		'stack event-loop delay p99 (ms)': result.stackLoopDelayP99Ms,
		'subscribers event-loop delay max (ms)': result.subscriberLoopDelayMaxMs,
		'load average': result.loadAverage
	});
}

const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
if (process.argv.includes(SUBSCRIBER_FLAG)) runSubscribers();
else if (import.meta.url === entry) {
	const serverFlag = process.argv.indexOf('--postgres');
	const databaseServer =
		serverFlag > 0 ? process.argv[serverFlag + 1] : process.env.PARLEY_BENCH_DATABASE_URL;
	printRealtimeLatency(await measureRealtimeLatency({ databaseServer }));
}
