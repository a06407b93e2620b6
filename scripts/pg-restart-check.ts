/**
 * Restarts PostgreSQL 15 under webhook traffic and checks that the local stack comes through it:
 * every message a provider sent is stored exactly once, every one reaches a Realtime subscriber
 * exactly once, and the stack process is still running and answering.
 *
 * `npx tsx scripts/pg-restart-check.ts [server url]` (default PARLEY_TEST_DATABASE_URL or the local
 * postgres superuser). Needs root (or passwordless sudo) to restart the cluster, as CI has; the
 * restart command can be replaced with PARLEY_PG_RESTART_COMMAND. Exits non-zero with a sentence
 * saying what went wrong.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { createScratchDatabase } from '../supabase/local/scratch-database.ts';
import { isDatabaseUnavailable, openDb, type Db } from '../supabase/local/db.ts';
import type { StackInfo } from './stack.ts';
import {
	prepareBenchTenant,
	signedMetaRequests,
	signedTwilioRequests,
	type SignedRequest
} from '../bench/tenant.ts';

const server =
	process.argv[2] ??
	process.env.PARLEY_TEST_DATABASE_URL ??
	'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const restartCommand =
	process.env.PARLEY_PG_RESTART_COMMAND ??
	`${process.getuid?.() === 0 ? '' : 'sudo -n '}pg_ctlcluster --skip-systemctl-redirect 15 main restart`;

/** Customers per provider: few, so their conversations are known (and subscribed) beforehand. */
const CUSTOMERS = 3;
/** Messages per provider sent around the restart. */
const MESSAGES = 150;
/** One webhook starts every this many ms, at most this many in flight. */
const SEND_EVERY_MS = 40;
const IN_FLIGHT = 8;
/** The restart starts once this share of the traffic has been sent. */
const RESTART_AFTER = 0.3;
const WHOLE_CHECK_MS = 150_000;

class CheckFailed extends Error {}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const log = (line: string) => console.log(`[pg-restart-check] ${line}`);

/** Starts `npm run stack`'s entry point on the scratch database, in its own process. */
async function startStackProcess(
	databaseUrl: string,
	stateDir: string
): Promise<{ child: ChildProcess; info: StackInfo }> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts'], {
		env: {
			...process.env,
			DATABASE_URL: databaseUrl,
			PARLEY_DATA_DIR: stateDir,
			PARLEY_STACK_PORT: '0',
			PARLEY_SANDBOX_PORT: '0'
		},
		stdio: ['ignore', 'pipe', 'inherit']
	});
	await new Promise<void>((ready, fail) => {
		let output = '';
		child.stdout?.on('data', (chunk: Buffer) => {
			process.stdout.write(chunk);
			output += chunk.toString();
			if (output.includes('Local Supabase stack is up')) ready();
		});
		child.once('exit', (code) =>
			fail(new CheckFailed(`The stack exited with code ${code} before it was up.`))
		);
	});
	child.stdout?.resume();
	const info = JSON.parse(await readFile(join(stateDir, 'stack.json'), 'utf8')) as StackInfo;
	return { child, info };
}

/** Posts one signed webhook until it is answered 200, as a provider retries; counts failed tries. */
async function deliver(
	functionsOrigin: string,
	request: SignedRequest,
	failures: { count: number }
): Promise<void> {
	for (let retryMs = 200; ; retryMs = Math.min(retryMs * 2, 2000)) {
		const status = await fetch(functionsOrigin + request.path, {
			method: 'POST',
			headers: request.headers,
			body: request.body
		}).then(
			async (response) => {
				await response.arrayBuffer();
				return response.status;
			},
			() => 0
		);
		if (status === 200) return;
		failures.count++;
		await sleep(retryMs);
	}
}

/** A query through the check's own connection, retried while the database is coming back. */
async function query<Row>(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
	for (let retryMs = 100; ; retryMs = Math.min(retryMs * 2, 2000)) {
		try {
			return (await db.query<Row>(sql, params)).rows;
		} catch (error) {
			if (!isDatabaseUnavailable(error)) throw error;
			await sleep(retryMs);
		}
	}
}

async function postmasterStart(db: Db): Promise<string> {
	const [row] = await query<{ started: string }>(
		db,
		'select pg_postmaster_start_time()::text as started'
	);
	return row.started;
}

/** Interleaves Twilio and Meta requests so both providers are in flight during the restart. */
function interleave(a: SignedRequest[], b: SignedRequest[]): SignedRequest[] {
	return a.flatMap((request, i) => (b[i] ? [request, b[i]] : [request]));
}

/** The stack's process, so a timed-out check can still stop it. */
let stackProcess: ChildProcess | undefined;

async function run(): Promise<void> {
	let child: ChildProcess | undefined;
	const scratch = await createScratchDatabase(server, 'parley_restart');
	const stateDir = await mkdtemp(join(tmpdir(), 'parley-restart-'));
	let db: Db | undefined;
	let subscriber: SupabaseClient | undefined;
	try {
		log(`starting the stack on ${new URL(scratch.url).pathname.slice(1)}`);
		const started = await startStackProcess(scratch.url, stateDir);
		child = started.child;
		stackProcess = child;
		const { supabaseUrl, anonKey, serviceRoleKey } = started.info;
		const functionsUrl = `${supabaseUrl}/functions/v1`;
		const stackDied = new Promise<never>((_, fail) =>
			started.child.once('exit', (code, signal) =>
				fail(
					new CheckFailed(
						`The stack process died (exit code ${code}, signal ${signal}) while PostgreSQL restarted; it must survive database restarts.`
					)
				)
			)
		);
		stackDied.catch(() => undefined);
		db = await openDb({ databaseUrl: scratch.url, poolSize: 2 });

		const tenant = await prepareBenchTenant({ db, url: supabaseUrl, anonKey }, 1);
		// One message from each customer first, so their conversations exist and can be subscribed.
		const failures = { count: 0 };
		const warmUp = interleave(
			signedTwilioRequests(functionsUrl, CUSTOMERS, 'warmt', CUSTOMERS),
			signedMetaRequests(functionsUrl, CUSTOMERS, 'warmm', CUSTOMERS)
		);
		for (const request of warmUp) await deliver(supabaseUrl, request, failures);
		const conversations = await query<{ id: string }>(
			db,
			'select id from public.conversations where tenant_id = $1',
			[tenant.tenantId]
		);
		if (conversations.length !== 2 * CUSTOMERS)
			throw new CheckFailed(
				`Expected ${2 * CUSTOMERS} conversations after the warm-up messages, found ${conversations.length}.`
			);

		// An agent of the tenant watches every conversation, as open chats do.
		const token = tenant.agentTokens[0];
		subscriber = createClient(supabaseUrl, anonKey, {
			accessToken: async () => token,
			realtime: { transport: WebSocket as never }
		});
		await subscriber.realtime.setAuth(token);
		const broadcasts = new Map<string, number>();
		await Promise.all(
			conversations.map(
				({ id }) =>
					new Promise<void>((joined, fail) => {
						subscriber!
							.channel(`conversation:${id}`, { config: { private: true } })
							.on('broadcast', { event: 'messages' }, ({ payload }) => {
								const change = payload as {
									operation?: string;
									record?: { provider_message_id?: string };
								};
								const providerId = change.record?.provider_message_id;
								if (change.operation === 'INSERT' && providerId)
									broadcasts.set(providerId, (broadcasts.get(providerId) ?? 0) + 1);
							})
							.subscribe((status, error) => {
								if (status === 'SUBSCRIBED') joined();
								else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT')
									fail(
										new CheckFailed(
											`The subscriber could not join conversation:${id} (${error?.message ?? status}).`
										)
									);
							});
					})
			)
		);

		const traffic = interleave(
			signedTwilioRequests(functionsUrl, MESSAGES, 'restartt', CUSTOMERS),
			signedMetaRequests(functionsUrl, MESSAGES, 'restartm', CUSTOMERS)
		);
		const sent = traffic.map((request) => request.sid);
		const startedBefore = await postmasterStart(db);
		log(
			`sending ${traffic.length} signed webhooks; PostgreSQL restarts after ${RESTART_AFTER * 100}%`
		);

		let restart: Promise<void> | undefined;
		let restartError: CheckFailed | undefined;
		let deliveredAfterRestart = 0;
		let restarted = false;
		const inFlight = new Set<Promise<void>>();
		for (const [index, request] of traffic.entries()) {
			if (!restart && index >= traffic.length * RESTART_AFTER) {
				log(`restarting PostgreSQL 15 with ${inFlight.size} webhooks in flight`);
				restart = promisify(execFile)('sh', ['-c', restartCommand]).then(
					() => {
						restarted = true;
						log('PostgreSQL 15 is back');
					},
					(error: Error) => {
						restartError = new CheckFailed(
							`Could not restart PostgreSQL 15 with "${restartCommand}": ${error.message}`
						);
					}
				);
			}
			while (inFlight.size >= IN_FLIGHT) await Promise.race([...inFlight, stackDied]);
			const delivery = deliver(supabaseUrl, request, failures).then(() => {
				if (restarted) deliveredAfterRestart++;
				inFlight.delete(delivery);
			});
			inFlight.add(delivery);
			await Promise.race([sleep(SEND_EVERY_MS), stackDied]);
		}
		await Promise.race([Promise.all([restart, ...inFlight]), stackDied]);
		if (restartError) throw restartError;
		log(
			`every webhook answered 200 (${failures.count} tries failed during the restart and were retried; ${deliveredAfterRestart} delivered after it)`
		);

		if ((await postmasterStart(db)) === startedBefore)
			throw new CheckFailed('PostgreSQL did not restart: its postmaster start time is unchanged.');
		if (deliveredAfterRestart === 0)
			throw new CheckFailed(
				'The restart finished after all the traffic; nothing was sent to the recovered database.'
			);

		const stored = await query<{ id: string; copies: number }>(
			db,
			`select provider_message_id as id, count(*)::int as copies from public.messages
			 where tenant_id = $1 and provider_message_id = any($2::text[]) group by 1`,
			[tenant.tenantId, sent]
		);
		const copies = new Map(stored.map((row) => [row.id, row.copies]));
		const missing = sent.filter((sid) => !copies.has(sid));
		const duplicated = stored.filter((row) => row.copies > 1).map((row) => row.id);
		if (missing.length)
			throw new CheckFailed(
				`${missing.length} of ${sent.length} messages answered 200 were never stored (${missing.slice(0, 3).join(', ')}…).`
			);
		if (duplicated.length)
			throw new CheckFailed(
				`${duplicated.length} messages were stored more than once (${duplicated.slice(0, 3).join(', ')}…).`
			);

		// Broadcasts committed during the outage arrive once the stack LISTENs again and catches up.
		const broadcastDeadline = Date.now() + 30_000;
		while (sent.some((sid) => !broadcasts.has(sid)) && Date.now() < broadcastDeadline)
			await Promise.race([sleep(100), stackDied]);
		const unseen = sent.filter((sid) => !broadcasts.has(sid));
		if (unseen.length)
			throw new CheckFailed(
				`${unseen.length} of ${sent.length} stored messages never reached the Realtime subscriber (${unseen.slice(0, 3).join(', ')}…).`
			);
		const twice = sent.filter((sid) => (broadcasts.get(sid) ?? 0) > 1);
		if (twice.length)
			throw new CheckFailed(
				`${twice.length} messages were broadcast more than once (${twice.slice(0, 3).join(', ')}…).`
			);

		if (child.exitCode !== null || child.signalCode !== null)
			throw new CheckFailed('The stack process is no longer running.');
		const answer = await fetch(`${supabaseUrl}/rest/v1/messages?select=id&limit=1`, {
			headers: { apikey: serviceRoleKey, authorization: `Bearer ${serviceRoleKey}` }
		});
		if (answer.status !== 200)
			throw new CheckFailed(`The stack's REST API answers ${answer.status} after the restart.`);
		log(
			`passed: ${sent.length} messages stored once and broadcast once across a PostgreSQL restart; the stack is still running.`
		);
	} finally {
		await subscriber?.removeAllChannels();
		if (child && child.exitCode === null && child.signalCode === null) {
			const exited = new Promise((done) => child!.once('exit', done));
			child.kill('SIGTERM');
			await Promise.race([exited, sleep(10_000)]);
			if (child.exitCode === null) child.kill('SIGKILL');
		}
		await db?.close();
		await scratch
			.drop()
			.catch((error: Error) => log(`could not drop the scratch database: ${error.message}`));
		await rm(stateDir, { recursive: true, force: true });
	}
}

const timeout = setTimeout(() => {
	console.error(
		`pg-restart-check failed: the check did not finish within ${WHOLE_CHECK_MS / 1000} s; see the log above for where it stopped.`
	);
	stackProcess?.kill('SIGKILL');
	process.exit(1);
}, WHOLE_CHECK_MS);
timeout.unref();

try {
	await run();
	process.exit(0);
} catch (error) {
	console.error(
		`pg-restart-check failed: ${error instanceof CheckFailed ? error.message : (error as Error).stack}`
	);
	process.exit(1);
}
