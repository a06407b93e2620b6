import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startTestStack, testDatabaseServer, type TestStack } from '../support/stack.ts';
import { createUser, workspaceWithTwilioNumber } from '../db/support.ts';

// Two deliveries of one tenant commit at once on a real server: one opens a new customer's
// conversation, the other adds to an existing one. Both write the reports rollup; neither may be
// failed as a deadlock (the provider would retry, a second later at best).

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

/** One inbound text from `waId`, ingested as the webhook function does, committed after `hold`. */
function deliver(numberId: string, waId: string, id: string, hold?: Promise<void>) {
	return stack.db.transaction(async (tx) => {
		await tx.query(`select set_config('role', 'service_role', true)`);
		await tx.query(
			`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb, '[]')`,
			[numberId, JSON.stringify([{ provider_message_id: id, wa_id: waId, type: 'text', body: id }])]
		);
		await hold;
	});
}

it('a new conversation and a message in an existing one commit side by side without a deadlock', async () => {
	const owner = await createUser(stack.db, 'race-owner@report-days.test');
	const { numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'report-days-race', []);
	await deliver(numberId, '14155550101', 'SMknown1');

	// The new customer's delivery has opened its conversation and waits to commit.
	let commitNew!: () => void;
	const newMayCommit = new Promise<void>((resolve) => (commitNew = resolve));
	const newCustomer = deliver(numberId, '14155550102', 'SMnew1', newMayCommit);
	await vi.waitFor(async () => {
		const { rows } = await stack.db.query<{ open: number }>(
			`select count(*)::int as open from pg_stat_activity
			 where state = 'idle in transaction' and query like '%ingest_whatsapp_delivery%'`
		);
		expect(rows[0].open).toBe(1);
	}, POLL);

	// The known customer's delivery reaches its commit and waits for the first.
	let knownFinished = false;
	const knownCustomer = deliver(numberId, '14155550101', 'SMknown2').finally(
		() => (knownFinished = true)
	);
	await vi.waitFor(async () => {
		if (knownFinished) return;
		const { rows } = await stack.db.query<{ waiting: number }>(
			`select count(*)::int as waiting from pg_stat_activity
			 where wait_event_type = 'Lock' and pid <> pg_backend_pid()
			   and (query ilike 'commit' or query like '%ingest_whatsapp_delivery%')`
		);
		expect(rows[0].waiting).toBe(1);
	}, POLL);
	commitNew();

	const outcomes = await Promise.allSettled([newCustomer, knownCustomer]);
	expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
	const { rows } = await stack.db.query<{ provider_message_id: string }>(
		`select m.provider_message_id from public.messages m
		 join public.conversations c on c.id = m.conversation_id
		 where c.number_id = $1 order by m.provider_message_id`,
		[numberId]
	);
	expect(rows.map((row) => row.provider_message_id)).toEqual(['SMknown1', 'SMknown2', 'SMnew1']);
	// The rollup counted all three inbound messages, once the queue is folded.
	await stack.db.query('call private.fold_all_message_volume()');
	const rollup = await stack.db.query<{ messages_in: number }>(
		`select coalesce(sum(messages_in), 0)::int as messages_in from public.conversation_report_days
		 where number_id = $1 and member_id is null`,
		[numberId]
	);
	expect(rollup.rows[0].messages_in).toBe(3);
});
