import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureIngest } from '../../bench/ingest.ts';
import { loadInbox, measureInboxQueries, type InboxScale } from '../../bench/inbox.ts';
import { measureWebhookToScreen } from '../../bench/screen.ts';
import { measureRealtimeLatency } from '../../bench/realtime-latency.ts';
import { createScratchDatabase } from '../../supabase/local/scratch-database.ts';
import { openDb, type Db } from '../../supabase/local/db.ts';
import { migrate } from '../../supabase/local/migrate.ts';
import { testDatabaseServer } from '../support/stack.ts';

// The bench's own correctness on small data: every webhook it sends is stored, every broadcast
// reaches every agent, the inbox loader creates exactly the rows asked. Timings are not asserted.

// Each starts a stack of its own and sends real webhooks: minutes on a busy 2-core machine.
const BENCH_STEP_TIMEOUT = 300_000;

describe('ingest', () => {
	it(
		'stores one message for every signed Twilio and Meta webhook it sends, at a set rate and unthrottled',
		async () => {
			const result = await measureIngest({
				databaseServer: testDatabaseServer,
				rates: [20, 0],
				secondsPerRate: 1,
				maxRequests: 30,
				warmupRequests: 10,
				connections: 4,
				ceilingMs: 200
			});
			expect(
				result.steps.map((step) => [step.provider, step.offeredPerSecond, step.pooled])
			).toEqual([
				['twilio', 20, 20],
				['twilio', 'max', 30],
				['meta', 20, 20],
				['meta', 'max', 30]
			]);
			for (const step of result.steps) {
				expect(step.stored).toBe(step.pooled);
				expect(step.load.ok).toBe(step.pooled);
				expect(step.load.errors).toBe(0);
			}
			expect(result.ceilingInserts).toBeGreaterThan(0);
			// The ingest SQL called directly stores the one new message of every call.
			expect(result.sqlCalls).toBeGreaterThan(0);
			expect(result.sqlStored).toBe(result.sqlCalls);
		},
		BENCH_STEP_TIMEOUT
	);
});

describe('webhook to screen', () => {
	it(
		'delivers each webhook message to every subscribed member',
		async () => {
			const result = await measureWebhookToScreen({
				databaseServer: testDatabaseServer,
				subscribers: 3,
				rates: [10, 20],
				newConversationRate: 5,
				seconds: 1,
				timeoutMs: 10_000
			});
			expect(
				result.steps.map((step) => [
					step.newConversations,
					step.sent,
					step.accepted,
					step.delivered,
					step.expected
				])
			).toEqual([
				[false, 10, 10, 30, 30],
				[false, 20, 20, 60, 60],
				[true, 5, 5, 15, 15]
			]);
			// The warm-up's message from each of the 200 customers is stored too.
			expect(result.stored).toBe(235);
		},
		BENCH_STEP_TIMEOUT
	);
});

describe('commit to socket', () => {
	it(
		'delivers every committed insert to every socket once, its warm-up rows left out of the counts',
		async () => {
			for (const client of ['socket', 'supabase-js'] as const) {
				const result = await measureRealtimeLatency({
					databaseServer: testDatabaseServer,
					subscribers: 3,
					inserts: 30,
					ratePerSecond: 50,
					timeoutMs: 30_000,
					client
				});
				// The three sockets are shared among three processes (one each), whose counts add up.
				expect(result.subscriberProcesses).toBe(3);
				expect([result.client, result.delivered, result.expected]).toEqual([client, 90, 90]);
				// One event per insert per socket: the warm-up's rows are neither timed nor counted.
				expect(result.eventsPerInsertPerSocket).toBe(1);
				expect(result.insertsPerSecond).toBeGreaterThan(0);
			}
		},
		BENCH_STEP_TIMEOUT
	);
});

describe('inbox at scale', () => {
	const scale: InboxScale = {
		conversations: 60,
		messagesPerConversation: 3,
		otherTenants: 2,
		otherConversations: 10,
		notifications: 8
	};
	let db: Db;
	let drop = async () => {};

	beforeAll(async () => {
		const scratch = testDatabaseServer
			? await createScratchDatabase(testDatabaseServer, 'parley_bench')
			: undefined;
		drop = async () => scratch?.drop();
		db = await openDb({ databaseUrl: scratch?.url, poolSize: 2 });
		await migrate(db, resolve(import.meta.dirname, '../../supabase'), { seed: false });
	});
	afterAll(async () => {
		await db?.close();
		await drop();
	});

	it('creates exactly the tenants, conversations, messages and notifications asked', async () => {
		const loaded = await loadInbox(db, scale);
		expect(loaded.counts).toEqual({
			tenants: 3,
			conversations: 80,
			messages: 240,
			notifications: 8
		});

		const queries = await measureInboxQueries(db, loaded, 2);
		expect(queries.map((query) => [query.name, query.rows])).toEqual([
			['inbox first page', 25],
			['inbox deep keyset page', 25],
			['inbox all first page', 25],
			['inbox mine first page', 6],
			['inbox unassigned first page', 25],
			['inbox escalated first page', 2],
			// One in a hundred is snoozed; the common label is on every 7th and the rare one's.
			['inbox snoozed first page', 1],
			['inbox all, common label (1 in 7)', 10],
			['inbox all, rare label (1 in 500)', 1],
			['inbox view counts', 1],
			['inbox view counts, common label', 1],
			['inbox view counts, rare label', 1],
			['latest 50 messages', 3],
			['unread notification count', 1]
		]);
		for (const query of queries) expect(query.planTop).toBeTruthy();
	});

	it('shows the agent only the tenant it belongs to', async () => {
		const loaded = await loadInbox(db, scale);
		const { rows } = await db.transaction(async (tx) => {
			await tx.query(
				`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
				[JSON.stringify({ sub: loaded.agentId, role: 'authenticated' })]
			);
			return tx.query<{ tenants: number; conversations: number; unread: number }>(
				`select count(distinct tenant_id)::int as tenants, count(*)::int as conversations,
				   public.unread_notification_count($1) as unread from public.conversations`,
				[loaded.tenantId]
			);
		});
		expect(rows[0]).toEqual({ tenants: 1, conversations: 60, unread: 4 });
	});
});
