import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	attempt,
	commitAs,
	createUser,
	failure,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// The Reports page's SQL: a hand-built week in Europe/Berlin (clocks go forward on Sunday
// 2026-03-29) whose figures were worked out by hand, read back through conversation_report as an
// owner, as agents and as a stranger; and the triggers that keep the report tables as people and
// providers use the inbox.

interface Figures {
	conversations_opened: number;
	messages_in: number | null;
	messages_out_human: number;
	messages_out_ai: number;
	first_response_human_count: number;
	first_response_human_median: number | null;
	first_response_human_p90: number | null;
	first_response_ai_count: number;
	first_response_ai_median: number | null;
	first_response_ai_p90: number | null;
	resolved: number;
	resolved_by_ai: number;
	resolution_median: number | null;
	resolution_p90: number | null;
	ai_answered: number;
	escalated: number;
	escalation_rate: number | null;
	failed: number;
	sentiment: { positive: number; neutral: number; negative: number };
}

interface Report {
	scope: 'tenant' | 'own';
	time_zone: string;
	granularity: 'hour' | 'day';
	previous_first_day: string;
	current: Figures;
	previous: Figures;
	volume: { at: string; inbound: number; human: number; ai: number }[];
	members: {
		user_id: string;
		messages_sent: number;
		first_responses: number;
		first_response_median: number | null;
		resolved: number;
	}[];
	numbers: { number_id: string; opened: number; inbound: number; outbound: number }[];
	heatmap: { weekday: number; hour: number; inbound: number }[];
	escalation_reasons: { reason: string; count: number }[];
	failures: { error_code: string | null; reason: string; count: number }[];
}

let stack: TestStack;
let users = 0;
let phones = 0;

beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

function newUser(name: string): Promise<Actor> {
	users += 1;
	return createUser(stack.db, `${name}-${users}@reports.test`);
}

async function report(
	actor: Actor,
	tenantId: string,
	firstDay: string,
	lastDay: string,
	filters: { numberId?: string; memberId?: string } = {}
): Promise<Report> {
	const [row] = rowsOf(
		await attempt<{ report: Report }>(
			stack.db,
			actor,
			'select public.conversation_report($1, $2, $3, $4, $5) as report',
			[tenantId, firstDay, lastDay, filters.numberId ?? null, filters.memberId ?? null]
		)
	);
	return row.report;
}

/** A customer's conversation on a number, created when its first message arrives. */
async function conversation(tenantId: string, numberId: string, at: string): Promise<string> {
	phones += 1;
	const { rows } = await stack.db.query<{ id: string }>(
		`with contact as (
		   insert into public.contacts (tenant_id, wa_id, profile_name) values ($1, $2, 'Customer') returning id
		 )
		 insert into public.conversations (tenant_id, number_id, contact_id, created_at)
		 select $1, $3, id, $4 from contact returning id`,
		[tenantId, `4930${String(phones).padStart(7, '0')}`, numberId, at]
	);
	return rows[0].id;
}

type Sender = { kind: 'customer' } | { kind: 'ai' } | { kind: 'agent'; user: Actor };

/** A message stored at a chosen time (its own transaction, so the volume trigger runs at commit). */
async function message(
	tenantId: string,
	conversationId: string,
	sender: Sender,
	at: string,
	failed?: { at: string; code: string; reason: string }
): Promise<void> {
	const inbound = sender.kind === 'customer';
	await stack.db.query(
		`insert into public.messages (tenant_id, conversation_id, direction, sender, sender_user_id, body,
		   provider, status, error_code, error_message, failed_at, created_at)
		 values ($1, $2, $3, $4, $5, 'text', 'twilio', $6, $7, $8, $9, $10)`,
		[
			tenantId,
			conversationId,
			inbound ? 'inbound' : 'outbound',
			sender.kind,
			sender.kind === 'agent' ? sender.user.id : null,
			inbound ? 'received' : failed ? 'failed' : 'delivered',
			failed?.code ?? null,
			failed?.reason ?? null,
			failed?.at ?? null,
			at
		]
	);
}

/**
 * Closes the conversation as `by` (a member, or no one: a service), then dates the resolution to
 * `at`: the trigger stamps the time of the close, and this week happened in the past.
 */
async function close(conversationId: string, at: string, by?: Actor): Promise<void> {
	if (by)
		rowsOf(
			await commitAs(
				stack.db,
				by,
				`update public.conversations set status = 'closed' where id = $1`,
				[conversationId]
			)
		);
	else
		await stack.db.query(`update public.conversations set status = 'closed' where id = $1`, [
			conversationId
		]);
	await stack.db.query(
		`update public.conversation_cycles set resolved_at = $2
		 where conversation_id = $1 and resolved_at = (select max(resolved_at) from public.conversation_cycles where conversation_id = $1)`,
		[conversationId, at]
	);
}

/** The AI hands the conversation over, as ai_escalate notifies every member, at a chosen time. */
async function escalate(tenantId: string, conversationId: string, at: string, reason: string) {
	await stack.db.query(
		`insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body, created_at)
		 select $1, m.user_id, 'escalation', $2, 'Customer needs a person', $4, $3
		 from public.memberships m where m.tenant_id = $1`,
		[tenantId, conversationId, at, reason]
	);
}

async function setSentiment(conversationId: string, sentiment: string) {
	await stack.db.query(`update public.conversations set sentiment = $2 where id = $1`, [
		conversationId,
		sentiment
	]);
}

interface Week {
	tenantId: string;
	storeNumber: string;
	shopNumber: string;
	owner: Actor;
	ann: Actor;
	ben: Actor;
}

/** The week of 2026-03-23 (Monday) to 2026-03-29 in Berlin, and the evening before it. */
async function buildWeek(): Promise<Week> {
	const owner = await newUser('owner');
	const ann = await newUser('ann');
	const ben = await newUser('ben');
	const { tenantId, numberId: storeNumber } = await workspaceWithTwilioNumber(
		stack.db,
		owner,
		`reports-week-${users}`,
		[
			[ann, 'agent'],
			[ben, 'agent']
		]
	);
	rowsOf(
		await commitAs(
			stack.db,
			owner,
			`update public.tenants set time_zone = 'Europe/Berlin' where id = $1`,
			[tenantId]
		)
	);
	const { rows } = await stack.db.query<{ id: string }>(
		`insert into public.whatsapp_numbers (tenant_id, provider, display_name, phone_number_id)
		 values ($1, 'meta', 'Shop', $2) returning id`,
		[tenantId, String(700000 + users)]
	);
	const shopNumber = rows[0].id;
	const customer: Sender = { kind: 'customer' };
	const ai: Sender = { kind: 'ai' };
	const byAnn: Sender = { kind: 'agent', user: ann };
	const byBen: Sender = { kind: 'agent', user: ben };

	// C4: Sunday evening before the week (previous period); Ann answers in 10 minutes and closes it
	// after midnight, so its resolution (1 h) falls in the week.
	const c4 = await conversation(tenantId, storeNumber, '2026-03-22T23:30:00+01:00');
	await message(tenantId, c4, customer, '2026-03-22T23:30:00+01:00');
	await message(tenantId, c4, byAnn, '2026-03-22T23:40:00+01:00');
	await setSentiment(c4, 'neutral');
	await close(c4, '2026-03-23T00:30:00+01:00', ann);

	// C3: Monday 00:15 in Berlin is still Sunday in UTC; the AI answers in 60 s and it is closed by
	// no person 30 minutes after it opened: resolved by the AI.
	const c3 = await conversation(tenantId, shopNumber, '2026-03-23T00:15:00+01:00');
	await message(tenantId, c3, customer, '2026-03-23T00:15:00+01:00');
	await message(tenantId, c3, ai, '2026-03-23T00:16:00+01:00');
	await setSentiment(c3, 'positive');
	await close(c3, '2026-03-23T00:45:00+01:00');

	// C1: Ann answers in 5 minutes; her second message fails; she closes it an hour after it opened.
	const c1 = await conversation(tenantId, storeNumber, '2026-03-23T09:00:00+01:00');
	await message(tenantId, c1, customer, '2026-03-23T09:00:00+01:00');
	await message(tenantId, c1, byAnn, '2026-03-23T09:05:00+01:00');
	await message(tenantId, c1, byAnn, '2026-03-23T09:06:00+01:00', {
		at: '2026-03-23T09:07:00+01:00',
		code: '63016',
		reason: 'The 24-hour window had closed.'
	});
	await setSentiment(c1, 'positive');
	await close(c1, '2026-03-23T10:00:00+01:00', ann);

	// C2: Wednesday 00:30 in Berlin (Tuesday in UTC); the AI answers in 30 s, hands over at 00:40,
	// Ben answers 10 minutes after the hand-over and closes it two hours after it opened.
	const c2 = await conversation(tenantId, storeNumber, '2026-03-25T00:30:00+01:00');
	await message(tenantId, c2, customer, '2026-03-25T00:30:00+01:00');
	await message(tenantId, c2, ai, '2026-03-25T00:30:30+01:00');
	await escalate(tenantId, c2, '2026-03-25T00:40:00+01:00', 'Wants a refund');
	await message(tenantId, c2, byBen, '2026-03-25T00:50:00+01:00');
	await setSentiment(c2, 'negative');
	await close(c2, '2026-03-25T02:30:00+01:00', ben);

	// C6: the AI answers in 20 s and hands over; nobody has answered yet.
	const c6 = await conversation(tenantId, storeNumber, '2026-03-26T14:00:00+01:00');
	await message(tenantId, c6, customer, '2026-03-26T14:00:00+01:00');
	await message(tenantId, c6, ai, '2026-03-26T14:00:20+01:00');
	await escalate(tenantId, c6, '2026-03-26T14:05:00+01:00', 'Asked for a person');

	// C7: two customer messages, Ben answers 3 minutes after the first, Ann after him (not first);
	// Ben closes it; on Saturday the customer writes again, which reopens it, and Ann answers in 2 min.
	const c7 = await conversation(tenantId, storeNumber, '2026-03-27T10:00:00+01:00');
	await message(tenantId, c7, customer, '2026-03-27T10:00:00+01:00');
	await message(tenantId, c7, customer, '2026-03-27T10:01:00+01:00');
	await message(tenantId, c7, byBen, '2026-03-27T10:03:00+01:00');
	await message(tenantId, c7, byAnn, '2026-03-27T10:04:00+01:00');
	await close(c7, '2026-03-27T11:00:00+01:00', ben);
	await message(tenantId, c7, customer, '2026-03-28T09:00:00+01:00');
	await stack.db.query(`update public.conversations set status = 'open' where id = $1`, [c7]);
	await message(tenantId, c7, byAnn, '2026-03-28T09:02:00+01:00');

	// C5: Sunday 01:30 CET; Ann answers at 03:10 CEST, 40 minutes later (the clock says 1 h 40 min).
	const c5 = await conversation(tenantId, shopNumber, '2026-03-29T01:30:00+01:00');
	await message(tenantId, c5, customer, '2026-03-29T01:30:00+01:00');
	await message(tenantId, c5, byAnn, '2026-03-29T03:10:00+02:00');
	await message(tenantId, c5, byAnn, '2026-03-29T03:12:00+02:00', {
		at: '2026-03-29T03:15:00+02:00',
		code: '131026',
		reason: 'The message could not be delivered.'
	});

	return { tenantId, storeNumber, shopNumber, owner, ann, ben };
}

let week: Week;

describe('a hand-built week in Berlin', () => {
	beforeAll(async () => {
		week = await buildWeek();
	});

	it('gives the owner the tenant figures worked out by hand', async () => {
		const result = await report(week.owner, week.tenantId, '2026-03-23', '2026-03-29');
		expect(result.scope).toBe('tenant');
		expect(result.time_zone).toBe('Europe/Berlin');
		expect(result.granularity).toBe('day');
		expect(result.previous_first_day).toBe('2026-03-16');
		expect(result.current).toEqual({
			conversations_opened: 7,
			messages_in: 8,
			messages_out_human: 8,
			messages_out_ai: 3,
			// 120, 180, 300, 600 (from the hand-over), 2400 (across the clock change)
			first_response_human_count: 5,
			first_response_human_median: 300,
			first_response_human_p90: 1680,
			// 20, 30, 60
			first_response_ai_count: 3,
			first_response_ai_median: 30,
			first_response_ai_p90: 54,
			// 1800, 3600, 3600, 3600, 7200
			resolved: 5,
			resolved_by_ai: 1,
			resolution_median: 3600,
			resolution_p90: 5760,
			ai_answered: 3,
			escalated: 2,
			escalation_rate: 0.6667,
			failed: 2,
			sentiment: { positive: 2, neutral: 0, negative: 1 }
		});
		expect(result.previous).toEqual({
			conversations_opened: 1,
			messages_in: 1,
			messages_out_human: 1,
			messages_out_ai: 0,
			first_response_human_count: 1,
			first_response_human_median: 600,
			first_response_human_p90: 600,
			first_response_ai_count: 0,
			first_response_ai_median: null,
			first_response_ai_p90: null,
			resolved: 0,
			resolved_by_ai: 0,
			resolution_median: null,
			resolution_p90: null,
			ai_answered: 0,
			escalated: 0,
			escalation_rate: null,
			failed: 0,
			sentiment: { positive: 0, neutral: 1, negative: 0 }
		});
	});

	it('puts each message on its local day and hour, across midnight and the clock change', async () => {
		const result = await report(week.owner, week.tenantId, '2026-03-23', '2026-03-29');
		expect(result.volume).toEqual([
			{ at: '2026-03-23T00:00', inbound: 2, human: 2, ai: 1 },
			{ at: '2026-03-24T00:00', inbound: 0, human: 0, ai: 0 },
			{ at: '2026-03-25T00:00', inbound: 1, human: 1, ai: 1 },
			{ at: '2026-03-26T00:00', inbound: 1, human: 0, ai: 1 },
			{ at: '2026-03-27T00:00', inbound: 2, human: 2, ai: 0 },
			{ at: '2026-03-28T00:00', inbound: 1, human: 1, ai: 0 },
			{ at: '2026-03-29T00:00', inbound: 1, human: 2, ai: 0 }
		]);
		expect(result.heatmap).toEqual([
			{ weekday: 1, hour: 0, inbound: 1 },
			{ weekday: 1, hour: 9, inbound: 1 },
			{ weekday: 3, hour: 0, inbound: 1 },
			{ weekday: 4, hour: 14, inbound: 1 },
			{ weekday: 5, hour: 10, inbound: 2 },
			{ weekday: 6, hour: 9, inbound: 1 },
			{ weekday: 7, hour: 1, inbound: 1 }
		]);
	});

	it('reads the day of the clock change hour by hour: 23 hours, 02:00 skipped', async () => {
		const result = await report(week.owner, week.tenantId, '2026-03-29', '2026-03-29');
		expect(result.granularity).toBe('hour');
		expect(result.volume).toHaveLength(23);
		expect(result.volume.map((point) => point.at.slice(11))).not.toContain('02:00');
		expect(result.volume.find((point) => point.at === '2026-03-29T01:00')).toEqual({
			at: '2026-03-29T01:00',
			inbound: 1,
			human: 0,
			ai: 0
		});
		expect(result.volume.find((point) => point.at === '2026-03-29T03:00')).toEqual({
			at: '2026-03-29T03:00',
			inbound: 0,
			human: 2,
			ai: 0
		});
		expect(result.current.first_response_human_median).toBe(2400);
	});

	it('names members, numbers, escalation reasons and failures', async () => {
		const result = await report(week.owner, week.tenantId, '2026-03-23', '2026-03-29');
		expect(result.members).toEqual([
			{
				user_id: week.ann.id,
				messages_sent: 6,
				first_responses: 3,
				first_response_median: 300,
				resolved: 2
			},
			{
				user_id: week.ben.id,
				messages_sent: 2,
				first_responses: 2,
				first_response_median: 390,
				resolved: 2
			}
		]);
		expect(result.numbers).toEqual([
			{ number_id: week.storeNumber, opened: 5, inbound: 6, outbound: 8 },
			{ number_id: week.shopNumber, opened: 2, inbound: 2, outbound: 3 }
		]);
		expect(result.escalation_reasons).toEqual([
			{ reason: 'Asked for a person', count: 1 },
			{ reason: 'Wants a refund', count: 1 }
		]);
		expect(result.failures).toEqual([
			{ error_code: '63016', reason: 'The 24-hour window had closed.', count: 1 },
			{ error_code: '131026', reason: 'The message could not be delivered.', count: 1 }
		]);
	});

	it('narrows to one number or one member when the owner asks', async () => {
		const shop = await report(week.owner, week.tenantId, '2026-03-23', '2026-03-29', {
			numberId: week.shopNumber
		});
		expect(shop.current.conversations_opened).toBe(2);
		expect(shop.current.messages_in).toBe(2);
		expect(shop.current.resolved_by_ai).toBe(1);
		expect(shop.current.failed).toBe(1);
		const ben = await report(week.owner, week.tenantId, '2026-03-23', '2026-03-29', {
			memberId: week.ben.id
		});
		expect(ben.current.conversations_opened).toBe(2);
		expect(ben.current.messages_out_human).toBe(2);
		expect(ben.current.first_response_human_median).toBe(390);
		expect(ben.members.map((member) => member.user_id)).toEqual([week.ben.id]);
	});

	it('gives an agent their own figures only, whoever they ask for', async () => {
		const own = await report(week.ann, week.tenantId, '2026-03-23', '2026-03-29');
		const askingForBen = await report(week.ann, week.tenantId, '2026-03-23', '2026-03-29', {
			memberId: week.ben.id
		});
		expect(askingForBen).toEqual(own);
		expect(own.scope).toBe('own');
		expect(own.current).toMatchObject({
			conversations_opened: 3,
			messages_in: null,
			messages_out_human: 6,
			messages_out_ai: 0,
			first_response_human_count: 3,
			first_response_human_median: 300,
			resolved: 2,
			resolution_median: 3600,
			failed: 2
		});
		expect(own.previous.conversations_opened).toBe(1);
		expect(own.members.map((member) => member.user_id)).toEqual([week.ann.id]);
		expect(own.heatmap).toEqual([]);
		expect(own.escalation_reasons).toEqual([]);
	});

	it('shows an agent, reading the report tables directly, only their cycles and messages', async () => {
		const cycles = rowsOf(
			await attempt<{ mine: boolean }>(
				stack.db,
				week.ann,
				`select (first_human_reply_by = auth.uid() or resolved_by = auth.uid()) as mine
				 from public.conversation_cycles where tenant_id = $1`,
				[week.tenantId]
			)
		);
		expect(cycles).toHaveLength(4);
		expect(cycles.every((cycle) => cycle.mine)).toBe(true);
		const volume = rowsOf(
			await attempt<{ sender_user_id: string }>(
				stack.db,
				week.ann,
				`select distinct sender_user_id from public.message_volume where tenant_id = $1`,
				[week.tenantId]
			)
		);
		expect(volume).toEqual([{ sender_user_id: week.ann.id }]);
	});

	it("keeps another tenant's figures out of reach", async () => {
		const stranger = await newUser('stranger');
		await workspaceWithTwilioNumber(stack.db, stranger, `reports-other-${users}`, []);
		expect(
			failure(
				await attempt(stack.db, stranger, 'select public.conversation_report($1, $2, $3)', [
					week.tenantId,
					'2026-03-23',
					'2026-03-29'
				])
			)
		).toMatchObject({ code: 'P0002' });
		for (const table of ['conversation_cycles', 'message_volume'])
			expect(
				rowsOf(
					await attempt(stack.db, stranger, `select 1 from public.${table} where tenant_id = $1`, [
						week.tenantId
					])
				)
			).toEqual([]);
		expect(
			failure(
				await attempt(
					stack.db,
					{ label: 'anon' },
					'select public.conversation_report($1, $2, $3)',
					[week.tenantId, '2026-03-23', '2026-03-29']
				)
			)
		).toMatchObject({ code: '42501' });
	});

	it('refuses a period that ends before it starts, in words', async () => {
		expect(
			failure(
				await attempt(stack.db, week.owner, 'select public.conversation_report($1, $2, $3)', [
					week.tenantId,
					'2026-03-29',
					'2026-03-23'
				])
			)
		).toEqual({
			code: '22023',
			message: 'Choose a period of 1 to 400 days whose first day is not after its last.'
		});
	});
});

describe('the time zone setting', () => {
	it('owners set a known zone, a typo is refused in words, agents cannot change it', async () => {
		const owner = await newUser('owner');
		const agent = await newUser('agent');
		const { tenantId } = await workspaceWithTwilioNumber(stack.db, owner, `reports-tz-${users}`, [
			[agent, 'agent']
		]);
		const zoneOf = async () =>
			(
				await stack.db.query<{ time_zone: string }>(
					'select time_zone from public.tenants where id = $1',
					[tenantId]
				)
			).rows[0].time_zone;
		expect(await zoneOf()).toBe('UTC');
		expect(
			failure(
				await commitAs(
					stack.db,
					owner,
					`update public.tenants set time_zone = 'Europe/Berln' where id = $1`,
					[tenantId]
				)
			)
		).toEqual({
			code: '22023',
			message:
				'Europe/Berln is not a time zone Parley knows. Choose one such as Europe/Berlin or America/New_York.'
		});
		const byAgent = await commitAs(
			stack.db,
			agent,
			`update public.tenants set time_zone = 'Asia/Kolkata' where id = $1`,
			[tenantId]
		);
		expect(byAgent.ok && byAgent.affectedRows).toBe(0);
		rowsOf(
			await commitAs(
				stack.db,
				owner,
				`update public.tenants set time_zone = 'Asia/Kolkata' where id = $1`,
				[tenantId]
			)
		);
		expect(await zoneOf()).toBe('Asia/Kolkata');
		expect(
			rowsOf(
				await attempt<{ today: string }>(
					stack.db,
					agent,
					`select public.tenant_today($1)::text as today, (now() at time zone 'Asia/Kolkata')::date::text as expected`,
					[tenantId]
				)
			)[0]
		).toMatchObject({ today: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
	});
});

describe('the report tables as the inbox is used', () => {
	it('ingest, a reply, an escalation, a close and a reopening keep cycles and volume', async () => {
		const owner = await newUser('owner');
		const agent = await newUser('agent');
		const { tenantId, numberId } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			`reports-live-${users}`,
			[[agent, 'agent']]
		);
		const ingest = async (sid: string) => {
			const result = await stack.db.transaction(async (tx) => {
				await tx.query(`select set_config('role', 'service_role', true)`);
				const { rows } = await tx.query<{ result: { messages: { conversation_id: string }[] } }>(
					`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb) as result`,
					[
						numberId,
						JSON.stringify([
							{
								provider_message_id: sid,
								wa_id: '4915112345678',
								profile_name: 'Lena',
								type: 'text',
								body: 'Hallo'
							}
						])
					]
				);
				return rows[0].result;
			});
			return result.messages[0].conversation_id;
		};
		const conversationId = await ingest('SMreportslive1');
		rowsOf(
			await commitAs(stack.db, agent, 'select id from public.queue_outbound_message($1, $2)', [
				conversationId,
				'Hello Lena'
			])
		);
		await stack.db.transaction(async (tx) => {
			await tx.query(`select set_config('role', 'service_role', true)`);
			await tx.query('select public.ai_escalate($1, $2)', [conversationId, 'Needs an invoice']);
		});
		rowsOf(
			await commitAs(
				stack.db,
				agent,
				`update public.conversations set status = 'closed' where id = $1`,
				[conversationId]
			)
		);
		await ingest('SMreportslive2');

		const { rows: cycles } = await stack.db.query<{
			first_inbound: boolean;
			human_by: string | null;
			escalation_reason: string | null;
			resolved: boolean;
			resolved_by: string | null;
		}>(
			`select first_inbound_at is not null as first_inbound, first_human_reply_by as human_by,
			        escalation_reason, resolved_at is not null as resolved, resolved_by
			 from public.conversation_cycles where conversation_id = $1 order by opened_at, resolved_at nulls last`,
			[conversationId]
		);
		expect(cycles).toEqual([
			{
				first_inbound: true,
				human_by: agent.id,
				escalation_reason: 'Needs an invoice',
				resolved: true,
				resolved_by: agent.id
			},
			{
				first_inbound: true,
				human_by: null,
				escalation_reason: null,
				resolved: false,
				resolved_by: null
			}
		]);
		const { rows: volume } = await stack.db.query<{ sender: string; messages: number }>(
			`select sender, sum(messages)::int as messages from public.message_volume where tenant_id = $1
			 group by sender order by sender`,
			[tenantId]
		);
		// The escalation's note is a system message: counted as volume, never as a reply.
		expect(volume).toEqual([
			{ sender: 'agent', messages: 1 },
			{ sender: 'customer', messages: 2 },
			{ sender: 'system', messages: 1 }
		]);
	});
});
