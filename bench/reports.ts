/**
 * The Reports page at scale: one tenant with 100k conversations and 1M messages over six weeks
 * (a conversation every 37 seconds, as the inbox bench loads), among other tenants of its kind,
 * then the 30-day report (with its previous 30 days) asked for as the tenant's owner through RLS,
 * as the page asks through PostgREST's rpc.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { openDb, type Db } from '../supabase/local/db.ts';
import { asMember, walkPlan, type PlanNode } from './as-member.ts';
import { migrate } from '../supabase/local/migrate.ts';
import { createScratchDatabase } from '../supabase/local/scratch-database.ts';

export interface ReportsScale {
	conversations: number;
	messagesPerConversation: number;
	otherTenants: number;
	otherConversations: number;
}

export const REPORTS_SCALES = {
	full: {
		conversations: 100_000,
		messagesPerConversation: 10,
		otherTenants: 5,
		otherConversations: 20_000
	},
	pglite: {
		conversations: 10_000,
		messagesPerConversation: 10,
		otherTenants: 5,
		otherConversations: 1_000
	}
} satisfies Record<string, ReportsScale>;

export interface ReportsResult {
	database: 'pglite' | 'postgres';
	scale: ReportsScale;
	loaded: { messages: number; cycles: number; volumeRows: number; seconds: number };
	iterations: number;
	p50Ms: number;
	p99Ms: number;
	/** Cycles the 30-day report and its previous period count. */
	cyclesRead: number;
	/** Rollup rows (tenant × day × number) the report reads for those cycles. */
	daysRead: number;
	/** The plans of the report's two biggest reads, as text. */
	plans: Record<string, string>;
	/** Whether those reads reach their table through an index (no sequential scan of it). */
	usesIndex: boolean;
	/** Indexes the plans name. */
	indexes: string[];
	/** The machine's one-minute load average when the timing ended (the machine is shared). */
	loadAverage: number;
}

interface Loaded {
	tenantId: string;
	ownerId: string;
	messages: number;
	cycles: number;
	volumeRows: number;
	seconds: number;
}

/**
 * Loads the tenants set-based in one transaction with triggers off, writing the report tables as
 * the triggers would (cycles from each conversation's first messages, volume from the messages).
 */
export async function loadReportsTenant(db: Db, scale: ReportsScale): Promise<Loaded> {
	const started = performance.now();
	const tag = randomBytes(3).toString('hex');
	const ownerId = randomUUID();
	const tenantId = await db.transaction(async (tx) => {
		await tx.exec(`set local session_replication_role = replica`);
		await tx.query(
			`create temp table bench_tenants on commit drop as
			 select n, gen_random_uuid() as tenant_id, gen_random_uuid() as number_id,
			        case when n = 0 then $1::uuid else gen_random_uuid() end as owner_id,
			        gen_random_uuid() as agent_id,
			        case when n = 0 then $2::int else $3::int end as conversations
			 from generate_series(0, $4::int) n`,
			[ownerId, scale.conversations, scale.otherConversations, scale.otherTenants]
		);
		await tx.query(
			`insert into auth.users (id, email, encrypted_password, email_confirmed_at, raw_app_meta_data)
			 select u.id, u.role || '-' || $1 || '-' || t.n || '@example.test', '', now(), '{"provider":"email","providers":["email"]}'
			 from bench_tenants t, lateral (values (t.owner_id, 'owner'), (t.agent_id, 'agent')) u (id, role)`,
			[tag]
		);
		await tx.query(
			`insert into public.tenants (id, name, slug, time_zone)
			 select tenant_id, 'Reports ' || n, 'reports-' || $1 || '-' || n, 'Europe/Berlin' from bench_tenants`,
			[tag]
		);
		await tx.exec(
			`insert into public.memberships (tenant_id, user_id, role)
			 select tenant_id, owner_id, 'owner'::public.member_role from bench_tenants
			 union all select tenant_id, agent_id, 'agent' from bench_tenants`
		);
		await tx.query(
			`insert into public.whatsapp_numbers (id, tenant_id, provider, display_name, phone_number_id)
			 select number_id, tenant_id, 'meta', 'Line ' || n, $1 || lpad(n::text, 6, '0') from bench_tenants`,
			[String(randomInt(1e8, 1e9))]
		);
		// A conversation every 37 s back from now; the reply pattern varies with i.
		await tx.exec(
			`create temp table bench_conversations on commit drop as
			 select t.n, t.tenant_id, t.number_id, t.agent_id, i, gen_random_uuid() as contact_id,
			        gen_random_uuid() as conversation_id,
			        now() - i * interval '37 seconds' - interval '20 minutes' as opened_at
			 from bench_tenants t, generate_series(1, t.conversations) i`
		);
		await tx.exec(
			`insert into public.contacts (id, tenant_id, wa_id, profile_name)
			 select contact_id, tenant_id, (15550000000 + i)::text, 'Customer ' || i from bench_conversations`
		);
		await tx.exec(
			`insert into public.conversations (id, tenant_id, number_id, contact_id, status, ai_active,
			   last_message_preview, last_message_at, last_message_direction, last_inbound_at, created_at, sentiment)
			 select conversation_id, tenant_id, number_id, contact_id,
			   case when i % 5 = 0 then 'open' else 'closed' end, i % 5 <> 0,
			   'Message 9', opened_at + interval '9 minutes', 'outbound', opened_at + interval '8 minutes', opened_at,
			   (array['positive', 'neutral', 'negative', null])[1 + i % 4]
			 from bench_conversations`
		);
		// Even minutes: the customer; odd: the AI when i % 3 = 0, else the tenant's agent.
		await tx.query(
			`insert into public.messages (tenant_id, conversation_id, direction, sender, sender_user_id, body, provider,
			   provider_message_id, status, error_code, error_message, failed_at, created_at)
			 select c.tenant_id, c.conversation_id,
			   case when m % 2 = 0 then 'inbound' else 'outbound' end,
			   case when m % 2 = 0 then 'customer' when c.i % 3 = 0 then 'ai' else 'agent' end,
			   case when m % 2 = 1 and c.i % 3 <> 0 then c.agent_id end,
			   'Message ' || m, 'meta', 'wamid.' || $1 || '.' || c.n || '.' || c.i || '.' || m,
			   case when m % 2 = 0 then 'received' when (c.i + m) % 97 = 0 then 'failed' else 'delivered' end,
			   case when m % 2 = 1 and (c.i + m) % 97 = 0 then '131026' end,
			   case when m % 2 = 1 and (c.i + m) % 97 = 0 then 'The message could not be delivered.' end,
			   case when m % 2 = 1 and (c.i + m) % 97 = 0 then c.opened_at + m * interval '1 minute' + interval '5 seconds' end,
			   c.opened_at + m * interval '1 minute' + (c.i % 50) * interval '1 second'
			 from bench_conversations c, generate_series(0, $2::int - 1) m`,
			[tag, scale.messagesPerConversation]
		);
		await tx.exec(
			`insert into public.conversation_cycles (tenant_id, conversation_id, number_id, opened_at, first_inbound_at,
			   first_human_reply_at, first_human_reply_by, first_ai_reply_at, escalated_at, escalation_reason,
			   resolved_at, resolved_by, sentiment)
			 select c.tenant_id, c.conversation_id, c.number_id, c.opened_at, c.opened_at,
			   case when c.i % 3 <> 0 then c.opened_at + interval '1 minute' + (c.i % 50) * interval '1 second' end,
			   case when c.i % 3 <> 0 then c.agent_id end,
			   case when c.i % 3 = 0 then c.opened_at + interval '1 minute' + (c.i % 50) * interval '1 second' end,
			   case when c.i % 30 = 0 then c.opened_at + interval '3 minutes' end,
			   case when c.i % 30 = 0 then (array['Wants a refund', 'Asked for a person', 'Angry'])[1 + c.i % 3] end,
			   case when c.i % 5 <> 0 then c.opened_at + interval '10 minutes' + (c.i % 97) * interval '1 minute' end,
			   case when c.i % 5 <> 0 and c.i % 3 <> 0 then c.agent_id end,
			   (array['positive', 'neutral', 'negative', null])[1 + c.i % 4]
			 from bench_conversations c`
		);
		await tx.exec(
			`insert into public.message_volume (tenant_id, bucket_at, number_id, direction, sender, sender_user_id, messages)
			 select m.tenant_id, date_bin('15 minutes', m.created_at, timestamptz '2000-01-01 00:00:00+00'), c.number_id,
			   m.direction, m.sender, m.sender_user_id, count(*)
			 from public.messages m join bench_conversations c on c.conversation_id = m.conversation_id
			 group by 1, 2, 3, 4, 5, 6`
		);
		// The daily rollup as the triggers would have kept it, through the same rebuild a new time
		// zone uses.
		await tx.exec('select private.rebuild_report_days(tenant_id) from bench_tenants');
		const { rows } = await tx.query<{ tenant_id: string }>(
			'select tenant_id from bench_tenants where n = 0'
		);
		return rows[0].tenant_id;
	});
	// Vacuum as autovacuum would have by then: the report reads its covering indexes alone only
	// where pages are marked all-visible.
	for (const table of [
		'tenants',
		'memberships',
		'conversations',
		'messages',
		'conversation_cycles',
		'message_volume',
		'conversation_report_days'
	])
		await db.exec(`vacuum analyze public.${table}`);
	const { rows } = await db.query<{ messages: number; cycles: number; volume_rows: number }>(
		`select (select count(*)::int from public.messages where tenant_id = $1) as messages,
		        (select count(*)::int from public.conversation_cycles where tenant_id = $1) as cycles,
		        (select count(*)::int from public.message_volume where tenant_id = $1) as volume_rows`,
		[tenantId]
	);
	return {
		tenantId,
		ownerId,
		messages: rows[0].messages,
		cycles: rows[0].cycles,
		volumeRows: rows[0].volume_rows,
		seconds: (performance.now() - started) / 1000
	};
}

/**
 * The report's reads over both periods, as the function issues them: the daily rollup (a few rows
 * a day, which the planner may read whole while the table is small), and the failed messages,
 * which must come from their partial index, never from a scan of the messages.
 */
const HOT_READS: Record<string, { sql: string; table: string }> = {
	'report days': {
		sql: `select count(*), sum(opened), sum(resolved)
		      from public.conversation_report_days d
		      where d.tenant_id = $1 and d.day >= $2::timestamptz::date and d.day < $3::timestamptz::date
		        and d.member_id is null`,
		table: 'conversation_report_days'
	},
	'failed messages': {
		sql: `select count(*), min(error_message)
		      from public.messages m
		      where m.tenant_id = $1 and m.status = 'failed' and m.failed_at >= $2 and m.failed_at < $3`,
		table: 'messages'
	}
};

/** Migrates a fresh database, loads the scale and times the 30-day report as the owner. */
export async function measureReports(
	options: { databaseServer?: string; scale?: ReportsScale; iterations?: number } = {}
): Promise<ReportsResult> {
	const scratch = options.databaseServer
		? await createScratchDatabase(options.databaseServer, 'parley_bench')
		: undefined;
	const db = await openDb({ databaseUrl: scratch?.url, poolSize: 2 });
	try {
		await migrate(db, resolve(import.meta.dirname, '../supabase'), { seed: false });
		const scale = options.scale ?? (scratch ? REPORTS_SCALES.full : REPORTS_SCALES.pglite);
		const loaded = await loadReportsTenant(db, scale);
		const { rows: days } = await db.query<{ first_day: string; last_day: string }>(
			`select (public.tenant_today($1) - 29)::text as first_day, public.tenant_today($1)::text as last_day`,
			[loaded.tenantId]
		);
		const { first_day: firstDay, last_day: lastDay } = days[0];
		const iterations = options.iterations ?? 100;
		const timings: number[] = [];
		let cyclesRead = 0;
		const budgetEnds = performance.now() + 60_000;
		for (let i = 0; i < iterations + 5 && (i < 20 || performance.now() < budgetEnds); i++) {
			const started = performance.now();
			// As the reports page asks: the tenant's queued message counts folded, then the report.
			const { rows } = await asMember(db, loaded.ownerId, async (tx) => {
				await tx.query('select public.count_report_messages($1)', [loaded.tenantId]);
				return tx.query<{
					report: {
						current: { conversations_opened: number };
						previous: { conversations_opened: number };
					};
				}>('select public.conversation_report($1, $2, $3) as report', [
					loaded.tenantId,
					firstDay,
					lastDay
				]);
			});
			// The first runs warm the caches.
			if (i >= 5) timings.push(performance.now() - started);
			const report = rows[0].report;
			cyclesRead = report.current.conversations_opened + report.previous.conversations_opened;
		}
		const loadAverage = loadavg()[0];
		timings.sort((a, b) => a - b);
		console.log(
			`report: ${timings.length} runs, median ${timings[Math.floor(timings.length / 2)].toFixed(1)} ms, slowest ${timings.at(-1)?.toFixed(1)} ms`
		);
		const { rows: bounds } = await db.query<{
			starts: string;
			ends: string;
			previous_starts: string;
		}>(
			`select ($1::date::timestamp at time zone 'Europe/Berlin')::text as starts,
			        (($2::date + 1)::timestamp at time zone 'Europe/Berlin')::text as ends,
			        (($1::date - 30)::timestamp at time zone 'Europe/Berlin')::text as previous_starts`,
			[firstDay, lastDay]
		);
		const plans: Record<string, string> = {};
		const indexes = new Set<string>();
		let scansAll = false;
		let daysRead = 0;
		for (const [name, read] of Object.entries(HOT_READS)) {
			const params = [loaded.tenantId, bounds[0].previous_starts, bounds[0].ends];
			const text = await asMember(db, loaded.ownerId, async (tx) => {
				const { rows } = await tx.query<{ 'QUERY PLAN': string }>(
					`explain (analyze, buffers, costs off) ${read.sql}`,
					params
				);
				return rows.map((row) => row['QUERY PLAN']).join('\n');
			});
			plans[name] = text;
			const json = await asMember(db, loaded.ownerId, async (tx) => {
				const { rows } = await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
					`explain (format json) ${read.sql}`,
					params
				);
				const value = rows[0]['QUERY PLAN'];
				return (typeof value === 'string' ? JSON.parse(value) : value)[0].Plan as PlanNode;
			});
			walkPlan(json, (node) => {
				if (node['Index Name']) indexes.add(node['Index Name']);
				if (
					node['Node Type'] === 'Seq Scan' &&
					node['Relation Name'] === read.table &&
					read.table !== 'conversation_report_days'
				)
					scansAll = true;
			});
			if (read.table === 'conversation_report_days')
				daysRead = await asMember(db, loaded.ownerId, async (tx) => {
					const { rows } = await tx.query<{ count: number }>(
						`select count::int from (${read.sql}) counted`,
						params
					);
					return rows[0].count;
				});
		}
		const percentile = (p: number) =>
			timings[Math.min(timings.length - 1, Math.ceil((p / 100) * timings.length) - 1)];
		return {
			database: db.kind,
			scale,
			loaded: {
				messages: loaded.messages,
				cycles: loaded.cycles,
				volumeRows: loaded.volumeRows,
				seconds: loaded.seconds
			},
			iterations: timings.length,
			p50Ms: Math.round(percentile(50) * 100) / 100,
			p99Ms: Math.round(percentile(99) * 100) / 100,
			cyclesRead,
			daysRead,
			plans,
			usesIndex: !scansAll && indexes.size > 0,
			indexes: [...indexes],
			loadAverage
		};
	} finally {
		await db.close();
		await scratch?.drop();
	}
}
