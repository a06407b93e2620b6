import { RestError } from './errors.ts';
import type { Relation } from './model.ts';
import type { Condition, Filter, OrderTerm } from './parse.ts';
import { fieldExpression, ident, type PlanContext, type TypedExpression } from './sql.ts';

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
	// nxr: does not extend to the right of; nxl: does not extend to the left of.
	nxr: '&<',
	nxl: '&>',
	adj: '-|-'
};
const textSearch: Record<string, string> = {
	fts: 'to_tsquery',
	plfts: 'plainto_tsquery',
	phfts: 'phraseto_tsquery',
	wfts: 'websearch_to_tsquery'
};

export function conditionSql(
	ctx: PlanContext,
	expression: TypedExpression,
	condition: Condition
): string {
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
export interface Scope {
	relation: Relation;
	alias: string;
	path: string[];
	/** Embeds of this scope by output key, so filters and order can reach their rows. */
	embeds: Map<string, { lateral: string; toOne: boolean }>;
}

export function filterSql(ctx: PlanContext, scope: Scope, filter: Filter): string {
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

export function pathKey(path: string[]): string {
	return path.join('.');
}

export function scoped<T>(
	ctx: PlanContext,
	list: { path: string[]; value: T }[],
	path: string[]
): T[] {
	const key = pathKey(path);
	const found = list.filter((entry) => pathKey(entry.path) === key).map((entry) => entry.value);
	if (found.length) ctx.usedPaths.add(key);
	return found;
}

/** WHERE conditions from the query's filters at `path`. */
export function whereConditions(ctx: PlanContext, scope: Scope): string[] {
	return scoped(ctx, ctx.query.filters, scope.path).map((f) => filterSql(ctx, scope, f));
}

export function orderSql(ctx: PlanContext, scope: Scope): string {
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
