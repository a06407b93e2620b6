import { RestError } from './errors.ts';
import { qualifiedKey, type Column, type Relation, type SchemaCache } from './model.ts';
import type { ApiQuery, Field } from './parse.ts';
import type { RestSettings } from './settings.ts';

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
	return `"${name.replaceAll('"', '""')}"`;
}

/** Bound values of one statement; every value travels as text and is cast in SQL. */
export class Params {
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
	config: RestSettings;
	schema: string;
	query: ApiQuery;
	params: Params;
	/** Paths of filters/order/limits that were used, to report the ones naming no embed. */
	usedPaths: Set<string>;
	aliasCounter: number;
}

/** Starts planning a request. */
export function newPlanContext(
	cache: SchemaCache,
	config: RestSettings,
	schema: string,
	query: ApiQuery
): PlanContext {
	return {
		cache,
		config,
		schema,
		query,
		params: new Params(),
		usedPaths: new Set(),
		aliasCounter: 0
	};
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

/** A column of `relation` (400 42703 otherwise). */
export function column(relation: Relation, name: string): Column {
	const found = relation.columns.get(name);
	if (!found) throw unknownColumn(relation, name);
	return found;
}

export interface TypedExpression {
	sql: string;
	type: string;
}

/** SQL for a column, a computed field (the function called on the row) or a JSON path into either. */
export function fieldExpression(
	ctx: PlanContext,
	relation: Relation,
	alias: string,
	field: Field
): TypedExpression {
	const computed = relation.columns.has(field.name) ? undefined : relation.computed.get(field.name);
	let sql: string;
	let type: string;
	if (computed) {
		sql = `${ident(computed.schema)}.${ident(computed.name)}(${ident(alias)})`;
		type = computed.type;
	} else {
		const col = column(relation, field.name);
		sql = `${ident(alias)}.${ident(col.name)}`;
		type = col.type;
	}
	for (const step of field.path) {
		const key = /^-?\d+$/.test(step.key)
			? `${ctx.params.bind(step.key)}::int`
			: ctx.params.bind(step.key);
		sql = `(${sql} ${step.arrow} ${key})`;
		type = step.arrow === '->>' ? 'text' : type;
	}
	return { sql, type };
}

/** The key a selected field gets in the output: its last JSON key, else its name. */
export function outputKey(field: Field): string {
	return field.path.length ? field.path[field.path.length - 1].key : field.name;
}
