import type { Db } from '../../supabase/local/db.ts';
import {
	asSqlError,
	commitAs,
	createUser,
	rowsOf,
	type Actor,
	probeAs,
	workspaceWithTwilioNumber
} from './support.ts';

// What the report suites share: the report's shape, builders that store messages, closes and
// hand-overs at chosen times, and the hand-built week in Europe/Berlin (clocks go forward on
// Sunday 2026-03-29) whose figures were worked out by hand.

export interface Figures {
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

export interface Report {
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

export type Sender = { kind: 'customer' } | { kind: 'ai' } | { kind: 'agent'; user: Actor };

export interface Week {
	tenantId: string;
	storeNumber: string;
	shopNumber: string;
	owner: Actor;
	ann: Actor;
	ben: Actor;
}

/** Builders over one test database; users and phone numbers stay unique within it. */
export function reportBuilders(db: Db) {
	let users = 0;
	let phones = 0;

	/** A workspace slug no other test in this database has. */
	function slug(prefix: string): string {
		users += 1;
		return `${prefix}-${users}`;
	}

	function newUser(name: string): Promise<Actor> {
		users += 1;
		return createUser(db, `${name}-${users}@reports.test`);
	}

	async function report(
		actor: Actor,
		tenantId: string,
		firstDay: string,
		lastDay: string,
		filters: { numberId?: string; memberId?: string } = {}
	): Promise<Report> {
		// As the app does: the tenant's queued message counts first, then the report.
		const [row] = rowsOf(
			await probeAs(db, actor, async (tx) => {
				try {
					await tx.query('select public.count_report_messages($1)', [tenantId]);
					const { rows, affectedRows } = await tx.query<{ report: Report }>(
						'select public.conversation_report($1, $2, $3, $4, $5) as report',
						[tenantId, firstDay, lastDay, filters.numberId ?? null, filters.memberId ?? null]
					);
					return { ok: true as const, rows, affectedRows };
				} catch (error) {
					return { ok: false as const, error: asSqlError(error) };
				}
			})
		);
		return row.report;
	}

	/** A customer's conversation on a number, created when its first message arrives. */
	async function conversation(tenantId: string, numberId: string, at: string): Promise<string> {
		phones += 1;
		const { rows } = await db.query<{ id: string }>(
			`with contact as (
			   insert into public.contacts (tenant_id, wa_id, profile_name) values ($1, $2, 'Customer') returning id
			 )
			 insert into public.conversations (tenant_id, number_id, contact_id, created_at)
			 select $1, $3, id, $4 from contact returning id`,
			[tenantId, `4930${String(phones).padStart(7, '0')}`, numberId, at]
		);
		return rows[0].id;
	}

	/** A message stored at a chosen time (its own transaction, so the volume trigger runs at commit). */
	async function message(
		tenantId: string,
		conversationId: string,
		sender: Sender,
		at: string,
		failed?: { at: string; code: string; reason: string }
	): Promise<void> {
		const inbound = sender.kind === 'customer';
		await db.query(
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
				await commitAs(db, by, `update public.conversations set status = 'closed' where id = $1`, [
					conversationId
				])
			);
		else
			await db.query(`update public.conversations set status = 'closed' where id = $1`, [
				conversationId
			]);
		await db.query(
			`update public.conversation_cycles set resolved_at = $2
			 where conversation_id = $1 and resolved_at = (select max(resolved_at) from public.conversation_cycles where conversation_id = $1)`,
			[conversationId, at]
		);
	}

	/** The AI hands the conversation over, as ai_escalate notifies every member, at a chosen time. */
	async function escalate(tenantId: string, conversationId: string, at: string, reason: string) {
		await db.query(
			`insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body, created_at)
			 select $1, m.user_id, 'escalation', $2, 'Customer needs a person', $4, $3
			 from public.memberships m where m.tenant_id = $1`,
			[tenantId, conversationId, at, reason]
		);
	}

	async function setSentiment(conversationId: string, sentiment: string) {
		await db.query(`update public.conversations set sentiment = $2 where id = $1`, [
			conversationId,
			sentiment
		]);
	}

	/** The week of 2026-03-23 (Monday) to 2026-03-29 in Berlin, and the evening before it. */
	async function buildWeek(): Promise<Week> {
		const owner = await newUser('owner');
		const ann = await newUser('ann');
		const ben = await newUser('ben');
		const { tenantId, numberId: storeNumber } = await workspaceWithTwilioNumber(
			db,
			owner,
			`reports-week-${users}`,
			[
				[ann, 'agent'],
				[ben, 'agent']
			]
		);
		rowsOf(
			await commitAs(
				db,
				owner,
				`update public.tenants set time_zone = 'Europe/Berlin' where id = $1`,
				[tenantId]
			)
		);
		const { rows } = await db.query<{ id: string }>(
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
		await db.query(`update public.conversations set status = 'open' where id = $1`, [c7]);
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

		await foldCounts(tenantId);
		return { tenantId, storeNumber, shopNumber, owner, ann, ben };
	}

	/** Folds the tenant's queued message counts into its counters, as the schedule does. */
	async function foldCounts(tenantId: string): Promise<void> {
		await db.query('select private.fold_message_volume($1)', [tenantId]);
	}

	return {
		slug,
		newUser,
		report,
		conversation,
		message,
		close,
		escalate,
		setSentiment,
		buildWeek,
		foldCounts
	};
}

export type ReportBuilders = ReturnType<typeof reportBuilders>;
