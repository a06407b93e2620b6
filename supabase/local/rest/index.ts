import type { StackContext, StackService } from '../context.ts';
import { RestError, toRestError, unsupported } from './errors.ts';
import { prepare, type RestRequest } from './request.ts';
import { loadSchemaCache } from './schema-cache.ts';
import { parseQuery, parseRangeHeader, type ApiQuery, type SelectItem } from './parse.ts';
import {
	checkAllPathsUsed,
	findRelation,
	ident,
	jsonPageSql,
	maxRows,
	newPlanContext,
	payloadColumns,
	planDelete,
	planInsert,
	planSelect,
	planUpdate,
	resolveRoutine,
	routineFromItem,
	routineRelation,
	selectSql
} from './plan.ts';
import { Rollback, inRequestTransaction } from './execute.ts';
import { pageResponse, respond, singleBody, singleObjectError, type PageRow } from './respond.ts';

/**
 * PostgREST-compatible REST at /rest/v1. A request goes through request.ts (JWT, headers),
 * parse.ts (query string → query), plan.ts (query + schema cache → SQL with bound values),
 * execute.ts (one transaction with the caller's role and claims) and respond.ts (status, headers).
 */
export async function createRestService(context: StackContext): Promise<StackService> {
	let cache = await loadSchemaCache(context.db);
	let reloading = Promise.resolve();
	// migrate.ts and migrations send NOTIFY pgrst, 'reload schema', as PostgREST listens for it.
	const unlisten = await context.db.listen('pgrst', (payload) => {
		if (payload !== '' && !payload.startsWith('reload schema')) return;
		reloading = reloading
			.then(async () => {
				cache = await loadSchemaCache(context.db);
			})
			.catch((error) =>
				console.error('[rest] schema cache reload failed:', (error as Error).message)
			);
	});
	return {
		async fetch(request, subpath) {
			let role = 'anon';
			try {
				const rest = await prepare(request, cache);
				role = rest.settings.role;
				return await route(context, rest, subpath);
			} catch (error) {
				return toRestError(error, role).toResponse(request.method === 'HEAD');
			}
		},
		close: () => unlisten()
	};
}

async function route(context: StackContext, rest: RestRequest, subpath: string): Promise<Response> {
	const segments = subpath.split('/').filter(Boolean).map(decodePathSegment);
	if (segments.length === 0) throw unsupported('The OpenAPI description at /rest/v1/');
	if (segments[0] === 'rpc' && segments.length === 2) {
		if (!['GET', 'HEAD', 'POST'].includes(rest.method)) throw methodNotAllowed(rest.method);
		return callRoutine(context, rest, segments[1]);
	}
	if (segments.length !== 1)
		throw new RestError(404, 'PGRST125', `Invalid path specified in request URL`, null, null);
	switch (rest.method) {
		case 'GET':
		case 'HEAD':
			return read(context, rest, segments[0]);
		case 'POST':
			return insert(context, rest, segments[0]);
		case 'PATCH':
			return update(context, rest, segments[0]);
		case 'DELETE':
			return remove(context, rest, segments[0]);
		case 'PUT':
			throw unsupported('PUT (single-row upsert)');
		default:
			throw methodNotAllowed(rest.method);
	}
}

function decodePathSegment(segment: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		throw new RestError(404, 'PGRST125', 'Invalid path specified in request URL', null, null);
	}
}

function methodNotAllowed(method: string): RestError {
	return new RestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`, null, null);
}

/** Root paging from limit/offset, else the Range header, capped at the maximum rows. */
function rootPaging(rest: RestRequest, query: ApiQuery): { limit: number; offset: number } {
	const limit = query.limit.filter((l) => l.path.length === 0).at(-1)?.value;
	const offset = query.offset.filter((o) => o.path.length === 0).at(-1)?.value;
	const range =
		limit === undefined && offset === undefined
			? parseRangeHeader(rest.request.headers.get('range'))
			: undefined;
	return {
		limit: Math.min(limit ?? range?.limit ?? maxRows, maxRows),
		offset: offset ?? range?.offset ?? 0
	};
}

async function read(context: StackContext, rest: RestRequest, name: string): Promise<Response> {
	const query = parseQuery(rest.url.searchParams);
	const relation = findRelation(rest.cache, rest.schema, name);
	const ctx = newPlanContext(rest.cache, rest.schema, query);
	const alias = relation.name;
	const from = `${ident(relation.schema)}.${ident(relation.name)} as ${ident(alias)}`;
	const parts = planSelect(ctx, relation, from, alias, query.select, []);
	checkAllPathsUsed(ctx);
	const paging = rootPaging(rest, query);
	const pageSql = jsonPageSql(selectSql(parts, paging));
	const countSql = rest.prefer.count
		? `select count(*)::int as total from (${selectSql({ ...parts, orderBy: '' })}) as pgrst_all`
		: undefined;
	const params = ctx.params.values;
	return inRequestTransaction(context.db, rest.settings, async (tx) => {
		const page = (await tx.query<PageRow>(pageSql, params)).rows[0];
		const total = countSql
			? (await tx.query<{ total: number }>(countSql, params)).rows[0].total
			: undefined;
		return pageResponse(rest, page, paging.offset, total, singleBody(rest, page));
	});
}

async function readBody(rest: RestRequest): Promise<unknown> {
	const text = await rest.request.text();
	if (text.trim() === '') return undefined;
	try {
		return JSON.parse(text);
	} catch {
		throw new RestError(400, 'PGRST102', 'Empty or invalid json', null, null);
	}
}

function isRecord(value: unknown): value is Record<string, unknown> {
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
	ctx: ReturnType<typeof newPlanContext>,
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
		sql = `with pgrst_source as (${mutation} returning ${returning}) select pgrst_result.*, ${insertedCount} as inserted from (${jsonPageSql(selectSql(parts))}) as pgrst_result`;
	} else if (trackInserted) {
		sql = `with pgrst_source as (${mutation} returning ${insertedFlag}) select count(*)::int as page_count, null as body, null as first_row, ${insertedCount} as inserted from pgrst_source`;
	}
	checkAllPathsUsed(ctx);
	const params = ctx.params.values;
	return inRequestTransaction(context.db, rest.settings, async (tx) => {
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
		if (
			rest.prefer.handling === 'strict' &&
			rest.prefer.maxAffected !== undefined &&
			affected > rest.prefer.maxAffected
		) {
			const error = new RestError(
				400,
				'PGRST124',
				'Query result exceeds max-affected preference constraint',
				`The query affects ${affected} rows`,
				null
			);
			throw new Rollback(error.toResponse());
		}
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

async function insert(context: StackContext, rest: RestRequest, name: string): Promise<Response> {
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
	const ctx = newPlanContext(rest.cache, rest.schema, query);
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

async function update(context: StackContext, rest: RestRequest, name: string): Promise<Response> {
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
	const ctx = newPlanContext(rest.cache, rest.schema, query);
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

async function remove(context: StackContext, rest: RestRequest, name: string): Promise<Response> {
	const relation = findRelation(rest.cache, rest.schema, name);
	const query = parseQuery(rest.url.searchParams);
	const ctx = newPlanContext(rest.cache, rest.schema, query);
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

async function callRoutine(
	context: StackContext,
	rest: RestRequest,
	name: string
): Promise<Response> {
	const overloads = rest.cache.routines.get(`${rest.schema}.${name}`) ?? [];
	const argNames = new Set(overloads.flatMap((r) => r.params.map((p) => p.name)).filter(Boolean));
	const viaQuery = rest.method !== 'POST';
	const query = parseQuery(rest.url.searchParams, viaQuery ? argNames : new Set());
	let args: Record<string, unknown>;
	if (viaQuery) args = query.rpcArgs;
	else {
		const body = (await readBody(rest)) ?? {};
		if (Array.isArray(body)) throw unsupported('Calling a function with an array body');
		if (!isRecord(body)) throw new RestError(400, 'PGRST102', 'Empty or invalid json', null, null);
		args = body;
	}
	const { routine, wholeBody } = resolveRoutine(rest.cache, rest.schema, name, Object.keys(args));
	const ctx = newPlanContext(rest.cache, rest.schema, query);
	const alias = routine.name;
	const from = routineFromItem(ctx, routine, args, wholeBody, alias);
	const relation = routineRelation(rest.cache, routine);
	const settings = {
		...rest.settings,
		readOnly: rest.settings.readOnly || routine.volatility !== 'volatile'
	};
	const params = ctx.params.values;

	if (routine.returns.kind === 'void') {
		checkAllPathsUsed(ctx);
		return inRequestTransaction(context.db, settings, async (tx) => {
			await tx.query(`select 1 from ${from}`, params);
			return rollbackIfAsked(rest, respond(rest, 204, null, {}));
		});
	}
	const scalar = routine.returns.kind === 'scalar';
	const parts = planSelect(
		ctx,
		relation,
		from,
		alias,
		scalar ? [{ kind: 'star' }] : query.select,
		[]
	);
	checkAllPathsUsed(ctx);
	const paging = routine.returnsSet ? rootPaging(rest, query) : { limit: undefined, offset: 0 };
	const pageSql = jsonPageSql(selectSql(parts, paging), scalar ? routine.name : undefined);
	const countSql =
		rest.prefer.count && routine.returnsSet
			? `select count(*)::int as total from (${selectSql({ ...parts, orderBy: '' })}) as pgrst_all`
			: undefined;
	return inRequestTransaction(context.db, settings, async (tx) => {
		const page = (await tx.query<PageRow>(pageSql, params)).rows[0];
		const total = countSql
			? (await tx.query<{ total: number }>(countSql, params)).rows[0].total
			: undefined;
		const response = routine.returnsSet
			? pageResponse(rest, page, paging.offset, total, singleBody(rest, page))
			: respond(rest, 200, page.first_row ?? 'null', { 'content-range': '0-0/*' });
		return rollbackIfAsked(rest, response);
	});
}

/** With `Prefer: tx=rollback`, answers `response` but rolls the request's transaction back. */
function rollbackIfAsked(rest: RestRequest, response: Response): Response {
	if (rest.prefer.tx === 'rollback') throw new Rollback(response);
	return response;
}
