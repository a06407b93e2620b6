import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Tx } from '../../supabase/local/db.ts';
import { startTestStack, testDatabaseServer, type TestStack } from '../support/stack.ts';
import { actAs, createUser, workspaceWithTwilioNumber, type Actor } from '../db/support.ts';

// An agent's reply and a customer's message are written at once on a real server. A thread is
// read in created_at order, so whichever is written second must sort second, and the
// conversation's last_message_at must end at the later one, however the two transactions
// interleave: now() is when a transaction began, not when it wrote.

const POLL = { timeout: 15_000, interval: 25 };

let stack: TestStack;
let agent: Actor;
let numberId: string;
let customers = 0;

beforeAll(async () => {
	if (!testDatabaseServer)
		throw new Error(
			'These tests need a PostgreSQL server: set PARLEY_TEST_DATABASE_URL to a superuser URL.'
		);
	stack = await startTestStack();
	const owner = await createUser(stack.db, 'race-owner@reply.test');
	agent = await createUser(stack.db, 'race-agent@reply.test');
	({ numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'reply-race', [
		[agent, 'agent']
	]));
});
afterAll(() => stack?.close());

/**
 * Stores a customer's text as the webhook functions do, after `first` ran in the same
 * transaction; answers its conversation.
 */
async function customerWrites(
	waId: string,
	sid: string,
	body: string,
	first: (tx: Tx) => Promise<void> = async () => {}
): Promise<string> {
	const rows = await stack.db.transaction(async (tx) => {
		await first(tx);
		await tx.query(`select set_config('role', 'service_role', true)`);
		return (
			await tx.query<{ result: { messages: { conversation_id: string }[] } }>(
				`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb, '[]') as result`,
				[numberId, JSON.stringify([{ provider_message_id: sid, wa_id: waId, type: 'text', body }])]
			)
		).rows;
	});
	return rows[0].result.messages[0].conversation_id;
}

/** The thread as it is read: bodies in created_at order, and where last_message_at stands. */
async function thread(conversationId: string) {
	const { rows } = await stack.db.query<{ body: string; newest: boolean }>(
		`select m.body, m.created_at = c.last_message_at as newest
		 from public.messages m join public.conversations c on c.id = m.conversation_id
		 where m.conversation_id = $1 order by m.created_at, m.id`,
		[conversationId]
	);
	return rows;
}

/**
 * Holds one transaction after it has begun: `hold` takes the transaction's now() and waits,
 * `held` waits until the server shows it waiting, `open` lets it go on.
 */
function gate() {
	let open!: () => void;
	const opened = new Promise<void>((resolve) => (open = resolve));
	return {
		hold: async (tx: Tx) => {
			await tx.query('select now()');
			await opened;
		},
		held: () =>
			vi.waitFor(async () => {
				const { rows } = await stack.db.query<{ open: number }>(
					`select count(*)::int as open from pg_stat_activity
					 where state = 'idle in transaction' and query = 'select now()'`
				);
				expect(rows[0].open).toBe(1);
			}, POLL),
		open
	};
}

function newCustomer(): string {
	customers += 1;
	return `1415555${String(customers).padStart(4, '0')}`;
}

it('a reply whose transaction began before a customer’s message committed still sorts after it', async () => {
	const waId = newCustomer();
	const conversationId = await customerWrites(waId, `SMrr${waId}a`, 'Hello');

	// The agent's transaction begins (and takes its now()) first, and writes only once the
	// customer's second message has committed.
	const started = gate();
	const reply = actAs(stack.db, agent, async (tx) => {
		await started.hold(tx);
		return tx.query('select id from public.queue_outbound_message($1, $2)', [
			conversationId,
			'Hi! How can I help?'
		]);
	});
	await started.held();
	await customerWrites(waId, `SMrr${waId}b`, 'Are you there?');
	started.open();
	await reply;

	expect(await thread(conversationId)).toEqual([
		{ body: 'Hello', newest: false },
		{ body: 'Are you there?', newest: false },
		{ body: 'Hi! How can I help?', newest: true }
	]);
});

it('a customer’s message whose delivery began before a reply committed still sorts after it', async () => {
	const waId = newCustomer();
	const conversationId = await customerWrites(waId, `SMrr${waId}a`, 'Hello');

	// The delivery's transaction begins (and takes its now()) first, and stores the message only
	// once the agent's reply has committed.
	const started = gate();
	const customer = customerWrites(waId, `SMrr${waId}b`, 'Are you there?', started.hold);
	await started.held();
	await actAs(stack.db, agent, (tx) =>
		tx.query('select id from public.queue_outbound_message($1, $2)', [
			conversationId,
			'Hi! How can I help?'
		])
	);
	started.open();
	await customer;

	expect(await thread(conversationId)).toEqual([
		{ body: 'Hello', newest: false },
		{ body: 'Hi! How can I help?', newest: false },
		{ body: 'Are you there?', newest: true }
	]);
});
