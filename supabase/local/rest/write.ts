import type { StackContext } from '../context.ts';
import { RestError, unsupported } from './errors.ts';
import { Rollback, inRequestTransaction } from './execute.ts';
import { parseQuery, type SelectItem } from './parse.ts';
import { checkAllPathsUsed, pageSql, planSelect, selectSql } from './plan.ts';
import { pageFormat, planResponse } from './read.ts';
import type { RestRequest } from './request.ts';
import { respond, singleObjectError, type PageRow } from './respond.ts';
import { findRelation, ident, newPlanContext, type PlanContext } from './sql.ts';
import { payloadColumns, planDelete, planInsert, planUpdate } from './write-plan.ts';

/**
 * `Prefer: handling=strict, max-affected=N`: more rows touched than N answers 400 PGRST124 and
 * rolls the request back (on writes and on rpc alike).
 */
export function enforceMaxAffected(rest: RestRequest, affected: number): void {
	const { handling, maxAffected } = rest.prefer;
	if (handling !== 'strict' || maxAffected === undefined || affected <= maxAffected) return;
	const error = new RestError(
		400,
		'PGRST124',
		'Query result exceeds max-affected preference constraint',
		`The query affects ${affected} rows`,
		null
	);
	throw new Rollback(error.toResponse(rest.head));
}

export async function readBody(rest: RestRequest): Promise<unknown> {
	const text = await rest.request.text();
	if (text.trim() === '') return undefined;
	try {
		return JSON.parse(text);
	} catch {
		throw new RestError(400, 'PGRST102', 'Empty or invalid json', null, null);
	}
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rows a write touched and, for a merge-upsert, how many of them were new. */
interface WriteResult {
	affected: number;
	inserted: number | null;
}

/**
 * Runs a write: the statement alone for return=minimal (no RETURNING, so SELECT policies do not
 * apply, as in PostgREST), or inside a CTE whose rows are read back with the request's select.
 * A merge-upsert also returns `xmax = 0` per row, which tells inserted rows from updated ones.
 */
async function write(
	context: StackContext,
	rest: RestRequest,
	ctx: PlanContext,
	mutation: string,
	relationName: string,
	shape: (
		result: WriteResult,
		total: number | undefined,
		hasBody: boolean
	) => { status: number; contentRange: string }
): Promise<Response> {
	const relation = findRelation(rest.cache, rest.schema, relationName);
	if ([...ctx.query.limit, ...ctx.query.offset].some((entry) => entry.path.length === 0)) {
		throw unsupported('limit and offset on a write');
	}
	const alias = ident(relation.name);
	const representation = rest.prefer.return === 'representation';
	// headers-only answers an insert with a Location naming the new row by its primary key.
	const headersOnly =
		rest.prefer.return === 'headers-only' &&
		rest.method === 'POST' &&
		relation.primaryKey.length > 0;
	const keyItems: SelectItem[] = relation.primaryKey.map((name) => ({
		kind: 'column',
		field: { name, path: [] }
	}));
	const trackInserted = rest.method === 'POST' && rest.prefer.resolution === 'merge-duplicates';
	const insertedFlag = `(${alias}.xmax = 0) as pgrst_inserted`;
	const insertedCount = trackInserted
		? '(select count(*)::int from pgrst_source where pgrst_inserted)'
		: 'null::int';
	let sql = mutation;
	if (representation || headersOnly) {
		const parts = planSelect(
			ctx,
			relation,
			`pgrst_source as ${alias}`,
			relation.name,
			headersOnly ? keyItems : ctx.query.select,
			[],
			{ rootFilters: false }
		);
		const returning = `${alias}.*${trackInserted ? `, ${insertedFlag}` : ''}`;
		sql = `with pgrst_source as (${mutation} returning ${returning}) select pgrst_result.*, ${insertedCount} as inserted from (${pageSql(selectSql(parts), pageFormat(rest))}) as pgrst_result`;
	} else if (trackInserted) {
		sql = `with pgrst_source as (${mutation} returning ${insertedFlag}) select count(*)::int as page_count, null as body, null as first_row, ${insertedCount} as inserted from pgrst_source`;
	}
	checkAllPathsUsed(ctx);
	const params = ctx.params.values;
	return inRequestTransaction(context.db, rest.settings, async (tx) => {
		if (rest.media.kind === 'plan') return planResponse(tx, rest, sql, params);
		let result: WriteResult;
		let body: string | null = null;
		const headers: Record<string, string> = {};
		if (sql !== mutation) {
			const page = (await tx.query<PageRow & { inserted: number | null }>(sql, params)).rows[0];
			result = { affected: page.page_count, inserted: page.inserted };
			if (headersOnly) {
				if (page.first_row)
					headers.location = rowLocation(relation.name, JSON.parse(page.first_row));
			} else body = rest.single ? page.first_row : page.body;
		} else {
			result = { affected: (await tx.query(mutation, params)).affectedRows, inserted: null };
		}
		const { affected } = result;
		if (rest.single && affected !== 1)
			throw new Rollback(singleObjectError(affected).toResponse(rest.head));
		enforceMaxAffected(rest, affected);
		const { status, contentRange } = shape(
			result,
			rest.prefer.count ? affected : undefined,
			body !== null
		);
		headers['content-range'] = contentRange;
		return rollbackIfAsked(rest, respond(rest, status, body, headers));
	});
}

/** `/table?pk=eq.value` for a row, as PostgREST's Location header names it. */
function rowLocation(table: string, key: Record<string, unknown>): string {
	const query = new URLSearchParams(
		Object.entries(key).map(([column, value]) => [column, `eq.${String(value)}`])
	);
	return `/${table}?${query}`;
}

export async function insert(
	context: StackContext,
	rest: RestRequest,
	name: string
): Promise<Response> {
	const relation = findRelation(rest.cache, rest.schema, name);
	const query = parseQuery(rest.url.searchParams);
	const body = await readBody(rest);
	const rows = Array.isArray(body) ? body : [body];
	if (!rows.every(isRecord))
		throw new RestError(
			400,
			'PGRST102',
			'Empty or invalid json',
			'The body must be a JSON object or an array of objects.',
			null
		);
	const names = payloadColumns(relation, rows, query.columns);
	if (rows.length === 0) {
		const representation = rest.prefer.return === 'representation';
		return respond(rest, 201, representation ? '[]' : null, {
			'content-range': `*/${rest.prefer.count ? 0 : '*'}`
		});
	}
	const ctx = newPlanContext(rest.cache, rest.config, rest.schema, query);
	const mutation = planInsert(ctx, relation, relation.name, rows, names, {
		missingDefault: rest.prefer.missing === 'default',
		resolution: rest.prefer.resolution,
		onConflict: query.onConflict
	});
	// PostgREST answers 200 to a merge-upsert that only updated rows.
	return write(context, rest, ctx, mutation, name, ({ inserted }, total) => ({
		status: inserted === 0 ? 200 : 201,
		contentRange: `*/${total ?? '*'}`
	}));
}

export async function update(
	context: StackContext,
	rest: RestRequest,
	name: string
): Promise<Response> {
	const relation = findRelation(rest.cache, rest.schema, name);
	const query = parseQuery(rest.url.searchParams);
	const body = await readBody(rest);
	if (!isRecord(body))
		throw new RestError(
			400,
			'PGRST102',
			'Empty or invalid json',
			'The body of an update must be a JSON object.',
			null
		);
	const names = payloadColumns(relation, [body], query.columns);
	const ctx = newPlanContext(rest.cache, rest.config, rest.schema, query);
	if (names.length === 0) {
		return respond(rest, 204, null, { 'content-range': '*/*' });
	}
	return write(
		context,
		rest,
		ctx,
		planUpdate(ctx, relation, relation.name, body, names),
		name,
		({ affected }, total, hasBody) => ({
			status: hasBody ? 200 : 204,
			contentRange: `${affected > 0 ? `0-${affected - 1}` : '*'}/${total ?? '*'}`
		})
	);
}

export async function remove(
	context: StackContext,
	rest: RestRequest,
	name: string
): Promise<Response> {
	const relation = findRelation(rest.cache, rest.schema, name);
	const query = parseQuery(rest.url.searchParams);
	const ctx = newPlanContext(rest.cache, rest.config, rest.schema, query);
	return write(
		context,
		rest,
		ctx,
		planDelete(ctx, relation, relation.name),
		name,
		(_result, total, hasBody) => ({
			status: hasBody ? 200 : 204,
			contentRange: `*/${total ?? '*'}`
		})
	);
}

/** With `Prefer: tx=rollback`, answers `response` but rolls the request's transaction back. */
export function rollbackIfAsked(rest: RestRequest, response: Response): Response {
	if (rest.prefer.tx === 'rollback') throw new Rollback(response);
	return response;
}
