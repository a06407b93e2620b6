import { RestError, unsupported } from './errors.ts';
import { orderSql, pathKey, scoped, whereConditions, type Scope } from './filter-sql.ts';
import type { Relation } from './model.ts';
import type { SelectItem } from './parse.ts';
import { isToOne, resolveRelationship, type Relationship } from './relationships.ts';
import { fieldExpression, ident, outputKey, type PlanContext } from './sql.ts';

/** The parts of one SELECT: output columns, FROM with lateral embeds, WHERE, GROUP BY and ORDER BY. */
export interface SelectParts {
	columns: string[];
	from: string;
	where: string[];
	/** Set when the select aggregates: the expressions of the columns it groups by (maybe none). */
	groupBy?: string[];
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

function aggregatesRefused(): RestError {
	return new RestError(400, 'PGRST123', 'Use of aggregate functions is not allowed', null, null);
}

/** One output column of a scope: its SQL, key, and whether it is an aggregate or a group key. */
interface OutputColumn {
	sql: string;
	key: string;
	aggregate: boolean;
	/** What to GROUP BY when the scope aggregates (jsonb, since json has no equality). */
	groupSql?: string;
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
	const output: OutputColumn[] = [];
	const joins: string[] = [];
	const innerConditions: string[] = [];
	for (const item of items) {
		if (item.kind === 'star') {
			for (const col of relation.columns.values()) {
				const sql = `${ident(alias)}.${ident(col.name)}`;
				output.push({ sql, key: col.name, aggregate: false });
			}
		} else if (item.kind === 'count') {
			if (!ctx.config.aggregatesEnabled) throw aggregatesRefused();
			const sql = item.cast ? `count(*)::${item.cast}` : 'count(*)';
			output.push({ sql, key: item.alias ?? 'count', aggregate: true });
		} else if (item.kind === 'column') {
			const expression = fieldExpression(ctx, relation, alias, item.field);
			const value = item.cast ? `(${expression.sql})::${item.cast}` : expression.sql;
			if (item.aggregate) {
				if (!ctx.config.aggregatesEnabled) throw aggregatesRefused();
				const { fn, cast } = item.aggregate;
				const sql = `${fn}(${value})${cast ? `::${cast}` : ''}`;
				output.push({ sql, key: item.alias ?? fn, aggregate: true });
			} else {
				output.push({ sql: value, key: item.alias ?? outputKey(item.field), aggregate: false });
			}
		} else {
			planEmbed(ctx, scope, item, output, joins, innerConditions);
		}
	}
	// After a write, the root filters already chose the rows; re-applying them could hide updated rows.
	const filters = path.length || options.rootFilters ? whereConditions(ctx, scope) : [];
	const aggregates = output.some((c) => c.aggregate);
	// When grouping, embedded columns are selected as the jsonb they are grouped by.
	const selected = (c: OutputColumn) => (aggregates && c.groupSql ? c.groupSql : c.sql);
	return {
		columns: output.map((c) => `${selected(c)} as ${ident(c.key)}`),
		from: [fromItem, ...joins].join(' '),
		where: [...filters, ...innerConditions],
		groupBy: aggregates
			? output.filter((c) => !c.aggregate).map((c) => c.groupSql ?? c.sql)
			: undefined,
		orderBy: orderSql(ctx, scope),
		keys: output.map((c) => c.key)
	};
}

/** Adds one embedded resource to a scope: its lateral join and the columns it contributes. */
function planEmbed(
	ctx: PlanContext,
	scope: Scope,
	item: Extract<SelectItem, { kind: 'embed' }>,
	output: OutputColumn[],
	joins: string[],
	innerConditions: string[]
): void {
	const { relation, alias, path } = scope;
	const key = item.alias ?? item.name;
	if (scope.embeds.has(key)) {
		// PostgREST names each lateral join after the parent, the embed and its depth; Postgres refuses twins.
		throw new RestError(
			400,
			'42712',
			`table name "${relation.name}_${key}_${path.length + 1}" specified more than once`,
			null,
			null
		);
	}
	if (relation.computedRelationships.has(item.name) && !item.hint) {
		throw unsupported(`Embedding through the function ${item.name} (a computed relationship)`);
	}
	const relationship = resolveRelationship(ctx.cache, relation, item.name, item.hint);
	const target = relationship.target;
	const number = ++ctx.aliasCounter;
	const childAlias = `${target.name}_${number}`;
	const lateral = ident(`pgrst_${number}`);
	const toOne = isToOne(relationship);
	const childPath = [...path, key];
	const condition = joinCondition(relationship, alias, childAlias);
	const childFrom = `${ident(target.schema)}.${ident(target.name)} as ${ident(childAlias)}`;
	let body: string;
	let childKeys: string[] = [];
	if (isEmbedCount(item.items, target)) {
		const child = planSelect(ctx, target, childFrom, childAlias, [], childPath);
		const where = [condition, ...child.where].join(' and ');
		const count = `json_build_object('count', count(*))`;
		body = `select ${toOne ? count : `json_build_array(${count})`} as body from ${child.from} where ${where}`;
	} else {
		const child = planSelect(ctx, target, childFrom, childAlias, item.items, childPath);
		childKeys = child.keys;
		const where = [condition, ...child.where].join(' and ');
		const limit = scoped(ctx, ctx.query.limit, childPath).at(-1);
		const offset = scoped(ctx, ctx.query.offset, childPath).at(-1);
		const paging = `${limit !== undefined ? ` limit ${limit}` : ''}${offset !== undefined ? ` offset ${offset}` : ''}`;
		const inner = `select ${child.columns.join(', ')} from ${child.from} where ${where}${groupBySql(child)}${child.orderBy}${paging}`;
		body = toOne
			? `select row_to_json(pgrst_row) as body from (${inner}) as pgrst_row`
			: `select json_agg(pgrst_row) as body from (${inner}) as pgrst_row`;
	}
	joins.push(`left join lateral (${body}) as ${lateral} on true`);
	scope.embeds.set(key, { lateral: `pgrst_${number}`, toOne });
	if (item.inner) innerConditions.push(`${lateral}.body is not null`);
	if (item.spread) {
		for (const childKey of childKeys) {
			const bound = ctx.params.bind(childKey);
			// A to-many spread lifts each column as the array of its values, as PostgREST 13 does.
			const sql = toOne
				? `(${lateral}.body -> ${bound})`
				: `coalesce((select json_agg(pgrst_element -> ${bound}) from json_array_elements(${lateral}.body) as pgrst_element), '[]')`;
			output.push({ sql, key: childKey, aggregate: false, groupSql: `(${sql})::jsonb` });
		}
	} else if (item.items.length > 0) {
		const sql = toOne ? `${lateral}.body` : `coalesce(${lateral}.body, '[]')`;
		output.push({ sql, key, aggregate: false, groupSql: `(${sql})::jsonb` });
	}
}

function groupBySql(parts: SelectParts): string {
	if (!parts.groupBy?.length) return '';
	return ` group by ${parts.groupBy.join(', ')}`;
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

/** SELECT text of one scope, with paging. */
export function selectSql(
	parts: SelectParts,
	paging: { limit?: number; offset?: number } = {}
): string {
	const where = parts.where.length ? ` where ${parts.where.join(' and ')}` : '';
	const limit = paging.limit !== undefined ? ` limit ${paging.limit}` : '';
	const offset = paging.offset ? ` offset ${paging.offset}` : '';
	return `select ${parts.columns.join(', ')} from ${parts.from}${where}${groupBySql(parts)}${parts.orderBy}${limit}${offset}`;
}

/** How a page's rows become the response body. */
export type PageFormat =
	{ kind: 'json'; stripNulls: boolean; scalarColumn?: string } | { kind: 'csv' };

/**
 * Wraps a row query so Postgres returns the page's body, its first row (for singular responses)
 * and the row count. CSV is a header of the first row's keys, then each row's record text, as
 * PostgREST renders it.
 */
export function pageSql(rowsSql: string, format: PageFormat): string {
	let value = 'pgrst_page';
	if (format.kind === 'json' && format.scalarColumn)
		value = `pgrst_page.${ident(format.scalarColumn)}`;
	else if (format.kind === 'json' && format.stripNulls)
		value = 'json_strip_nulls(row_to_json(pgrst_page))';
	const json = `coalesce(json_agg(${value}), '[]')::text`;
	const csvHeader = `coalesce((select string_agg(pgrst_key, ',') from json_object_keys(json_agg(pgrst_page) -> 0) as pgrst_key), '')`;
	const csvRows = `coalesce(string_agg(substring(pgrst_page::text, 2, length(pgrst_page::text) - 2), E'\\n'), '')`;
	const body = format.kind === 'csv' ? `${csvHeader} || E'\\n' || ${csvRows}` : json;
	return `select count(*)::int as page_count, ${body} as body, (json_agg(${value}) -> 0)::text as first_row from (${rowsSql}) as pgrst_page`;
}
