/**
 * Ingest throughput: signed Twilio and Meta webhooks at increasing rates through the stack's
 * functions host into the database, beside the physical ceiling — single-row inserts of a message
 * straight into Postgres over a pool of as many connections as the load uses — and, between the
 * two, the ingest SQL alone: ingest_whatsapp_delivery called straight over the same pool with one
 * message per call, as the webhook function calls it (credentials claim included).
 */
import pg from 'pg';
import type { Stack } from '../supabase/local/stack.ts';
import { runLoad, type LoadResult } from './load.ts';
import { startBenchStack } from './stack.ts';
import { DEMO_CREDENTIALS } from '../sandbox/index.ts';
import {
	prepareBenchTenant,
	signedMetaRequests,
	signedTwilioRequests,
	TWILIO_ADDRESS
} from './tenant.ts';

export interface IngestOptions {
	databaseServer?: string;
	/** Offered rates in requests/s; 0 means unthrottled (the highest the stack sustains). */
	rates?: number[];
	/** Seconds of load at each rate (the request count is rate × seconds; unthrottled uses `maxRequests`). */
	secondsPerRate?: number;
	maxRequests?: number;
	/** Unthrottled webhooks per provider before its steps, not measured (default 2000). */
	warmupRequests?: number;
	connections?: number;
	providers?: Array<'twilio' | 'meta'>;
	/** Raw-insert ceiling run length in ms. */
	ceilingMs?: number;
}

export interface IngestStep {
	provider: 'twilio' | 'meta';
	offeredPerSecond: number | 'max';
	load: LoadResult;
	/** Signed webhooks in the step's pool, each sent once. */
	pooled: number;
	/** Messages the database holds from this step. */
	stored: number;
	messagesPerSecond: number;
}

export interface IngestResult {
	database: 'pglite' | 'postgres';
	connections: number;
	steps: IngestStep[];
	ceilingPerSecond: number;
	ceilingInserts: number;
	/** ingest_whatsapp_delivery calls per second, called directly, one message each. */
	sqlPerSecond: number;
	sqlCalls: number;
	/** Messages those calls stored (each call carries a new one). */
	sqlStored: number;
}

/** Runs the ingest benchmark on a fresh stack and returns its figures. */
export async function measureIngest(options: IngestOptions = {}): Promise<IngestResult> {
	const connections = options.connections ?? 10;
	const rates = options.rates ?? [50, 100, 200, 0];
	const secondsPerRate = options.secondsPerRate ?? 5;
	const maxRequests = options.maxRequests ?? 1500;
	const warmupRequests = options.warmupRequests ?? 2000;
	const providers = options.providers ?? ['twilio', 'meta'];
	const bench = await startBenchStack(options.databaseServer, { sandbox: true });
	const { stack } = bench;
	const sandbox = bench.sandbox!;
	try {
		const functionsUrl = `${stack.url}/functions/v1`;
		sandbox.setWebhookBaseUrl(functionsUrl);
		await prepareBenchTenant(stack, 0);
		const steps: IngestStep[] = [];
		for (const provider of providers) {
			// Unmeasured and unthrottled first, so the steps measure the path as it runs all day:
			// the function's workers booted and compiled hot, their heaps and connections grown.
			// Measured cold, the first 3,000 webhooks ran at half the rate of the next.
			const warm = sign(provider, functionsUrl, warmupRequests, `w${provider[0]}`);
			await runLoad({ origin: stack.url, requests: warm, connections });
			for (const [index, rate] of rates.entries()) {
				const count = rate ? Math.round(rate * secondsPerRate) : maxRequests;
				const tag = `${provider[0]}${index}x`;
				const requests = sign(provider, functionsUrl, count, tag);
				const load = await runLoad({
					origin: stack.url,
					requests,
					connections,
					ratePerSecond: rate || undefined
				});
				const stored = await countStored(
					stack,
					provider,
					provider === 'twilio' ? `SM${tag}` : `wamid.${tag}`
				);
				steps.push({
					provider,
					offeredPerSecond: rate || 'max',
					load,
					pooled: requests.length,
					stored,
					messagesPerSecond: round(stored / load.seconds)
				});
			}
		}
		const ms = options.ceilingMs ?? 5000;
		const sql = await measureIngestSql(stack, bench.databaseUrl, connections, ms);
		const ceiling = await measureCeiling(stack, bench.databaseUrl, connections, ms);
		return {
			database: stack.db.kind,
			connections,
			steps,
			ceilingPerSecond: ceiling.perSecond,
			ceilingInserts: ceiling.inserts,
			sqlPerSecond: sql.perSecond,
			sqlCalls: sql.calls,
			sqlStored: await countStored(stack, 'twilio', 'SMsql')
		};
	} finally {
		await bench.close();
	}
}

function sign(provider: 'twilio' | 'meta', functionsUrl: string, count: number, tag: string) {
	return provider === 'twilio'
		? signedTwilioRequests(functionsUrl, count, tag)
		: signedMetaRequests(functionsUrl, count, tag);
}

/** Messages stored whose provider id starts with the step's tag. */
async function countStored(stack: Stack, provider: string, prefix: string): Promise<number> {
	const { rows } = await stack.db.query<{ count: number }>(
		`select count(*)::int as count from public.messages where provider = $1 and provider_message_id like $2`,
		[provider, `${prefix}%`]
	);
	return rows[0].count;
}

/** `connections` workers calling `call(i)` with a shared counter for `ms` milliseconds. */
async function repeatFor(
	connections: number,
	ms: number,
	call: (i: number) => Promise<unknown>
): Promise<{ perSecond: number; calls: number }> {
	let calls = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: connections }, async () => {
			while (performance.now() - started < ms) await call(calls++);
		})
	);
	return { perSecond: round(calls / ((performance.now() - started) / 1000)), calls };
}

/**
 * The ingest SQL alone: ingest_whatsapp_delivery for the Twilio number with one new inbound text
 * message per call, from the same 200 customers the webhooks use, with the credentials claim the
 * webhook function sends, over a pool of `connections`.
 */
async function measureIngestSql(
	stack: Stack,
	databaseUrl: string | undefined,
	connections: number,
	ms: number
): Promise<{ perSecond: number; calls: number }> {
	const routing = { account_sid: DEMO_CREDENTIALS.twilio.accountSid, address: TWILIO_ADDRESS };
	const { rows } = await stack.db.query<{ number_id: string; credential_version: string }>(
		`select number_id, credential_version from public.webhook_credentials('twilio', $1)`,
		[JSON.stringify(routing)]
	);
	const number = rows[0];
	const credentials = JSON.stringify({
		routing,
		versions: { [number.number_id]: number.credential_version }
	});
	const pool = databaseUrl
		? new pg.Pool({ connectionString: databaseUrl, max: connections })
		: undefined;
	const sql = `select public.ingest_whatsapp_delivery('twilio', $1, $2, $3, $4, credentials => $5) as result`;
	const call = async (i: number, prefix = 'SMsql') => {
		const sid = `${prefix}${String(i).padStart(29, '0')}`;
		const waId = String(14155500000 + (i % 200));
		const message = {
			provider_message_id: sid,
			wa_id: waId,
			profile_name: `Customer ${waId}`,
			type: 'text',
			body: `bench ${sid}`
		};
		const params = [
			number.number_id,
			JSON.stringify({ 'content-type': 'application/x-www-form-urlencoded' }),
			`MessageSid=${sid}&Body=bench`,
			JSON.stringify([message]),
			credentials
		];
		const { rows: answer } = pool
			? await pool.query<{ result: { stale_credentials?: boolean } }>(sql, params)
			: await stack.db.query<{ result: { stale_credentials?: boolean } }>(sql, params);
		if (answer[0].result.stale_credentials)
			throw new Error('The bench number’s credentials changed.');
	};
	try {
		// Warmed as the webhooks were: the same calls, unmeasured, on the same connections.
		await repeatFor(connections, warmupMs(ms), (i) => call(i, 'SMwsq'));
		return await repeatFor(connections, ms, call);
	} finally {
		await pool?.end();
	}
}

/**
 * The ceiling: one message row per statement (with the table's indexes, triggers and broadcasts,
 * as ingest pays them), `connections` writers on a pool of that size, for `ms` milliseconds, spread
 * over the conversations the webhooks wrote to. On one conversation every insert would wait for
 * the previous one's commit (its cycle row stays locked until then), so the figure would be the
 * disk's flush latency, not what Postgres can insert: back to back it swung from 780 to 1,600/s.
 */
async function measureCeiling(
	stack: Stack,
	databaseUrl: string | undefined,
	connections: number,
	ms: number
): Promise<{ perSecond: number; inserts: number }> {
	const { rows: conversations } = await stack.db.query<{ id: string; tenant_id: string }>(
		'select id, tenant_id from public.conversations order by created_at'
	);
	const pool = databaseUrl
		? new pg.Pool({ connectionString: databaseUrl, max: connections })
		: undefined;
	const insert = (i: number, prefix = 'SMceiling') => {
		const sql = `insert into public.messages (tenant_id, conversation_id, direction, sender, body, provider, provider_message_id, status)
			values ($1, $2, 'inbound', 'customer', $3, 'twilio', $4, 'received')`;
		const conversation = conversations[i % conversations.length];
		const params = [conversation.tenant_id, conversation.id, `raw ${i}`, `${prefix}${i}`];
		return pool ? pool.query(sql, params) : stack.db.query(sql, params);
	};
	try {
		await repeatFor(connections, warmupMs(ms), (i) => insert(i, 'SMwceiling'));
		const { perSecond, calls } = await repeatFor(connections, ms, insert);
		return { perSecond, inserts: calls };
	} finally {
		await pool?.end();
	}
}

/** The direct loops warm for a fifth of their run, unmeasured. */
const warmupMs = (ms: number) => ms / 5;

function round(value: number): number {
	return Math.round(value * 10) / 10;
}
