import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { reportBuilders, type ReportBuilders } from './reports-support.ts';
import { attempt, commitAs, failure, rowsOf, workspaceWithTwilioNumber } from './support.ts';

// The report tables as the inbox is used: the time zone setting, the triggers that keep cycles,
// volume and the daily rollup as people and providers use the inbox, and the rollup rebuilt when
// the time zone changes.

let stack: TestStack;
let build: ReportBuilders;

beforeAll(async () => {
	stack = await startTestStack();
	build = reportBuilders(stack.db);
});
afterAll(() => stack?.close());

describe('the time zone setting', () => {
	it('owners set a known zone, a typo is refused in words, agents cannot change it', async () => {
		const owner = await build.newUser('owner');
		const agent = await build.newUser('agent');
		const { tenantId } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			build.slug('reports-tz'),
			[[agent, 'agent']]
		);
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
		const owner = await build.newUser('owner');
		const agent = await build.newUser('agent');
		const { tenantId, numberId } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			build.slug('reports-live'),
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
		await stack.db.query('select private.fold_message_volume($1)', [tenantId]);
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

		// The report follows at once: today (UTC) has both cycles, the reply, the hand-over and the close.
		const today = (
			await stack.db.query<{ today: string }>('select public.tenant_today($1)::text as today', [
				tenantId
			])
		).rows[0].today;
		const figures = await build.report(owner, tenantId, today, today);
		expect(figures.current).toMatchObject({
			conversations_opened: 2,
			messages_in: 2,
			messages_out_human: 1,
			first_response_human_count: 1,
			resolved: 1,
			resolved_by_ai: 0,
			ai_answered: 0,
			escalated: 1
		});
		expect(figures.escalation_reasons).toEqual([{ reason: 'Needs an invoice', count: 1 }]);
		expect(figures.members).toMatchObject([
			{ user_id: agent.id, messages_sent: 1, first_responses: 1, resolved: 1 }
		]);
		const own = await build.report(agent, tenantId, today, today);
		expect(own.current).toMatchObject({
			conversations_opened: 1,
			messages_out_human: 1,
			resolved: 1
		});
	});
});

describe('the daily rollup', () => {
	const rollupOf = async (tenantId: string) =>
		(
			await stack.db.query(
				`select * from public.conversation_report_days where tenant_id = $1
				 order by day, number_id, member_id nulls first`,
				[tenantId]
			)
		).rows;

	it('kept by the triggers is what a rebuild from the cycles and volume makes', async () => {
		const week = await build.buildWeek();
		const kept = await rollupOf(week.tenantId);
		expect(kept.length).toBeGreaterThan(0);
		await stack.db.query('select private.rebuild_report_days($1)', [week.tenantId]);
		expect(await rollupOf(week.tenantId)).toEqual(kept);
	});

	it('moves to the new local days when the time zone changes, and back', async () => {
		const week = await build.buildWeek();
		const sunday = (actor = week.owner) =>
			build.report(actor, week.tenantId, '2026-03-22', '2026-03-22');
		const berlin = await build.report(week.owner, week.tenantId, '2026-03-23', '2026-03-29');
		// In Berlin only C4 opened on Sunday the 22nd; in UTC C3 (Monday 00:15 in Berlin) did too.
		expect((await sunday()).current.conversations_opened).toBe(1);
		const setZone = async (zone: string) =>
			rowsOf(
				await commitAs(
					stack.db,
					week.owner,
					`update public.tenants set time_zone = $2 where id = $1`,
					[week.tenantId, zone]
				)
			);
		await setZone('UTC');
		expect((await sunday()).current.conversations_opened).toBe(2);
		expect((await sunday()).heatmap).toEqual([
			{ weekday: 7, hour: 22, inbound: 1 },
			{ weekday: 7, hour: 23, inbound: 1 }
		]);
		await setZone('Europe/Berlin');
		expect(await build.report(week.owner, week.tenantId, '2026-03-23', '2026-03-29')).toEqual(
			berlin
		);
	});

	it('buckets times to 0.1 s under 10 s and to three significant figures above', async () => {
		const { rows } = await stack.db.query<{ buckets: string[] }>(
			`select array_agg(private.histogram_bucket(s) order by s) as buckets
			 from unnest('{0.04, 9.96, 54.321, 300, 1684.9, 7200, 123456}'::float8[]) s`
		);
		expect(rows[0].buckets).toEqual(['0.0', '10.0', '54.3', '300', '1680', '7200', '123000']);
		// percentile_cont's interpolation between buckets: 20, 30, 60 → median 30, p90 54.
		const { rows: percentiles } = await stack.db.query<{ p: number[] }>(
			`select private.histogram_percentiles('{"60": 1, "20": 1, "30": 1}', '{0.5,0.9}') as p`
		);
		expect(percentiles[0].p[0]).toBe(30);
		expect(percentiles[0].p[1]).toBeCloseTo(54, 9);
	});
});
