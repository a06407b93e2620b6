import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { reportBuilders, type ReportBuilders, type Week } from './reports-support.ts';
import { attempt, failure, rowsOf, workspaceWithTwilioNumber } from './support.ts';

// The Reports page's SQL over a hand-built week in Europe/Berlin whose figures were worked out by
// hand (reports-support.ts), read back through conversation_report as an owner, as agents and as
// a stranger.

let stack: TestStack;
let build: ReportBuilders;

beforeAll(async () => {
	stack = await startTestStack();
	build = reportBuilders(stack.db);
});
afterAll(() => stack?.close());

let week: Week;

describe('a hand-built week in Berlin', () => {
	beforeAll(async () => {
		week = await build.buildWeek();
	});

	it('gives the owner the tenant figures worked out by hand', async () => {
		const result = await build.report(week.owner, week.tenantId, '2026-03-23', '2026-03-29');
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
		const result = await build.report(week.owner, week.tenantId, '2026-03-23', '2026-03-29');
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
		const result = await build.report(week.owner, week.tenantId, '2026-03-29', '2026-03-29');
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
		const result = await build.report(week.owner, week.tenantId, '2026-03-23', '2026-03-29');
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
		const shop = await build.report(week.owner, week.tenantId, '2026-03-23', '2026-03-29', {
			numberId: week.shopNumber
		});
		expect(shop.current.conversations_opened).toBe(2);
		expect(shop.current.messages_in).toBe(2);
		expect(shop.current.resolved_by_ai).toBe(1);
		expect(shop.current.failed).toBe(1);
		const ben = await build.report(week.owner, week.tenantId, '2026-03-23', '2026-03-29', {
			memberId: week.ben.id
		});
		expect(ben.current.conversations_opened).toBe(2);
		expect(ben.current.messages_out_human).toBe(2);
		expect(ben.current.first_response_human_median).toBe(390);
		expect(ben.members.map((member) => member.user_id)).toEqual([week.ben.id]);
	});

	it('gives an agent their own figures only, whoever they ask for', async () => {
		const own = await build.report(week.ann, week.tenantId, '2026-03-23', '2026-03-29');
		const askingForBen = await build.report(week.ann, week.tenantId, '2026-03-23', '2026-03-29', {
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
		// The daily rollup: only Ann's own rows, never the tenant's (member null) or Ben's.
		const days = rowsOf(
			await attempt<{ member_id: string | null }>(
				stack.db,
				week.ann,
				`select distinct member_id from public.conversation_report_days where tenant_id = $1`,
				[week.tenantId]
			)
		);
		expect(days).toEqual([{ member_id: week.ann.id }]);
	});

	it("keeps another tenant's figures out of reach", async () => {
		const stranger = await build.newUser('stranger');
		await workspaceWithTwilioNumber(stack.db, stranger, build.slug('reports-other'), []);
		expect(
			failure(
				await attempt(stack.db, stranger, 'select public.conversation_report($1, $2, $3)', [
					week.tenantId,
					'2026-03-23',
					'2026-03-29'
				])
			)
		).toMatchObject({ code: 'P0002' });
		for (const table of ['conversation_cycles', 'message_volume', 'conversation_report_days'])
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
