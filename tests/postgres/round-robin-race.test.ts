import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startTestStack, testDatabaseServer, type TestStack } from '../support/stack.ts';
import {
	commitAs,
	createUser,
	rowsOf,
	workspaceWithTwilioNumber,
	type Actor
} from '../db/support.ts';

// New conversations on a round-robin number arriving at the same instant on a real server: each
// pick must see the turn the previous one took, never a read from before it committed. (Ingest also
// queues a tenant's new conversations on the reports' lock; the first test calls the pick alone, so
// it proves the number's own lock.)

const POLL = { timeout: 15_000, interval: 25 };

let stack: TestStack;
let owner: Actor, alba: Actor, bruno: Actor;
let tenantId: string, numberId: string;

beforeAll(async () => {
	if (!testDatabaseServer)
		throw new Error(
			'These tests need a PostgreSQL server: set PARLEY_TEST_DATABASE_URL to a superuser URL.'
		);
	stack = await startTestStack();
	owner = await createUser(stack.db, 'race-owner@round-robin.test');
	alba = await createUser(stack.db, 'race-alba@round-robin.test');
	bruno = await createUser(stack.db, 'race-bruno@round-robin.test');
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'round-robin-race', [
		[alba, 'agent'],
		[bruno, 'agent']
	]));
	rowsOf(await commitAs(stack.db, owner, 'select public.set_round_robin($1, true)', [numberId]));
	rowsOf(await commitAs(stack.db, owner, 'select public.set_availability($1, false)', [tenantId]));
});
afterAll(() => stack?.close());

/** Deletes the turns, so each test starts with nobody ever assigned. */
async function forgetTurns() {
	await stack.db.query('delete from private.round_robin_turns where number_id = $1', [numberId]);
}

/** How many other backends wait on a lock. */
async function waitingOnLocks(): Promise<number> {
	const { rows } = await stack.db.query<{ waiting: number }>(
		`select count(*)::int as waiting from pg_stat_activity
		 where wait_event_type = 'Lock' and pid <> pg_backend_pid()`
	);
	return rows[0].waiting;
}

it('two picks on one number queue: the second waits for the first and takes the other member', async () => {
	await forgetTurns();
	const { rows: numbers } = await stack.db.query<{ number: string }>(
		'select to_jsonb(n)::text as number from public.whatsapp_numbers n where n.id = $1',
		[numberId]
	);
	const number = numbers[0].number;
	/** One pick in a transaction of its own, committed once `hold` resolves. */
	const pick = (hold?: Promise<void>) =>
		stack.db.transaction(async (tx) => {
			const { rows } = await tx.query<{ chosen: string }>(
				`select private.round_robin_assignee(jsonb_populate_record(null::public.whatsapp_numbers, $1::jsonb)) as chosen`,
				[number]
			);
			await hold;
			return rows[0].chosen;
		});

	let commitFirst!: () => void;
	const firstMayCommit = new Promise<void>((resolve) => (commitFirst = resolve));
	const first = pick(firstMayCommit);
	await vi.waitFor(async () => {
		const { rows } = await stack.db.query<{ open: number }>(
			`select count(*)::int as open from pg_stat_activity
			 where state = 'idle in transaction' and query like '%round_robin_assignee%'`
		);
		expect(rows[0].open).toBe(1);
	}, POLL);

	let secondDone = false;
	const second = pick().finally(() => (secondDone = true));
	// The second pick is held by the first one's lock on the number, not answered from its turns.
	await vi.waitFor(async () => expect(await waitingOnLocks()).toBe(1), POLL);
	expect(secondDone).toBe(false);
	commitFirst();

	const chosen = await Promise.all([first, second]);
	expect(chosen).toEqual([alba.id, bruno.id]);
});

it('first messages from many customers at once are shared out evenly', async () => {
	await forgetTurns();
	const deliveries = Array.from({ length: 6 }, (_, i) =>
		stack.db.transaction(async (tx) => {
			await tx.query(`select set_config('role', 'service_role', true)`);
			const { rows } = await tx.query<{ id: string }>(
				`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb, '[]')
				   -> 'messages' -> 0 ->> 'conversation_id' as id`,
				[
					numberId,
					JSON.stringify([
						{
							provider_message_id: `SMrace${i}`,
							wa_id: `1415557${String(i).padStart(4, '0')}`,
							type: 'text',
							body: `Hello ${i}`
						}
					])
				]
			);
			return rows[0].id;
		})
	);
	const outcomes = await Promise.allSettled(deliveries);
	expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(6).fill('fulfilled'));
	const { rows } = await stack.db.query<{ assignee_id: string; conversations: number }>(
		`select assignee_id, count(*)::int as conversations from public.conversations
		 where number_id = $1 group by assignee_id order by assignee_id`,
		[numberId]
	);
	expect(rows).toEqual(
		[alba.id!, bruno.id!].sort().map((id) => ({ assignee_id: id, conversations: 3 }))
	);
});
