import { RestError, unsupported } from './errors.ts';
import type { ApiQuery, Condition, Field, Filter, OrderTerm, SelectItem } from './parse.ts';
import { isToOne, resolveRelationship, type Relationship } from './relationships.ts';
import {
	qualifiedKey,
	type Column,
	type Relation,
	type Routine,
	type SchemaCache
} from './schema-cache.ts';

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
	return `"${name.replaceAll('"', '""')}"`;
}

/** Responses never exceed this many rows, as Supabase configures PostgREST. */
export const maxRows = 1000;

/** Bound values of one statement; every value travels as text and is cast in SQL. */
class Params {
	readonly values: string[] = [];
	/** Binds a value; with a type, Postgres converts it with that type's input function. */
	bind(value: string, type?: string): string {
		this.values.push(value);
		const placeholder = `$${this.values.length}::text`;
		return type ? `${placeholder}::${castableType(type)}` : placeholder;
	}
}

/** `character varying(20)` → `character varying`, so a filter value is never silently truncated. */
function castableType(type: string): string {
	return type.replace(/\(\d+(,\s*\d+)?\)/, '');
}

/** What the planner knows about the request. */
export interface PlanContext {
	cache: SchemaCache;
	schema: string;
	query: ApiQuery;
	params: Params;
	/** Paths of filters/order/limits that were used, to report the ones naming no embed. */
	usedPaths: Set<string>;
	aliasCounter: number;
}

/** Starts planning a request. */
export function newPlanContext(cache: SchemaCache, schema: string, query: ApiQuery): PlanContext {
	return { cache, schema, query, params: new Params(), usedPaths: new Set(), aliasCounter: 0 };
}

/** Finds a table or view in the cache (404 PGRST205 otherwise). */
export function findRelation(cache: SchemaCache, schema: string, name: string): Relation {
	const relation = cache.relations.get(qualifiedKey(schema, name));
	if (!relation) {
		throw new RestError(
			404,
			'PGRST205',
			`Could not find the table '${schema}.${name}' in the schema cache`,
			null,
			null
		);
	}
	return relation;
}

function unknownColumn(relation: Relation, name: string): RestError {
	return new RestError(400, '42703', `column ${relation.name}.${name} does not exist`, null, null);
}

function column(relation: Relation, name: string): Column {
	const found = relation.columns.get(name);
	if (!found) throw unknownColumn(relation, name);
	return found;
}

interface TypedExpression {
	sql: string;
	type: string;
}

function fieldExpression(
	ctx: PlanContext,
	relation: Relation,
	alias: string,
	field: Field
): TypedExpression {
	const col = column(relation, field.name);
	let sql = `${ident(alias)}.${ident(col.name)}`;
	let type = col.type;
	for (const step of field.path) {
		const key = /^-?\d+$/.test(step.key)
			? `${ctx.params.bind(step.key)}::int`
			: ctx.params.bind(step.key);
		sql = `(${sql} ${step.arrow} ${key})`;
		type = step.arrow === '->>' ? 'text' : type;
	}
	return { sql, type };
}

function outputKey(field: Field): string {
	return field.path.length ? field.path[field.path.length - 1].key : field.name;
}

const comparison: Record<string, string> = {
	eq: '=',
	neq: '<>',
	gt: '>',
	gte: '>=',
	lt: '<',
	lte: '<=',
	like: 'like',
	ilike: 'ilike',
	match: '~',
	imatch: '~*',
	cs: '@>',
	cd: '<@',
	ov: '&&',
	sl: '<<',
	sr: '>>',
	nxl: '&<',
	nxr: '&>',
	adj: '-|-'
};
const textSearch: Record<string, string> = {
	fts: 'to_tsquery',
	plfts: 'plainto_tsquery',
	phfts: 'phraseto_tsquery',
	wfts: 'websearch_to_tsquery'
};

function conditionSql(ctx: PlanContext, expression: TypedExpression, condition: Condition): string {
	const { op } = condition;
	const valueType = ['like', 'ilike', 'match', 'imatch'].includes(op) ? 'text' : expression.type;
	const bindValue = (value: string) =>
		ctx.params.bind(
			op === 'like' || op === 'ilike' ? value.replaceAll('*', '%') : value,
			valueType
		);
	let sql: string;
	if (op === 'is') {
		const word = String(condition.value).toLowerCase();
		sql = `${expression.sql} is ${word === 'not_null' ? 'not null' : word}`;
	} else if (op === 'isdistinct') {
		sql = `${expression.sql} is distinct from ${bindValue(String(condition.value))}`;
	} else if (op === 'in') {
		const values = condition.value as string[];
		sql = values.length ? `${expression.sql} in (${values.map(bindValue).join(', ')})` : 'false';
	} else if (op in textSearch) {
		const language = condition.language
			? `${ctx.params.bind(condition.language)}::regconfig, `
			: '';
		const document =
			expression.type === 'tsvector' ? expression.sql : `to_tsvector(${language}${expression.sql})`;
		sql = `${document} @@ ${textSearch[op]}(${language}${ctx.params.bind(String(condition.value))})`;
	} else if (condition.quantifier) {
		const values = (condition.value as string[]).map(bindValue);
		sql = `${expression.sql} ${comparison[op]} ${condition.quantifier}(array[${values.join(', ')}])`;
	} else {
		sql = `${expression.sql} ${comparison[op]} ${bindValue(String(condition.value))}`;
	}
	return condition.negate ? `not (${sql})` : sql;
}

/** A table, view or function result being read, with the embeds under it. */
interface Scope {
	relation: Relation;
	alias: string;
	path: string[];
	/** Embeds of this scope by output key, so filters and order can reach their rows. */
	embeds: Map<string, { lateral: string; toOne: boolean }>;
}

function filterSql(ctx: PlanContext, scope: Scope, filter: Filter): string {
	if (filter.kind === 'logic') {
		const parts = filter.children.map((child) => filterSql(ctx, scope, child));
		const sql = parts.length
			? `(${parts.join(` ${filter.op} `)})`
			: filter.op === 'and'
				? 'true'
				: 'false';
		return filter.negate ? `not ${sql}` : sql;
	}
	const embed = scope.embeds.get(filter.field.name);
	if (embed && !scope.relation.columns.has(filter.field.name) && filter.field.path.length === 0) {
		const word = String(filter.value).toLowerCase();
		if (filter.op !== 'is' || (word !== 'null' && word !== 'not_null')) {
			throw new RestError(
				400,
				'PGRST120',
				`Only is null or not is null filters are allowed on embedded resources`,
				null,
				null
			);
		}
		const isNull = (word === 'null') !== filter.negate;
		return `${ident(embed.lateral)}.body is ${isNull ? '' : 'not '}null`;
	}
	return conditionSql(ctx, fieldExpression(ctx, scope.relation, scope.alias, filter.field), filter);
}

function pathKey(path: string[]): string {
	return path.join('.');
}

function scoped<T>(ctx: PlanContext, list: { path: string[]; value: T }[], path: string[]): T[] {
	const key = pathKey(path);
	const found = list.filter((entry) => pathKey(entry.path) === key).map((entry) => entry.value);
	if (found.length) ctx.usedPaths.add(key);
	return found;
}

/** WHERE conditions from the query's filters at `path`. */
function whereConditions(ctx: PlanContext, scope: Scope): string[] {
	return scoped(ctx, ctx.query.filters, scope.path).map((f) => filterSql(ctx, scope, f));
}

function orderSql(ctx: PlanContext, scope: Scope): string {
	const terms: OrderTerm[] = scoped(ctx, ctx.query.order, scope.path).flat();
	if (!terms.length) return '';
	const parts = terms.map((term) => {
		let expression: string;
		if (term.relation) {
			const embed = scope.embeds.get(term.relation);
			if (!embed || !embed.toOne) {
				throw new RestError(
					400,
					'PGRST118',
					`A related order on '${term.relation}' is not possible`,
					`'${term.relation}' must be a to-one embedded resource of this request.`,
					null
				);
			}
			const keys = [term.field.name, ...term.field.path.map((p) => p.key)].map((k) =>
				ctx.params.bind(k)
			);
			expression = `(${ident(embed.lateral)}.body::jsonb #> array[${keys.join(', ')}])`;
		} else {
			expression = fieldExpression(ctx, scope.relation, scope.alias, term.field).sql;
		}
		const nulls = term.nulls ? ` nulls ${term.nulls}` : '';
		return `${expression} ${term.direction ?? 'asc'}${nulls}`;
	});
	return ` order by ${parts.join(', ')}`;
}

/** The parts of one SELECT: output columns, FROM with lateral embeds, WHERE and ORDER BY. */
export interface SelectParts {
	columns: string[];
	from: string;
	where: string[];
	orderBy: string;
	/** Output keys, in order (used to lift a spread embed's columns). */
	keys: string[];
}

function isEmbedCount(items: SelectItem[], target: Relation): boolean {
	return (
		items.length === 1 &&
		items[0].kind === 'column' &&
		items[0].field.name === 'count' &&
		items[0].field.path.length === 0 &&
		!items[0].cast &&
		!target.columns.has('count')
	);
}

function joinCondition(
	relationship: Relationship,
	parentAlias: string,
	childAlias: string
): string {
	const pairs = (left: string, lcols: string[], right: string, rcols: string[]) =>
		lcols
			.map((c, i) => `${ident(left)}.${ident(c)} = ${ident(right)}.${ident(rcols[i])}`)
			.join(' and ');
	switch (relationship.kind) {
		case 'many-to-one':
		case 'one-to-one-parent':
			return pairs(
				childAlias,
				relationship.foreignKey.refColumns,
				parentAlias,
				relationship.foreignKey.columns
			);
		case 'one-to-many':
		case 'one-to-one-child':
			return pairs(
				childAlias,
				relationship.foreignKey.columns,
				parentAlias,
				relationship.foreignKey.refColumns
			);
		case 'many-to-many': {
			const { junction, toParent, toTarget } = relationship;
			const j = 'pgrst_junction';
			return `exists (select 1 from ${ident(junction.schema)}.${ident(junction.name)} as ${ident(j)} where ${pairs(
				j,
				toParent.columns,
				parentAlias,
				toParent.refColumns
			)} and ${pairs(j, toTarget.columns, childAlias, toTarget.refColumns)})`;
		}
	}
}

/**
 * Plans the SELECT of one scope: its columns, and each embed as a LEFT JOIN LATERAL whose `body`
 * is the embedded JSON (an object, or an array that is null when empty), so Postgres builds the JSON.
 */
export function planSelect(
	ctx: PlanContext,
	relation: Relation,
	fromItem: string,
	alias: string,
	items: SelectItem[],
	path: string[],
	options: { rootFilters: boolean } = { rootFilters: true }
): SelectParts {
	const scope: Scope = { relation, alias, path, embeds: new Map() };
	const columns: string[] = [];
	const keys: string[] = [];
	const joins: string[] = [];
	const innerConditions: string[] = [];
	for (const item of items) {
		if (item.kind === 'star') {
			for (const col of relation.columns.values()) {
				columns.push(`${ident(alias)}.${ident(col.name)} as ${ident(col.name)}`);
				keys.push(col.name);
			}
		} else if (item.kind === 'column') {
			const expression = fieldExpression(ctx, relation, alias, item.field);
			const key = item.alias ?? outputKey(item.field);
			columns.push(
				`${item.cast ? `(${expression.sql})::${item.cast}` : expression.sql} as ${ident(key)}`
			);
			keys.push(key);
		} else {
			const relationship = resolveRelationship(ctx.cache, relation, item.name, item.hint);
			const target = relationship.target;
			const number = ++ctx.aliasCounter;
			const childAlias = `${target.name}_${number}`;
			const lateral = `pgrst_${number}`;
			const key = item.alias ?? item.name;
			const toOne = isToOne(relationship);
			const childPath = [...path, key];
			const condition = joinCondition(relationship, alias, childAlias);
			const childFrom = `${ident(target.schema)}.${ident(target.name)} as ${ident(childAlias)}`;
			let body: string;
			if (isEmbedCount(item.items, target)) {
				const child = planSelect(ctx, target, childFrom, childAlias, [], childPath);
				const where = [condition, ...child.where].join(' and ');
				body = `select json_build_array(json_build_object('count', count(*))) as body from ${child.from} where ${where}`;
			} else {
				const child = planSelect(ctx, target, childFrom, childAlias, item.items, childPath);
				const where = [condition, ...child.where].join(' and ');
				const limit = scoped(ctx, ctx.query.limit, childPath).at(-1);
				const offset = scoped(ctx, ctx.query.offset, childPath).at(-1);
				const paging = `${limit !== undefined ? ` limit ${limit}` : ''}${offset !== undefined ? ` offset ${offset}` : ''}`;
				const inner = `select ${child.columns.join(', ')} from ${child.from} where ${where}${child.orderBy}${paging}`;
				body = toOne
					? `select row_to_json(pgrst_row) as body from (${inner}) as pgrst_row`
					: `select json_agg(pgrst_row) as body from (${inner}) as pgrst_row`;
				if (item.spread) {
					if (!toOne) throw unsupported('Spreading a to-many embedded resource');
					for (const childKey of child.keys) {
						columns.push(
							`(${ident(lateral)}.body -> ${ctx.params.bind(childKey)}) as ${ident(childKey)}`
						);
						keys.push(childKey);
					}
				}
			}
			joins.push(`left join lateral (${body}) as ${ident(lateral)} on true`);
			scope.embeds.set(key, { lateral, toOne });
			if (item.inner) innerConditions.push(`${ident(lateral)}.body is not null`);
			if (item.items.length > 0 && !item.spread) {
				columns.push(
					toOne
						? `${ident(lateral)}.body as ${ident(key)}`
						: `coalesce(${ident(lateral)}.body, '[]') as ${ident(key)}`
				);
				keys.push(key);
			}
		}
	}
	// After a write, the root filters already chose the rows; re-applying them could hide updated rows.
	const filters = path.length || options.rootFilters ? whereConditions(ctx, scope) : [];
	const where = [...filters, ...innerConditions];
	return {
		columns,
		from: [fromItem, ...joins].join(' '),
		where,
		orderBy: orderSql(ctx, scope),
		keys
	};
}

/** Reports filters, orders and limits on embeds the select does not have (PGRST108). */
export function checkAllPathsUsed(ctx: PlanContext): void {
	const all = [...ctx.query.filters, ...ctx.query.order, ...ctx.query.limit, ...ctx.query.offset];
	for (const entry of all) {
		if (entry.path.length && !ctx.usedPaths.has(pathKey(entry.path))) {
			const name = entry.path.join('.');
			throw new RestError(
				400,
				'PGRST108',
				`'${name}' is not an embedded resource in this request`,
				null,
				`Verify that '${name}' is included in the 'select' query parameter.`
			);
		}
	}
}

/** Root-level WHERE conditions for an UPDATE or DELETE on `relation`. */
export function planMutationWhere(ctx: PlanContext, relation: Relation, alias: string): string[] {
	const scope: Scope = { relation, alias, path: [], embeds: new Map() };
	return whereConditions(ctx, scope);
}

/** SELECT text of one scope, with paging. */
export function selectSql(
	parts: SelectParts,
	paging: { limit?: number; offset?: number } = {}
): string {
	const where = parts.where.length ? ` where ${parts.where.join(' and ')}` : '';
	const limit = paging.limit !== undefined ? ` limit ${paging.limit}` : '';
	const offset = paging.offset ? ` offset ${paging.offset}` : '';
	return `select ${parts.columns.join(', ')} from ${parts.from}${where}${parts.orderBy}${limit}${offset}`;
}

/** Wraps a row query so Postgres returns the page as JSON text, its first row, and the row count. */
export function jsonPageSql(rowsSql: string, scalarColumn?: string): string {
	const value = scalarColumn ? `pgrst_page.${ident(scalarColumn)}` : 'pgrst_page';
	return `select count(*)::int as page_count, coalesce(json_agg(${value}), '[]')::text as body, (json_agg(${value}) -> 0)::text as first_row from (${rowsSql}) as pgrst_page`;
}

/** The columns a write names: `columns=` if given, else the body's keys (all rows must agree). */
export function payloadColumns(
	relation: Relation,
	rows: Record<string, unknown>[],
	listed: string[] | undefined
): string[] {
	let names: string[];
	if (listed) names = listed;
	else {
		names = Object.keys(rows[0] ?? {});
		const signature = [...names].sort().join('\u0000');
		if (rows.some((row) => Object.keys(row).sort().join('\u0000') !== signature)) {
			throw new RestError(400, 'PGRST102', 'All object keys must match', null, null);
		}
	}
	for (const name of names) {
		if (!relation.columns.has(name)) {
			throw new RestError(
				400,
				'PGRST204',
				`Could not find the '${name}' column of '${relation.name}' in the schema cache`,
				null,
				null
			);
		}
	}
	return names;
}

/** INSERT (or upsert) of the body's rows, without RETURNING; values come from one JSON parameter. */
export function planInsert(
	ctx: PlanContext,
	relation: Relation,
	alias: string,
	rows: Record<string, unknown>[],
	names: string[],
	options: {
		missingDefault: boolean;
		resolution?: 'merge-duplicates' | 'ignore-duplicates';
		onConflict?: string[];
	}
): string {
	const table = `${ident(relation.schema)}.${ident(relation.name)}`;
	const payload = ctx.params.bind(JSON.stringify(rows), 'json');
	const tuples = rows.map((row, index) => {
		const record = `json_populate_record(null::${table}, ${payload} -> ${index})`;
		return `(${names.map((name) => (options.missingDefault && !(name in row) ? 'default' : `(${record}).${ident(name)}`)).join(', ')})`;
	});
	let sql = `insert into ${table} as ${ident(alias)} (${names.map(ident).join(', ')}) `;
	sql += names.length ? `values ${tuples.join(', ')}` : 'default values';
	if (options.resolution) {
		const target = options.onConflict ?? relation.primaryKey;
		if (!target.length)
			throw new RestError(
				400,
				'PGRST000',
				`An upsert on '${relation.name}' needs on_conflict: the table has no primary key.`
			);
		for (const name of target) column(relation, name);
		const updates = names.map((name) => `${ident(name)} = excluded.${ident(name)}`);
		sql += ` on conflict (${target.map(ident).join(', ')}) do `;
		sql +=
			options.resolution === 'merge-duplicates' && updates.length
				? `update set ${updates.join(', ')}`
				: 'nothing';
	}
	return sql;
}

/** UPDATE of the filtered rows with the body's values. */
export function planUpdate(
	ctx: PlanContext,
	relation: Relation,
	alias: string,
	body: Record<string, unknown>,
	names: string[]
): string {
	const table = `${ident(relation.schema)}.${ident(relation.name)}`;
	const payload = ctx.params.bind(JSON.stringify(body), 'json');
	const record = `json_populate_record(null::${table}, ${payload})`;
	const sets = names.map((name) => `${ident(name)} = (${record}).${ident(name)}`);
	const where = requireWhere(planMutationWhere(ctx, relation, alias), 'UPDATE');
	return `update ${table} as ${ident(alias)} set ${sets.join(', ')} where ${where}`;
}

/** DELETE of the filtered rows. */
export function planDelete(ctx: PlanContext, relation: Relation, alias: string): string {
	const table = `${ident(relation.schema)}.${ident(relation.name)}`;
	const where = requireWhere(planMutationWhere(ctx, relation, alias), 'DELETE');
	return `delete from ${table} as ${ident(alias)} where ${where}`;
}

function requireWhere(conditions: string[], command: 'UPDATE' | 'DELETE'): string {
	// Supabase preloads pg-safeupdate, which refuses unfiltered updates and deletes.
	if (!conditions.length)
		throw new RestError(400, '21000', `${command} requires a WHERE clause`, null, null);
	return conditions.join(' and ');
}

/** Picks the overload of `name` that takes exactly these named arguments (404 PGRST202 otherwise). */
export function resolveRoutine(
	cache: SchemaCache,
	schema: string,
	name: string,
	argNames: string[]
): { routine: Routine; wholeBody: boolean } {
	const overloads = cache.routines.get(qualifiedKey(schema, name)) ?? [];
	const named = overloads.find(
		(r) =>
			argNames.every((a) => r.params.some((p) => p.name === a)) &&
			r.params.every((p) => p.hasDefault || argNames.includes(p.name))
	);
	if (named) return { routine: named, wholeBody: false };
	const single = overloads.find(
		(r) =>
			r.params.length === 1 &&
			r.params[0].name === '' &&
			['json', 'jsonb'].includes(r.params[0].type)
	);
	if (single) return { routine: single, wholeBody: true };
	const listed = [...argNames].sort().join(', ');
	throw new RestError(
		404,
		'PGRST202',
		`Could not find the function ${schema}.${name}${argNames.length ? `(${listed})` : ' without parameters'} in the schema cache`,
		`Searched for the function ${schema}.${name}${argNames.length ? ` with parameters ${listed}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
		null
	);
}

/**
 * The FROM item calling a function with its arguments. Arguments travel as one JSON object that
 * json_to_record converts to the parameters' types (arrays and objects included).
 */
export function routineFromItem(
	ctx: PlanContext,
	routine: Routine,
	args: Record<string, unknown>,
	wholeBody: boolean,
	alias: string
): string {
	const fn = `${ident(routine.schema)}.${ident(routine.name)}`;
	if (wholeBody) {
		return `${fn}(${ctx.params.bind(JSON.stringify(args), routine.params[0].type)}) as ${ident(alias)}`;
	}
	const given = routine.params.filter((p) => p.name in args);
	if (!given.length) return `${fn}() as ${ident(alias)}`;
	const definitions = given.map((p) => `${ident(p.name)} ${p.type}`).join(', ');
	const call = given.map((p) => `${ident(p.name)} := pgrst_args.${ident(p.name)}`).join(', ');
	return `json_to_record(${ctx.params.bind(JSON.stringify(args), 'json')}) as pgrst_args(${definitions}) cross join lateral ${fn}(${call}) as ${ident(alias)}`;
}

/** A function's result rows seen as a relation, so select, filters, order and embeds work on them. */
export function routineRelation(cache: SchemaCache, routine: Routine): Relation {
	const table =
		routine.returnsRelation &&
		cache.relations.get(qualifiedKey(routine.returnsRelation.schema, routine.returnsRelation.name));
	if (table) return table;
	const columns =
		routine.returns.kind === 'composite'
			? routine.returns.columns
			: [
					{
						name: routine.name,
						type: routine.returns.kind === 'scalar' ? routine.returns.type : 'void'
					}
				];
	return {
		schema: routine.schema,
		name: routine.name,
		kind: 'view',
		columns: new Map(columns.map((c) => [c.name, c])),
		primaryKey: [],
		uniqueKeys: []
	};
}
