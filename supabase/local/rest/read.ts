import type { StackContext } from '../context.ts';
import type { Tx } from '../db.ts';
import { Rollback, inRequestTransaction } from './execute.ts';
import type { ApiQuery } from './parse.ts';
import {
	checkAllPathsUsed,
	pageSql,
	planSelect,
	selectSql,
	type PageFormat,
	type SelectParts
} from './plan.ts';
import { parseRangeHeader } from './prefer.ts';
import { parseQuery } from './parse.ts';
import type { RestRequest } from './request.ts';
import { pageResponse, respond, singleBody, type PageRow } from './respond.ts';
import { findRelation, ident, newPlanContext } from './sql.ts';

/** Root paging from limit/offset, else the Range header, capped by config.toml's max_rows. */
export function rootPaging(rest: RestRequest, query: ApiQuery): { limit?: number; offset: number } {
	const limit = query.limit.filter((l) => l.path.length === 0).at(-1)?.value;
	const offset = query.offset.filter((o) => o.path.length === 0).at(-1)?.value;
	const range =
		limit === undefined && offset === undefined
			? parseRangeHeader(rest.request.headers.get('range'))
			: undefined;
	const asked = limit ?? range?.limit;
	const { maxRows } = rest.config;
	return {
		limit: maxRows === undefined ? asked : Math.min(asked ?? maxRows, maxRows),
		offset: offset ?? range?.offset ?? 0
	};
}

/** The page format the request negotiated (plans are rendered by `planResponse`). */
export function pageFormat(rest: RestRequest, scalarColumn?: string): PageFormat {
	if (rest.media.kind === 'csv') return { kind: 'csv' };
	const stripNulls =
		(rest.media.kind === 'json' || rest.media.kind === 'object') && rest.media.stripNulls;
	return { kind: 'json', stripNulls, scalarColumn };
}

/** The planner's row estimate for a query (EXPLAIN's top "Plan Rows"), as PostgREST reads it. */
async function plannedRows(tx: Tx, sql: string, params: string[]): Promise<number> {
	const rows = (await tx.query<Record<string, unknown>>(`explain (format json) ${sql}`, params))
		.rows;
	const raw = rows[0]?.['QUERY PLAN'];
	const plan: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
	const top = Array.isArray(plan) ? (plan[0] as { Plan?: { 'Plan Rows'?: unknown } }) : undefined;
	const estimate = top?.Plan?.['Plan Rows'];
	return typeof estimate === 'number' ? Math.round(estimate) : 0;
}

/**
 * The total for `Prefer: count=…`: exact counts the rows; planned takes the planner's estimate;
 * estimated counts exactly up to max_rows and beyond that takes the larger of both, as PostgREST does.
 */
export async function countTotal(
	tx: Tx,
	rest: RestRequest,
	parts: SelectParts,
	params: string[],
	known?: number
): Promise<number | undefined> {
	const count = rest.prefer.count;
	if (!count) return undefined;
	const rows = selectSql({ ...parts, orderBy: '' });
	const exactSql = `select count(*)::int as total from (${rows}) as pgrst_all`;
	const plannedSql = `select 1 from (${rows}) as pgrst_all`;
	if (count === 'planned') return plannedRows(tx, plannedSql, params);
	const exact = known ?? (await tx.query<{ total: number }>(exactSql, params)).rows[0].total;
	if (count === 'exact') return exact;
	const { maxRows } = rest.config;
	if (maxRows !== undefined && exact <= maxRows) return exact;
	return Math.max(exact, await plannedRows(tx, plannedSql, params));
}

/**
 * Answers `Accept: application/vnd.pgrst.plan` with the EXPLAIN of the query the request would
 * run; the transaction is rolled back, so `options=analyze` on a write changes nothing.
 */
export async function planResponse(
	tx: Tx,
	rest: RestRequest,
	sql: string,
	params: string[]
): Promise<never> {
	if (rest.media.kind !== 'plan') throw new Error('planResponse needs a plan request');
	const { format, options } = rest.media;
	const explain = [`format ${format}`, ...options].join(', ');
	const rows = (await tx.query<Record<string, unknown>>(`explain (${explain}) ${sql}`, params))
		.rows;
	const lines = rows.map((row) => row['QUERY PLAN']);
	const body =
		format === 'json'
			? typeof lines[0] === 'string'
				? lines[0]
				: JSON.stringify(lines[0])
			: lines.map(String).join('\n');
	throw new Rollback(respond(rest, 200, body, {}));
}

/** GET/HEAD on a table or view. */
export async function read(
	context: StackContext,
	rest: RestRequest,
	name: string
): Promise<Response> {
	const query = parseQuery(rest.url.searchParams);
	const relation = findRelation(rest.cache, rest.schema, name);
	const ctx = newPlanContext(rest.cache, rest.config, rest.schema, query);
	const alias = relation.name;
	const from = `${ident(relation.schema)}.${ident(relation.name)} as ${ident(alias)}`;
	const parts = planSelect(ctx, relation, from, alias, query.select, []);
	checkAllPathsUsed(ctx);
	const paging = rootPaging(rest, query);
	const sql = pageSql(selectSql(parts, paging), pageFormat(rest));
	const params = ctx.params.values;
	return inRequestTransaction(context.db, rest.settings, async (tx) => {
		if (rest.media.kind === 'plan') return planResponse(tx, rest, sql, params);
		const page = (await tx.query<PageRow>(sql, params)).rows[0];
		const total = await countTotal(tx, rest, parts, params);
		return pageResponse(rest, page, paging.offset, total, singleBody(rest, page));
	});
}
