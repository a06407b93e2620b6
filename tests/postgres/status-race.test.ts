import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startTestStack, testDatabaseServer, type TestStack } from '../support/stack.ts';
import { commitAs, createUser, rowsOf, workspaceWithTwilioNumber } from '../db/support.ts';

// A provider's status callback can arrive while the send that it is about is still recording the
// provider's answer. On a real server the two transactions run at once; whichever commits second
// must see the other's work, or the status is parked and never applied.

const POLL = { timeout: 15_000, interval: 25 };

let stack: TestStack;

beforeAll(async () => {
	if (!testDatabaseServer)
		throw new Error(
			'These tests need a PostgreSQL server: set PARLEY_TEST_DATABASE_URL to a superuser URL.'
		);
	stack = await startTestStack();
});
afterAll(() => stack?.close());

/** Runs `sql` as the service role, as the webhook and send functions do. */
function asService<Row>(sql: string, params: unknown[], beforeCommit?: () => Promise<void>) {
	return stack.db.transaction(async (tx) => {
		await tx.query(`select set_config('role', 'service_role', true)`);
		const { rows } = await tx.query<Row>(sql, params);
		await beforeCommit?.();
		return rows;
	});
}

it('a failed status ingested while the send records its answer ends the message failed', async () => {
	const owner = await createUser(stack.db, 'race-owner@status.test');
	const agent = await createUser(stack.db, 'race-agent@status.test');
	const { numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'status-race', [
		[agent, 'agent']
	]);
	const [delivered] = await asService<{ result: { messages: { conversation_id: string }[] } }>(
		`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb, '[]') as result`,
		[
			numberId,
			JSON.stringify([
				{ provider_message_id: 'SMin1', wa_id: '14155550199', type: 'text', body: 'Hi' }
			])
		]
	);
	const [queued] = rowsOf(
		await commitAs<{ id: string }>(
			stack.db,
			agent,
			'select id from public.queue_outbound_message($1, $2)',
			[delivered.result.messages[0].conversation_id, 'On its way']
		)
	);

	// The callback's transaction parks the status and stays open until the send has started.
	let commitCallback!: () => void;
	const callbackMayCommit = new Promise<void>((resolve) => (commitCallback = resolve));
	const callback = asService(
		`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', '[]', $2::jsonb)`,
		[
			numberId,
			JSON.stringify([
				{
					provider_message_id: 'SMrace',
					status: 'failed',
					error_code: '63024',
					error_message: 'The customer cannot be reached.'
				}
			])
		],
		() => callbackMayCommit
	);
	await vi.waitFor(async () => {
		const { rows } = await stack.db.query<{ parked: number }>(
			`select count(*)::int as parked from pg_stat_activity
			 where state = 'idle in transaction' and query like '%ingest_whatsapp_delivery%'`
		);
		expect(rows[0].parked).toBe(1);
	}, POLL);

	let sendFinished = false;
	const send = asService<{ status: string }>(
		`select status from public.record_message_sent($1, 'SMrace', 'queued')`,
		[queued.id]
	).finally(() => (sendFinished = true));
	// Either the send finished without seeing the parked status, or it waits for the callback.
	await vi.waitFor(async () => {
		if (sendFinished) return;
		const { rows } = await stack.db.query<{ waiting: number }>(
			`select count(*)::int as waiting from pg_stat_activity
			 where wait_event_type = 'Lock' and query like '%record_message_sent%'`
		);
		expect(rows[0].waiting).toBe(1);
	}, POLL);
	commitCallback();
	await callback;
	await send;

	const { rows } = await stack.db.query<{ status: string; error_code: string | null }>(
		'select status, error_code from public.messages where id = $1',
		[queued.id]
	);
	expect(rows).toEqual([{ status: 'failed', error_code: '63024' }]);
	const parked = await stack.db.query<{ count: number }>(
		`select count(*)::int as count from private.pending_message_statuses where provider_message_id = 'SMrace'`
	);
	expect(parked.rows[0].count).toBe(0);
});
