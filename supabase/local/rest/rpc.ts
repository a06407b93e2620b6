import type { StackContext } from '../context.ts';
import { RestError, unsupported } from './errors.ts';
import { inRequestTransaction } from './execute.ts';
import { parseQuery } from './parse.ts';
import { checkAllPathsUsed, pageSql, planSelect, selectSql } from './plan.ts';
import { countTotal, pageFormat, planResponse, rootPaging } from './read.ts';
import type { RestRequest } from './request.ts';
import { pageResponse, respond, singleBody, type PageRow } from './respond.ts';
import { resolveRoutine, routineFromItem, routineRelation } from './routine-plan.ts';
import { newPlanContext } from './sql.ts';
import { enforceMaxAffected, isRecord, readBody, rollbackIfAsked } from './write.ts';

/** Arguments of a GET call: a variadic parameter given once is still a list. */
function queryArguments(
	rest: RestRequest,
	name: string,
	args: Record<string, string | string[]>
): Record<string, unknown> {
	const overloads = rest.cache.routines.get(`${rest.schema}.${name}`) ?? [];
	const variadic = new Set(
		overloads.flatMap((r) => r.params.filter((p) => p.variadic).map((p) => p.name))
	);
	return Object.fromEntries(
		Object.entries(args).map(([key, value]) => [
			key,
			variadic.has(key) && typeof value === 'string' && !value.startsWith('{') ? [value] : value
		])
	);
}

/** `/rpc/<fn>`: GET/HEAD with query arguments, or POST with a JSON object of named arguments. */
export async function callRoutine(
	context: StackContext,
	rest: RestRequest,
	name: string
): Promise<Response> {
	const overloads = rest.cache.routines.get(`${rest.schema}.${name}`) ?? [];
	const argNames = new Set(overloads.flatMap((r) => r.params.map((p) => p.name)).filter(Boolean));
	const viaQuery = rest.method !== 'POST';
	const query = parseQuery(rest.url.searchParams, viaQuery ? argNames : new Set());
	let args: Record<string, unknown>;
	if (viaQuery) args = queryArguments(rest, name, query.rpcArgs);
	else {
		const body = (await readBody(rest)) ?? {};
		if (Array.isArray(body)) throw unsupported('Calling a function with an array body');
		if (!isRecord(body)) throw new RestError(400, 'PGRST102', 'Empty or invalid json', null, null);
		args = body;
	}
	const { routine, wholeBody } = resolveRoutine(rest.cache, rest.schema, name, Object.keys(args));
	const ctx = newPlanContext(rest.cache, rest.config, rest.schema, query);
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
			if (rest.media.kind === 'plan')
				return planResponse(tx, rest, `select 1 from ${from}`, params);
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
	const format = pageFormat(rest, scalar ? routine.name : undefined);
	// The function runs once: its rows are counted (for counts and max-affected) and paged from one CTE.
	const window = `${paging.limit !== undefined ? ` limit ${paging.limit}` : ''}${paging.offset ? ` offset ${paging.offset}` : ''}`;
	const sql = `with pgrst_all as (${selectSql(parts)}) select (select count(*)::int from pgrst_all) as total, pgrst_paged.* from (${pageSql(`select * from pgrst_all${window}`, format)}) as pgrst_paged`;
	return inRequestTransaction(context.db, settings, async (tx) => {
		if (rest.media.kind === 'plan') return planResponse(tx, rest, sql, params);
		const page = (await tx.query<PageRow & { total: number }>(sql, params)).rows[0];
		enforceMaxAffected(rest, page.total);
		if (!routine.returnsSet) {
			// One value is one row: with a count asked for, PostgREST answers 0-0/1.
			const total = rest.prefer.count ? '1' : '*';
			const body = rest.media.kind === 'csv' ? page.body : (page.first_row ?? 'null');
			return rollbackIfAsked(rest, respond(rest, 200, body, { 'content-range': `0-0/${total}` }));
		}
		const total = await countTotal(tx, rest, parts, params, page.total);
		return rollbackIfAsked(
			rest,
			pageResponse(rest, page, paging.offset, total, singleBody(rest, page))
		);
	});
}
