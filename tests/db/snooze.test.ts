import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	broadcastsNewestFirst,
	commitAs,
	createUser,
	failure,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// A snoozed conversation leaves Mine, Unassigned, All and Escalated for Snoozed, and comes back
// when its time comes (telling its assignee once) or when the customer writes. Nothing here waits
// for time to pass: a snooze is moved into the past and the wake-up is called.

let stack: TestStack;
let owner: Actor, agent: Actor, otherAgent: Actor, outsider: Actor;
let tenantId: string, numberId: string;

beforeAll(async () => {
	// The stack's own timer stays off: each test calls the wake-up itself.
	stack = await startTestStack({ snoozeWakeEveryMs: 0 });
	owner = await createUser(stack.db, 'snooze-owner@example.test', { display_name: 'Otto Owner' });
	agent = await createUser(stack.db, 'snooze-agent@example.test', { display_name: 'Sara Agent' });
	otherAgent = await createUser(stack.db, 'snooze-agent2@example.test', {
		display_name: 'Tom Agent'
	});
	outsider = await createUser(stack.db, 'snooze-outsider@example.test');
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'snooze', [
		[agent, 'agent'],
		[otherAgent, 'agent']
	]));
	await workspaceWithTwilioNumber(stack.db, outsider, 'snooze-other', []);
});
afterAll(() => stack?.close());

let phoneCount = 0;
/** A customer writes: stored as the webhook function stores it. Returns the conversation id. */
async function customerWrites(name: string, body: string, waId?: string): Promise<string> {
	phoneCount += 1;
	const item = {
		provider_message_id: `SMsnooze${phoneCount}`,
		wa_id: waId ?? `1415888${String(phoneCount).padStart(4, '0')}`,
		profile_name: name,
		type: 'text',
		body
	};
	const result = await stack.db.transaction(async (tx) => {
		await tx.query(`select set_config('role', 'service_role', true)`);
		const { rows } = await tx.query<{ result: { messages: { conversation_id: string }[] } }>(
			`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb) as result`,
			[numberId, JSON.stringify([item])]
		);
		return rows[0].result;
	});
	return result.messages[0].conversation_id;
}

type Snoozed = { snoozed_until: string | null };

function snooze(actor: Actor, id: string, args: { until?: string; preset?: string }) {
	return commitAs<Snoozed>(
		stack.db,
		actor,
		'select snoozed_until from public.snooze_conversation($1, until => $2, preset => $3)',
		[id, args.until ?? null, args.preset ?? null]
	);
}

function assign(actor: Actor, id: string, assignee: Actor) {
	return commitAs(stack.db, actor, 'select public.assign_conversation($1, $2)', [id, assignee.id]);
}

/** Moves a snooze into the past, as if its time had come. */
async function timeComes(id: string) {
	await stack.db.query(
		`update public.conversations set snoozed_until = now() - interval '1 second' where id = $1`,
		[id]
	);
}

async function wake(): Promise<number> {
	const { rows } = await stack.db.query<{ woken: number }>(
		'select private.wake_snoozed_conversations() as woken'
	);
	return rows[0].woken;
}

async function snoozedUntil(id: string): Promise<string | null> {
	const { rows } = await stack.db.query<Snoozed>(
		'select snoozed_until from public.conversations where id = $1',
		[id]
	);
	return rows[0].snoozed_until;
}

async function viewIds(actor: Actor, view: string, tenant = tenantId): Promise<string[]> {
	const rows = rowsOf(
		await commitAs<{ id: string }>(
			stack.db,
			actor,
			'select id from public.inbox_conversations($1, view => $2, page_size => 100)',
			[tenant, view]
		)
	);
	return rows.map((row) => row.id);
}

async function snoozeNotes(recipient: Actor, id: string) {
	const { rows } = await stack.db.query<{ title: string; body: string | null }>(
		`select title, body from public.notifications
		 where recipient_id = $1 and conversation_id = $2 and kind = 'snooze'`,
		[recipient.id, id]
	);
	return rows;
}

describe('snoozing', () => {
	it('an agent snoozes for an hour: the conversation leaves every view for Snoozed', async () => {
		const id = await customerWrites('Hana Hour', 'Call me back later');
		rowsOf(await assign(agent, id, agent));
		const [row] = rowsOf(await snooze(agent, id, { preset: 'hour' }));
		const minutes = (new Date(row.snoozed_until!).getTime() - Date.now()) / 60_000;
		expect(minutes).toBeGreaterThan(55);
		expect(minutes).toBeLessThanOrEqual(60);
		for (const view of ['mine', 'all', 'unassigned', 'escalated'])
			expect(await viewIds(agent, view)).not.toContain(id);
		expect(await viewIds(agent, 'snoozed')).toContain(id);
		// The chat page reads a conversation by id with no view: a snoozed one is still found.
		const byId = rowsOf(
			await commitAs(
				stack.db,
				agent,
				'select id from public.inbox_conversations($1, only_id => $2)',
				[tenantId, id]
			)
		);
		expect(byId).toEqual([{ id }]);
	});

	it("tomorrow and next week are at 9:00 in the workspace's time zone", async () => {
		const { tenantId: tokyo, numberId: tokyoNumber } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			'snooze-tokyo',
			[]
		);
		rowsOf(
			await commitAs(
				stack.db,
				owner,
				`update public.tenants set time_zone = 'Asia/Tokyo' where id = $1`,
				[tokyo]
			)
		);
		const { rows } = await stack.db.query<{ id: string }>(
			`with contact as (insert into public.contacts (tenant_id, wa_id) values ($1, '14158880999') returning id)
			 insert into public.conversations (tenant_id, number_id, contact_id) select $1, $2, id from contact returning id`,
			[tokyo, tokyoNumber]
		);
		const id = rows[0].id;
		const [tomorrow] = rowsOf(await snooze(owner, id, { preset: 'tomorrow' }));
		const [nextWeek] = rowsOf(await snooze(owner, id, { preset: 'next_week' }));
		const local = await stack.db.query<{
			tomorrow_day: number;
			tomorrow_time: string;
			week_dow: number;
			week_time: string;
			week_days: number;
		}>(
			`select (($1::timestamptz at time zone 'Asia/Tokyo')::date - (now() at time zone 'Asia/Tokyo')::date) as tomorrow_day,
			        to_char($1::timestamptz at time zone 'Asia/Tokyo', 'HH24:MI') as tomorrow_time,
			        extract(isodow from $2::timestamptz at time zone 'Asia/Tokyo')::int as week_dow,
			        to_char($2::timestamptz at time zone 'Asia/Tokyo', 'HH24:MI') as week_time,
			        (($2::timestamptz at time zone 'Asia/Tokyo')::date - (now() at time zone 'Asia/Tokyo')::date) as week_days`,
			[tomorrow.snoozed_until, nextWeek.snoozed_until]
		);
		expect(local.rows[0]).toMatchObject({
			tomorrow_day: 1,
			tomorrow_time: '09:00',
			week_dow: 1,
			week_time: '09:00'
		});
		expect(local.rows[0].week_days).toBeGreaterThanOrEqual(1);
		expect(local.rows[0].week_days).toBeLessThanOrEqual(7);
	});

	it('a chosen time is kept as given; any member brings the conversation back early', async () => {
		const id = await customerWrites('Carl Chosen', 'Next Tuesday works');
		const at = new Date(Date.now() + 3 * 86_400_000).toISOString();
		const [row] = rowsOf(await snooze(otherAgent, id, { until: at }));
		expect(new Date(row.snoozed_until!).getTime()).toBe(Date.parse(at));
		const [back] = rowsOf(
			await commitAs<Snoozed>(
				stack.db,
				agent,
				'select snoozed_until from public.unsnooze_conversation($1)',
				[id]
			)
		);
		expect(back.snoozed_until).toBeNull();
		expect(await viewIds(agent, 'unassigned')).toContain(id);
	});

	it('the counts move a snoozed conversation from its views to Snoozed', async () => {
		const { tenantId: t } = await workspaceWithTwilioNumber(stack.db, owner, 'snooze-counts', [
			[agent, 'agent']
		]);
		const { rows } = await stack.db.query<{ id: string }>(
			`with contact as (insert into public.contacts (tenant_id, wa_id) values ($1, '14158880998') returning id)
			 insert into public.conversations (tenant_id, number_id, contact_id)
			 select $1, n.id, contact.id from contact, public.whatsapp_numbers n where n.tenant_id = $1 returning id`,
			[t]
		);
		const counts = async () =>
			rowsOf(await commitAs(stack.db, agent, 'select * from public.inbox_view_counts($1)', [t]))[0];
		expect(await counts()).toEqual({
			mine: 0,
			unassigned: 1,
			all_conversations: 1,
			escalated: 0,
			snoozed: 0
		});
		rowsOf(await snooze(agent, rows[0].id, { preset: 'hour' }));
		expect(await counts()).toEqual({
			mine: 0,
			unassigned: 0,
			all_conversations: 0,
			escalated: 0,
			snoozed: 1
		});
		// Past its time, it is awake in the views and counts before the wake-up has run.
		await timeComes(rows[0].id);
		expect(await counts()).toMatchObject({ unassigned: 1, all_conversations: 1, snoozed: 0 });
		expect(await viewIds(agent, 'unassigned', t)).toEqual([rows[0].id]);
		expect(await viewIds(agent, 'snoozed', t)).toEqual([]);
	});
});

describe('waking up', () => {
	it('the wake-up brings it back and tells the assignee once, however often it runs', async () => {
		const id = await customerWrites('Wanda Wake', 'Any news on my refund?');
		rowsOf(await assign(owner, id, agent));
		rowsOf(await snooze(agent, id, { preset: 'tomorrow' }));
		// Earlier tests leave snoozes past their time; the first run wakes those.
		await wake();
		expect(await wake()).toBe(0);
		expect(await snoozedUntil(id)).not.toBeNull();
		await timeComes(id);
		expect(await wake()).toBeGreaterThanOrEqual(1);
		expect(await wake()).toBe(0);
		expect(await snoozedUntil(id)).toBeNull();
		expect(await snoozeNotes(agent, id)).toEqual([
			{
				title: 'The conversation with Wanda Wake is back from snooze',
				body: 'Any news on my refund?'
			}
		]);
		expect(await snoozeNotes(otherAgent, id)).toEqual([]);
		expect(await viewIds(agent, 'mine')).toContain(id);
		const { rows } = await stack.db.query<{ payload: { record: { kind: string } } }>(
			`select payload from realtime.messages where topic = $1 and event = 'notifications'
			 order by ${broadcastsNewestFirst} limit 1`,
			[`user:${agent.id}`]
		);
		expect(rows[0].payload.record.kind).toBe('snooze');
		const inbox = await stack.db.query<{ payload: { record: { snoozed_until: null } } }>(
			`select payload from realtime.messages where topic = $1 and event = 'conversations'
			 and payload -> 'record' ->> 'id' = $2 order by ${broadcastsNewestFirst} limit 1`,
			[`tenant:${tenantId}`, id]
		);
		expect(inbox.rows[0].payload.record.snoozed_until).toBeNull();
	});

	it('an unassigned conversation wakes without telling anyone', async () => {
		const id = await customerWrites('Nora Nobody', 'Hello?');
		rowsOf(await snooze(agent, id, { preset: 'hour' }));
		await timeComes(id);
		await wake();
		expect(await snoozedUntil(id)).toBeNull();
		const { rows } = await stack.db.query(
			`select 1 from public.notifications where conversation_id = $1 and kind = 'snooze'`,
			[id]
		);
		expect(rows).toEqual([]);
	});

	it('a new message from the customer wakes it at once', async () => {
		const waId = '14158881234';
		const id = await customerWrites('Ines Inbound', 'First', waId);
		rowsOf(await snooze(agent, id, { preset: 'next_week' }));
		expect(await viewIds(agent, 'snoozed')).toContain(id);
		expect(await customerWrites('Ines Inbound', 'Are you there?', waId)).toBe(id);
		expect(await snoozedUntil(id)).toBeNull();
		expect(await viewIds(agent, 'unassigned')).toContain(id);
		expect(await viewIds(agent, 'snoozed')).not.toContain(id);
	});

	it('our own reply keeps it snoozed; closing it ends the snooze', async () => {
		const id = await customerWrites('Rui Reply', 'Thanks');
		rowsOf(await snooze(agent, id, { preset: 'hour' }));
		rowsOf(
			await commitAs(stack.db, agent, 'select public.queue_outbound_message($1, $2)', [
				id,
				'We will get back to you tomorrow.'
			])
		);
		expect(await snoozedUntil(id)).not.toBeNull();
		rowsOf(
			await commitAs(
				stack.db,
				agent,
				`update public.conversations set status = 'closed' where id = $1`,
				[id]
			)
		);
		expect(await snoozedUntil(id)).toBeNull();
	});
});

describe('refusals', () => {
	it('bad times and presets are refused in sentences, and the conversation stays awake', async () => {
		const id = await customerWrites('Bea Bad', 'Hi');
		const cases: [{ until?: string; preset?: string }, string][] = [
			[
				{ until: new Date(Date.now() - 60_000).toISOString() },
				'Choose a time at least a minute from now to snooze until.'
			],
			[
				{ until: new Date(Date.now() + 400 * 86_400_000).toISOString() },
				'A conversation can be snoozed for at most a year. Choose an earlier time.'
			],
			[
				{ preset: 'someday' },
				'someday is not a snooze preset. Choose hour, tomorrow or next_week, or give a time.'
			],
			[
				{ preset: 'hour', until: new Date(Date.now() + 86_400_000).toISOString() },
				'Choose either a preset or a time to snooze until, not both.'
			],
			[
				{},
				'Choose when the conversation should come back: in an hour, tomorrow, next week or at a time you pick.'
			]
		];
		for (const [args, message] of cases)
			expect(failure(await snooze(agent, id, args))).toEqual({ code: '22023', message });
		expect(await snoozedUntil(id)).toBeNull();
		// Not a time at all: the database says so before the function runs.
		expect(failure(await snooze(agent, id, { until: 'next tuesday-ish' }))).toMatchObject({
			code: '22007'
		});
	});

	it('a closed conversation cannot be snoozed', async () => {
		const id = await customerWrites('Cleo Closed', 'Bye');
		await stack.db.query(`update public.conversations set status = 'closed' where id = $1`, [id]);
		expect(failure(await snooze(agent, id, { preset: 'hour' }))).toEqual({
			code: 'P0001',
			message: 'Only open conversations can be snoozed, and this one is closed. Reopen it first.'
		});
	});

	it("another workspace's member can neither snooze nor wake it, nor see it snoozed", async () => {
		const id = await customerWrites('Oona Outside', 'Hi');
		rowsOf(await snooze(agent, id, { preset: 'hour' }));
		expect(failure(await snooze(outsider, id, { preset: 'tomorrow' }))).toMatchObject({
			code: 'PT404'
		});
		expect(
			failure(await commitAs(stack.db, outsider, 'select public.unsnooze_conversation($1)', [id]))
		).toMatchObject({ code: 'PT404' });
		expect(await snoozedUntil(id)).not.toBeNull();
		expect(await viewIds(outsider, 'snoozed')).toEqual([]);
		expect(
			failure(
				await commitAs(stack.db, anon, `select public.snooze_conversation($1, preset => 'hour')`, [
					id
				])
			)
		).toMatchObject({ code: '42501' });
	});

	it('nobody writes snoozed_until directly, nor calls the wake-up', async () => {
		const id = await customerWrites('Dina Direct', 'Hi');
		expect(
			failure(
				await commitAs(
					stack.db,
					owner,
					`update public.conversations set snoozed_until = now() + interval '1 day' where id = $1`,
					[id]
				)
			)
		).toMatchObject({ code: '42501' });
		expect(
			failure(await commitAs(stack.db, owner, 'select private.wake_snoozed_conversations()'))
		).toMatchObject({ code: '42501' });
		expect(await snoozedUntil(id)).toBeNull();
	});
});
