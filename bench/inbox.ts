/**
 * Inbox at scale: one tenant with many conversations and messages among other tenants of its kind,
 * loaded set-based as postgres, then the inbox's reads issued as an agent through RLS — the same
 * SQL the app sends through PostgREST, in a transaction with `role` and `request.jwt.claims` set.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Db } from '../supabase/local/db.ts';
import { asMember, walkPlan, type PlanNode } from './as-member.ts';
import { withScratchDatabase } from './scratch.ts';

export interface InboxScale {
	/** Conversations of the measured tenant. */
	conversations: number;
	messagesPerConversation: number;
	/** Other tenants, each with `otherConversations` conversations of the same message count. */
	otherTenants: number;
	otherConversations: number;
	/**
	 * Notifications of the measured agent (every other one unread); each other tenant's agent gets
	 * as many per conversation.
	 */
	notifications: number;
}

export interface LoadedInbox {
	tenantId: string;
	agentId: string;
	/** The measured tenant's labels: one on every 7th conversation, one on every 500th. */
	labels: { common: string; rare: string };
	/** Rows the loader created, counted back from the tables. */
	counts: { tenants: number; conversations: number; messages: number; notifications: number };
	seconds: number;
}

export interface InboxQueryResult {
	name: string;
	iterations: number;
	rows: number;
	p50Ms: number;
	p99Ms: number;
	/** The plan's top node and every index it names (generic plan where a function runs it). */
	planTop: string;
	indexes: string[];
	/** Whether the plan reaches the big table through an index without sorting or scanning it all. */
	usesIndex: boolean;
	plan: string;
}

export interface InboxResult {
	database: 'pglite' | 'postgres';
	scale: InboxScale;
	loaded: LoadedInbox;
	queries: InboxQueryResult[];
}

/** Full scale (the goal's) and a smaller one for PGlite and tests. */
export const INBOX_SCALES = {
	full: {
		conversations: 100_000,
		messagesPerConversation: 10,
		otherTenants: 20,
		otherConversations: 100_000,
		notifications: 20_000
	},
	pglite: {
		conversations: 10_000,
		messagesPerConversation: 10,
		otherTenants: 20,
		otherConversations: 1_000,
		notifications: 2_000
	}
} satisfies Record<string, InboxScale>;

/**
 * Loads the tenants with generate_series in one transaction, triggers off (no broadcasts, no
 * derived rows: every derived column is written directly), then vacuums and analyzes.
 */
export async function loadInbox(db: Db, scale: InboxScale): Promise<LoadedInbox> {
	const started = performance.now();
	const tag = randomBytes(3).toString('hex');
	const agentId = randomUUID();
	const labels = { common: randomUUID(), rare: randomUUID() };
	const tenantId = await db.transaction(async (tx) => {
		await tx.exec(`set local session_replication_role = replica`);
		await tx.query(
			`create temp table bench_tenants on commit drop as
			 select n, gen_random_uuid() as tenant_id, gen_random_uuid() as number_id,
			        case when n = 0 then $1::uuid else gen_random_uuid() end as agent_id,
			        case when n = 0 then $2::int else $3::int end as conversations
			 from generate_series(0, $4::int) n`,
			[agentId, scale.conversations, scale.otherConversations, scale.otherTenants]
		);
		// One agent per tenant, so the measured agent's notifications are a small part of the table.
		await tx.query(
			`insert into auth.users (id, email, encrypted_password, email_confirmed_at, raw_app_meta_data)
			 select agent_id, 'agent-' || $1 || '-' || n || '@example.test', '', now(),
			        '{"provider":"email","providers":["email"]}'
			 from bench_tenants`,
			[tag]
		);
		await tx.query(
			`insert into public.tenants (id, name, slug)
			 select tenant_id, 'Load ' || n, 'load-' || $1 || '-' || n from bench_tenants`,
			[tag]
		);
		await tx.query(
			`insert into public.memberships (tenant_id, user_id, role)
			 select tenant_id, agent_id, 'agent' from bench_tenants`
		);
		await tx.query(
			`insert into public.labels (id, tenant_id, name, colour)
			 select l.id, t.tenant_id, l.name, 'teal' from bench_tenants t,
			   (values ($1::uuid, 'VIP'), ($2::uuid, 'Refund')) l (id, name)
			 where t.n = 0`,
			[labels.common, labels.rare]
		);
		// Meta phone number ids are unique across tenants: a random prefix per load.
		await tx.query(
			`insert into public.whatsapp_numbers (id, tenant_id, provider, display_name, phone_number_id)
			 select number_id, tenant_id, 'meta', 'Line ' || n, $1 || lpad(n::text, 6, '0') from bench_tenants`,
			[String(randomInt(1e8, 1e9))]
		);
		await tx.exec(
			`create temp table bench_conversations on commit drop as
			 select t.n, t.tenant_id, t.number_id, i, gen_random_uuid() as contact_id,
			        gen_random_uuid() as conversation_id,
			        now() - i * interval '37 seconds' as last_at
			 from bench_tenants t, generate_series(1, t.conversations) i`
		);
		await tx.exec(
			`insert into public.contacts (id, tenant_id, wa_id, profile_name)
			 select contact_id, tenant_id, (15550000000 + i)::text, 'Customer ' || i from bench_conversations`
		);
		await tx.query(
			`insert into public.conversations (id, tenant_id, number_id, contact_id, status,
			   last_message_preview, last_message_at, last_message_direction, last_inbound_at, unread_count, created_at,
			   assignee_id, assigned_at, escalated_at, snoozed_until, label_ids)
			 select c.conversation_id, c.tenant_id, c.number_id, c.contact_id,
			   case when c.i % 10 = 0 then 'closed' else 'open' end,
			   'Message 0', c.last_at, 'inbound', c.last_at, c.i % 3, c.last_at - interval '1 day',
			   -- One in ten is the tenant's agent's (Mine), one in fifty an AI hand-over (Escalated).
			   case when c.i % 10 = 1 then t.agent_id end, case when c.i % 10 = 1 then c.last_at end,
			   case when c.i % 50 = 2 then c.last_at end,
			   -- One in a hundred snoozed until tomorrow (Snoozed); the measured tenant's labels.
			   case when c.i % 100 = 5 then now() + interval '1 day' end,
			   case when c.n <> 0 then '{}'::uuid[]
			        when c.i % 500 = 4 then array[$1::uuid, $2::uuid]
			        when c.i % 7 = 3 then array[$1::uuid]
			        else '{}'::uuid[] end
			 from bench_conversations c join bench_tenants t using (n)`,
			[labels.common, labels.rare]
		);
		// What the label trigger keeps (triggers are off while loading).
		await tx.exec(
			`insert into public.conversation_labels (label_id, conversation_id, tenant_id)
			 select label, c.id, c.tenant_id from public.conversations c, unnest(c.label_ids) label
			 where c.tenant_id = (select tenant_id from bench_tenants where n = 0)
			   and cardinality(c.label_ids) > 0`
		);
		await tx.query(
			`insert into public.messages (tenant_id, conversation_id, direction, sender, body, provider,
			   provider_message_id, status, created_at)
			 select c.tenant_id, c.conversation_id,
			   case when m % 2 = 0 then 'inbound' else 'outbound' end,
			   case when m % 2 = 0 then 'customer' else 'agent' end,
			   'Message ' || m, 'meta', 'wamid.' || $1 || '.' || c.n || '.' || c.i || '.' || m,
			   case when m % 2 = 0 then 'received' else 'delivered' end,
			   c.last_at - m * interval '1 minute'
			 from bench_conversations c, generate_series(0, $2::int - 1) m`,
			[tag, scale.messagesPerConversation]
		);
		await tx.query(
			`insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, read_at, created_at)
			 select c.tenant_id, t.agent_id, 'new_message', c.conversation_id, 'New message',
			   case when c.i % 2 = 0 then c.last_at end, c.last_at
			 from bench_conversations c join bench_tenants t using (n)
			 where c.i <= ceil($1::numeric * t.conversations / $2)`,
			[scale.notifications, scale.conversations]
		);
		const { rows } = await tx.query<{ tenant_id: string }>(
			'select tenant_id from bench_tenants where n = 0'
		);
		return rows[0].tenant_id;
	});
	for (const table of [
		'tenants',
		'memberships',
		'labels',
		'conversation_labels',
		'contacts',
		'conversations',
		'messages',
		'notifications'
	])
		// Vacuumed as autovacuum would have by then, and so that it does not start on the loaded
		// millions while the reads are timed.
		await db.exec(`vacuum analyze public.${table}`);
	const { rows } = await db.query<LoadedInbox['counts']>(
		`select (select count(*)::int from public.tenants where slug like $1) as tenants,
		        (select count(*)::int from public.conversations c join public.tenants t on t.id = c.tenant_id where t.slug like $1) as conversations,
		        (select count(*)::int from public.messages where provider_message_id like $2) as messages,
		        (select count(*)::int from public.notifications where recipient_id = $3) as notifications`,
		[`load-${tag}-%`, `wamid.${tag}.%`, agentId]
	);
	return {
		tenantId,
		agentId,
		labels,
		counts: rows[0],
		seconds: (performance.now() - started) / 1000
	};
}

interface InboxQuery {
	name: string;
	/** What the app issues (an rpc runs the function; a table read runs PostgREST's SELECT). */
	sql: string;
	params: unknown[];
	/** The statement the plan is shown for (a function's body where the function is not inlined). */
	explainSql: string;
	/** The tables whose index use decides `usesIndex`. */
	table: string;
	/**
	 * A sort is fine above this table's index: a rare label's few rows, sorted, are cheaper than
	 * walking the newest conversations for them. Any other sort of `table` means it was read whole.
	 */
	sortsAfterIndexOn?: string;
	/** Whether the statement is planned without its values, as a non-inlined SQL function's body is. */
	generic: boolean;
}

/** The rpc the inbox issues; the SQL function is inlined, so it is planned with its arguments. */
const INBOX_RPC = `select * from public.inbox_conversations(tenant_id => $1, status => $2, number_id => $3,
  unread_only => $4, sentiment => $5, search => $6, after_activity_at => $7, after_id => $8,
  page_size => $9, only_id => $10)`;

/** The same rpc for one of the views (Mine, Unassigned, Escalated, Snoozed). */
const INBOX_VIEW_RPC = `select * from public.inbox_conversations(tenant_id => $1, status => $2, number_id => $3,
  unread_only => $4, sentiment => $5, search => $6, after_activity_at => $7, after_id => $8,
  page_size => $9, only_id => $10, view => $11)`;

/** A view narrowed to one label, as the label filter asks. */
const INBOX_LABEL_RPC = `select * from public.inbox_conversations(tenant_id => $1, status => $2, number_id => $3,
  unread_only => $4, sentiment => $5, search => $6, after_activity_at => $7, after_id => $8,
  page_size => $9, only_id => $10, view => $11, label_id => $12)`;

/** The tabs' counts; explained by its costliest statement, the Unassigned count. */
const VIEW_COUNTS_RPC = 'select * from public.inbox_view_counts($1)';
const UNASSIGNED_COUNT_SQL = `select count(*) from (select 1 from public.conversations c
  where c.tenant_id = $1 and c.assignee_id is null limit 1000) counted`;

/** The tabs' counts under a label filter, from the label's rows alone; explained by its All count. */
const VIEW_COUNTS_LABEL_RPC = 'select * from public.inbox_view_counts($1, label_id => $2)';
const LABEL_COUNT_SQL = `select count(*) from (select 1 from public.conversation_labels cl
  where cl.label_id = $2 and cl.tenant_id = $1 and (cl.snoozed_until is null or cl.snoozed_until <= now())
  limit 1000) counted`;

/** The SELECT PostgREST issues for the chat's `.from('messages')…limit(50)`. */
const THREAD_SQL = `select * from public.messages where conversation_id = $1
  order by created_at desc, id desc limit 50`;

/** Builds the four reads of the inbox and chat pages for the loaded tenant. */
async function inboxQueries(db: Db, loaded: LoadedInbox): Promise<InboxQuery[]> {
	const { rows: deep } = await db.query<{ activity_at: string; id: string }>(
		`select coalesce(last_message_at, created_at)::text as activity_at, id from public.conversations
		 where tenant_id = $1 order by coalesce(last_message_at, created_at) desc, id desc offset (select count(*) / 2 from public.conversations where tenant_id = $1) limit 1`,
		[loaded.tenantId]
	);
	const { rows: busy } = await db.query<{ conversation_id: string }>(
		`select id as conversation_id from public.conversations where tenant_id = $1
		 order by last_message_at desc limit 1`,
		[loaded.tenantId]
	);
	const page = (after: { activity_at: string; id: string } | null) => [
		loaded.tenantId,
		null,
		null,
		false,
		null,
		null,
		after?.activity_at ?? null,
		after?.id ?? null,
		25,
		null
	];
	return [
		{
			name: 'inbox first page',
			sql: INBOX_RPC,
			params: page(null),
			explainSql: INBOX_RPC,
			table: 'conversations',
			generic: false
		},
		{
			name: 'inbox deep keyset page',
			sql: INBOX_RPC,
			params: page(deep[0]),
			explainSql: INBOX_RPC,
			table: 'conversations',
			generic: false
		},
		...(['all', 'mine', 'unassigned', 'escalated', 'snoozed'] as const).map((view) => ({
			name: `inbox ${view} first page`,
			sql: INBOX_VIEW_RPC,
			params: [...page(null), view],
			explainSql: INBOX_VIEW_RPC,
			table: 'conversations',
			generic: false
		})),
		...(['common', 'rare'] as const).map((which) => ({
			name: `inbox all, ${which} label (1 in ${which === 'common' ? 7 : 500})`,
			sql: INBOX_LABEL_RPC,
			params: [...page(null), 'all', loaded.labels[which]],
			explainSql: INBOX_LABEL_RPC,
			table: 'conversations',
			sortsAfterIndexOn: 'conversation_labels',
			generic: false
		})),
		{
			name: 'inbox view counts',
			sql: VIEW_COUNTS_RPC,
			params: [loaded.tenantId],
			explainSql: UNASSIGNED_COUNT_SQL,
			table: 'conversations',
			generic: true
		},
		...(['common', 'rare'] as const).map((which) => ({
			name: `inbox view counts, ${which} label`,
			sql: VIEW_COUNTS_LABEL_RPC,
			params: [loaded.tenantId, loaded.labels[which]],
			explainSql: LABEL_COUNT_SQL,
			table: 'conversation_labels',
			generic: false
		})),
		{
			name: 'latest 50 messages',
			sql: THREAD_SQL,
			params: [busy[0].conversation_id],
			explainSql: THREAD_SQL,
			table: 'messages',
			generic: false
		},
		{
			name: 'unread notification count',
			sql: 'select public.unread_notification_count($1) as count',
			params: [loaded.tenantId],
			explainSql: `select count(*)::integer from public.notifications n
  where n.recipient_id = (select auth.uid()) and n.tenant_id = $1 and n.read_at is null`,
			table: 'notifications',
			generic: true
		}
	];
}

/** Times each query as the agent and explains it with a generic plan, as a function's body runs. */
export async function measureInboxQueries(
	db: Db,
	loaded: LoadedInbox,
	iterations = 200
): Promise<InboxQueryResult[]> {
	const results: InboxQueryResult[] = [];
	for (const query of await inboxQueries(db, loaded)) {
		const timings: number[] = [];
		let rows = 0;
		const budgetEnds = performance.now() + 15_000;
		// A slow query stops after its time budget rather than holding the whole run.
		for (let i = 0; i < iterations + 10 && (i < 20 || performance.now() < budgetEnds); i++) {
			const started = performance.now();
			const result = await asMember(db, loaded.agentId, (tx) => tx.query(query.sql, query.params));
			// The first runs warm the caches and the function's plan.
			if (i >= 10) timings.push(performance.now() - started);
			rows = result.rows.length;
		}
		const planJson = await asMember(db, loaded.agentId, async (tx) => {
			await tx.exec(
				`set local plan_cache_mode = ${query.generic ? 'force_generic_plan' : 'force_custom_plan'}`
			);
			await tx.exec(`prepare bench_plan as ${query.explainSql}`);
			const literals = query.params.map((value) =>
				value === null ? 'null' : `'${String(value).replace(/'/g, "''")}'`
			);
			const { rows: plan } = await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
				`explain (format json) execute bench_plan(${literals.join(', ')})`
			);
			await tx.exec('deallocate bench_plan');
			const value = plan[0]['QUERY PLAN'];
			return (typeof value === 'string' ? JSON.parse(value) : value)[0].Plan as PlanNode;
		});
		const indexes = new Set<string>();
		let scansAll = false;
		let sorts = false;
		walkPlan(planJson, (node) => {
			if (node['Index Name']) indexes.add(node['Index Name']);
			if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === query.table)
				scansAll = true;
			if (node['Node Type'] === 'Sort' && !indexedBelow(node, query.sortsAfterIndexOn))
				sorts = true;
		});
		const onTable = [...indexes].some((name) => name.startsWith(query.table));
		timings.sort((a, b) => a - b);
		const percentile = (p: number) =>
			timings[Math.min(timings.length - 1, Math.ceil((p / 100) * timings.length) - 1)];
		results.push({
			name: query.name,
			iterations: timings.length,
			rows,
			p50Ms: Math.round(percentile(50) * 100) / 100,
			p99Ms: Math.round(percentile(99) * 100) / 100,
			planTop: planJson['Node Type'],
			indexes: [...indexes],
			usesIndex: onTable && !scansAll && !(sorts && query.table === 'conversations'),
			plan: JSON.stringify(planJson)
		});
	}
	return results;
}

/** Whether an index scan of `table` feeds this node. */
function indexedBelow(node: PlanNode, table: string | undefined): boolean {
	if (!table) return false;
	let found = false;
	walkPlan(node, (below) => {
		// A bitmap index scan names only its index, which is named after its table.
		if (below['Index Name']?.startsWith(`${table}_`)) found = true;
	});
	return found;
}

/** Migrates a fresh database, loads the scale and measures the inbox's reads. */
export async function measureInbox(
	options: { databaseServer?: string; scale?: InboxScale; iterations?: number } = {}
): Promise<InboxResult> {
	return withScratchDatabase(options.databaseServer, async (db) => {
		const scale =
			options.scale ?? (db.kind === 'postgres' ? INBOX_SCALES.full : INBOX_SCALES.pglite);
		const loaded = await loadInbox(db, scale);
		const queries = await measureInboxQueries(db, loaded, options.iterations);
		return { database: db.kind, scale, loaded, queries };
	});
}
