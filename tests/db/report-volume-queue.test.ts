import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { reportBuilders, type ReportBuilders } from './reports-support.ts';
import { attempt, failure, rowsOf, workspaceWithTwilioNumber } from './support.ts';

// A message's count waits in a queue, so deliveries of one tenant never queue on a shared
// counter row; the queue is folded into the counters on a schedule and before a report is read.

let stack: TestStack;
let build: ReportBuilders;

beforeAll(async () => {
	// No scheduled folds here: each test says when the queue is folded.
	stack = await startTestStack({ volumeFoldEveryMs: 0 });
	build = reportBuilders(stack.db);
});
afterAll(() => stack?.close());

async function counted(tenantId: string) {
	const { rows } = await stack.db.query<{ sender: string; messages: number }>(
		`select sender, sum(messages)::int as messages from public.message_volume where tenant_id = $1
		 group by sender order by sender`,
		[tenantId]
	);
	return rows;
}

async function queued(tenantId: string): Promise<number> {
	const { rows } = await stack.db.query<{ messages: number }>(
		`select coalesce(sum(messages), 0)::int as messages from private.message_volume_queue where tenant_id = $1`,
		[tenantId]
	);
	return rows[0].messages;
}

/** A workspace with a Twilio number and an agent, and one customer's conversation on it. */
async function queueWorkspace(prefix: string, startsAt: string) {
	const owner = await build.newUser('owner');
	const agent = await build.newUser('agent');
	const { tenantId, numberId } = await workspaceWithTwilioNumber(
		stack.db,
		owner,
		build.slug(prefix),
		[[agent, 'agent']]
	);
	const conversation = await build.conversation(tenantId, numberId, startsAt);
	return { owner, agent, tenantId, numberId, conversation };
}

it('counts wait in the queue until folded, then are counted once, one counter row per bucket', async () => {
	const { agent, tenantId, conversation } = await queueWorkspace('queue', '2026-11-02T09:00:00Z');
	for (const minute of ['01', '02', '03'])
		await build.message(
			tenantId,
			conversation,
			{ kind: 'customer' },
			`2026-11-02T09:${minute}:00Z`
		);
	await build.message(
		tenantId,
		conversation,
		{ kind: 'agent', user: agent },
		'2026-11-02T09:04:00Z'
	);

	expect(await queued(tenantId)).toBe(4);
	expect(await counted(tenantId)).toEqual([]);

	// Two folds at once: each queued count is taken by one of them.
	await Promise.all([build.foldCounts(tenantId), build.foldCounts(tenantId)]);
	expect(await queued(tenantId)).toBe(0);
	expect(await counted(tenantId)).toEqual([
		{ sender: 'agent', messages: 1 },
		{ sender: 'customer', messages: 3 }
	]);
	const { rows: counters } = await stack.db.query<{ n: number }>(
		`select count(*)::int as n from public.message_volume where tenant_id = $1 and sender = 'customer'`,
		[tenantId]
	);
	expect(counters[0].n).toBe(1);

	// A later message adds to the counter it belongs to.
	await build.message(tenantId, conversation, { kind: 'customer' }, '2026-11-02T09:05:00Z');
	await stack.db.query('call private.fold_all_message_volume()');
	expect(await counted(tenantId)).toEqual([
		{ sender: 'agent', messages: 1 },
		{ sender: 'customer', messages: 4 }
	]);
});

it('a report folds its tenant first and counts every message committed before it', async () => {
	const { owner, agent, tenantId, conversation } = await queueWorkspace(
		'queue-report',
		'2026-11-03T10:00:00Z'
	);
	await build.message(tenantId, conversation, { kind: 'customer' }, '2026-11-03T10:01:00Z');
	await build.message(
		tenantId,
		conversation,
		{ kind: 'agent', user: agent },
		'2026-11-03T10:02:00Z'
	);
	expect(await queued(tenantId)).toBe(2);

	const report = await build.report(owner, tenantId, '2026-11-03', '2026-11-03');
	expect(report.current.messages_in).toBe(1);
	expect(report.current.messages_out_human).toBe(1);
	// An agent may fold for their own report too.
	const own = await build.report(agent, tenantId, '2026-11-03', '2026-11-03');
	expect(own.current.messages_out_human).toBe(1);
});

it('only members fold a tenant’s queue', async () => {
	const stranger = await build.newUser('stranger');
	const { owner, tenantId, conversation } = await queueWorkspace(
		'queue-stranger',
		'2026-11-04T10:00:00Z'
	);
	await build.message(tenantId, conversation, { kind: 'customer' }, '2026-11-04T10:01:00Z');
	expect(
		failure(
			await attempt(stack.db, stranger, 'select public.count_report_messages($1)', [tenantId])
		)
	).toEqual({
		code: 'P0002',
		message: 'There is no such workspace, or you are not a member of it.'
	});
	rowsOf(await attempt(stack.db, owner, 'select public.count_report_messages($1)', [tenantId]));
});

it('counts of a number removed before the fold are dropped with it', async () => {
	const { tenantId, numberId, conversation } = await queueWorkspace(
		'queue-removed',
		'2026-11-05T10:00:00Z'
	);
	await build.message(tenantId, conversation, { kind: 'customer' }, '2026-11-05T10:01:00Z');
	expect(await queued(tenantId)).toBe(1);
	await stack.db.query('delete from public.whatsapp_numbers where id = $1', [numberId]);
	await build.foldCounts(tenantId);
	expect(await queued(tenantId)).toBe(0);
	expect(await counted(tenantId)).toEqual([]);
});
