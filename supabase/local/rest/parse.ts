import { parseError } from './errors.ts';
import { Scanner, parseSelect, type Field, type SelectItem } from './parse-select.ts';

export type { Field, SelectItem } from './parse-select.ts';

export const operators = [
	'eq',
	'neq',
	'gt',
	'gte',
	'lt',
	'lte',
	'like',
	'ilike',
	'match',
	'imatch',
	'is',
	'isdistinct',
	'in',
	'cs',
	'cd',
	'ov',
	'sl',
	'sr',
	'nxl',
	'nxr',
	'adj',
	'fts',
	'plfts',
	'phfts',
	'wfts'
] as const;
export type Operator = (typeof operators)[number];

export interface Condition {
	kind: 'condition';
	field: Field;
	negate: boolean;
	op: Operator;
	/** `like(any)`, `eq(all)` … */
	quantifier?: 'any' | 'all';
	/** Text search configuration of `fts(english)`. */
	language?: string;
	/** A single value, or the list of `in.(…)` / quantified operators. */
	value: string | string[];
}

export interface Logic {
	kind: 'logic';
	op: 'and' | 'or';
	negate: boolean;
	children: Filter[];
}

export type Filter = Condition | Logic;

export interface OrderTerm {
	field: Field;
	/** Ordering by a to-one embed's column: `order=author(name).desc`. */
	relation?: string;
	direction?: 'asc' | 'desc';
	nulls?: 'first' | 'last';
}

/** Filters, order and paging that apply to the root (path []) or to an embed (path of aliases). */
export interface Scoped<T> {
	path: string[];
	value: T;
}

export interface ApiQuery {
	select: SelectItem[];
	filters: Scoped<Filter>[];
	order: Scoped<OrderTerm[]>[];
	limit: Scoped<number>[];
	offset: Scoped<number>[];
	columns?: string[];
	onConflict?: string[];
	/** Query parameters that name arguments of the rpc being called with GET (repeated: a list). */
	rpcArgs: Record<string, string | string[]>;
}

/** Splits on commas that are outside parentheses, braces and double quotes. */
export function splitTopLevel(text: string): string[] {
	const parts: string[] = [];
	let depth = 0;
	let quoted = false;
	let current = '';
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '\\' && i + 1 < text.length) {
				current += c + text[++i];
				continue;
			}
			if (c === '"') quoted = false;
		} else if (c === '"') quoted = true;
		else if (c === '(' || c === '{' || c === '[') depth++;
		else if (c === ')' || c === '}' || c === ']') depth--;
		else if (c === ',' && depth === 0) {
			parts.push(current);
			current = '';
			continue;
		}
		current += c;
	}
	parts.push(current);
	return parts;
}

function unquote(value: string): string {
	if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
		return value.slice(1, -1).replace(/\\(.)/g, '$1');
	}
	return value;
}

/** Parses `(a,b,"c,d")` or `{a,b}` into its items. */
function parseList(raw: string, open: string, close: string): string[] {
	if (!raw.startsWith(open) || !raw.endsWith(close)) {
		throw parseError(`"failed to parse filter (${raw})"`, `expected a list in ${open}${close}`);
	}
	const inner = raw.slice(1, -1);
	if (inner === '') return [];
	return splitTopLevel(inner).map(unquote);
}

const operatorPattern = /^(not\.)?([a-z]+)(?:\(([a-z_]+)\))?\.([\s\S]*)$/;

/** Parses a filter's right-hand side, `[not.]op[(modifier)].value`, for `field`. */
export function parseCondition(field: Field, expression: string, inLogic = false): Condition {
	const match = operatorPattern.exec(expression);
	if (!match || !(operators as readonly string[]).includes(match[2])) {
		throw parseError(
			`"failed to parse filter (${expression})" (line 1, column 1)`,
			`unknown or missing operator in "${expression}"`
		);
	}
	const [, not, opText, modifier, rawValue] = match;
	const op = opText as Operator;
	const condition: Condition = {
		kind: 'condition',
		field,
		negate: Boolean(not),
		op,
		value: rawValue
	};
	if (modifier) {
		if (op === 'fts' || op === 'plfts' || op === 'phfts' || op === 'wfts')
			condition.language = modifier;
		else if (
			(modifier === 'any' || modifier === 'all') &&
			['eq', 'like', 'ilike', 'gt', 'gte', 'lt', 'lte', 'match', 'imatch'].includes(op)
		) {
			condition.quantifier = modifier;
			condition.value = parseList(rawValue, '{', '}');
		} else
			throw parseError(
				`"failed to parse filter (${expression})"`,
				`unknown modifier "${modifier}"`
			);
	}
	if (op === 'in') condition.value = parseList(rawValue, '(', ')');
	else if (
		op === 'is' &&
		!['null', 'not_null', 'true', 'false', 'unknown'].includes(rawValue.toLowerCase())
	) {
		throw parseError(
			`"failed to parse filter (${expression})"`,
			'is accepts only null, not_null, true, false or unknown'
		);
	} else if (inLogic && typeof condition.value === 'string')
		condition.value = unquote(condition.value);
	return condition;
}

/** Parses the `(…)` of `or=`/`and=` into a logic tree. */
export function parseLogic(op: 'and' | 'or', negate: boolean, raw: string): Logic {
	if (!raw.startsWith('(') || !raw.endsWith(')')) {
		throw parseError(
			`"failed to parse logic tree (${raw})" (line 1, column 1)`,
			'expected a parenthesised list of conditions'
		);
	}
	const children = splitTopLevel(raw.slice(1, -1)).map((part): Filter => {
		const nested = /^(not\.)?(and|or)(\(.*\))$/s.exec(part);
		if (nested) return parseLogic(nested[2] as 'and' | 'or', Boolean(nested[1]), nested[3]);
		const s = new Scanner(part);
		const field = s.field();
		if (!s.eat('.'))
			throw parseError(`"failed to parse logic tree (${raw})"`, `"${part}" is not a condition`);
		return parseCondition(field, part.slice(s.pos), true);
	});
	return { kind: 'logic', op, negate, children };
}

/** Parses `order=a.desc.nullslast,rel(col).asc`. */
export function parseOrder(raw: string): OrderTerm[] {
	return splitTopLevel(raw).map((part) => {
		const pieces = part.split('.');
		const term: Partial<OrderTerm> = {};
		while (pieces.length > 1) {
			const last = pieces[pieces.length - 1];
			if (last === 'asc' || last === 'desc') term.direction = last;
			else if (last === 'nullsfirst') term.nulls = 'first';
			else if (last === 'nullslast') term.nulls = 'last';
			else break;
			pieces.pop();
		}
		const target = pieces.join('.');
		const embedded = /^([^()]+)\((.+)\)$/.exec(target);
		const s = new Scanner(embedded ? embedded[2] : target);
		const field = s.field();
		if (!s.done)
			throw parseError(
				`"failed to parse order (${raw})" (line 1, column ${s.pos + 1})`,
				`unexpected "${s.text.slice(s.pos)}"`
			);
		return { ...term, field, relation: embedded?.[1] };
	});
}

function nonNegativeInteger(name: string, raw: string): number {
	if (!/^\d+$/.test(raw))
		throw parseError(
			`"failed to parse ${name} parameter (${raw})"`,
			`${name} must be a non-negative integer`
		);
	return Number(raw);
}

/** Parses the columns list of `columns=` and `on_conflict=`. */
function parseColumnList(raw: string): string[] {
	return splitTopLevel(raw).map((c) => unquote(c.trim()));
}

/** Turns a request's query string into the query it describes. */
export function parseQuery(
	params: URLSearchParams,
	rpcArgNames: Set<string> = new Set()
): ApiQuery {
	const query: ApiQuery = {
		select: [{ kind: 'star' }],
		filters: [],
		order: [],
		limit: [],
		offset: [],
		rpcArgs: {}
	};
	for (const [key, value] of params) {
		if (rpcArgNames.has(key)) {
			const previous = query.rpcArgs[key];
			query.rpcArgs[key] =
				previous === undefined
					? value
					: [...(Array.isArray(previous) ? previous : [previous]), value];
			continue;
		}
		if (key === 'select') {
			query.select = parseSelect(value);
			continue;
		}
		if (key === 'columns') {
			query.columns = parseColumnList(value);
			continue;
		}
		if (key === 'on_conflict') {
			query.onConflict = parseColumnList(value);
			continue;
		}
		const segments = key.split('.');
		const last = segments[segments.length - 1];
		const beforeLast = segments[segments.length - 2];
		if (last === 'order') {
			query.order.push({ path: segments.slice(0, -1), value: parseOrder(value) });
		} else if (last === 'limit') {
			query.limit.push({ path: segments.slice(0, -1), value: nonNegativeInteger('limit', value) });
		} else if (last === 'offset') {
			query.offset.push({
				path: segments.slice(0, -1),
				value: nonNegativeInteger('offset', value)
			});
		} else if (last === 'or' || last === 'and') {
			const negate = beforeLast === 'not';
			const path = segments.slice(0, negate ? -2 : -1);
			query.filters.push({ path, value: parseLogic(last, negate, value) });
		} else {
			const s = new Scanner(last);
			const field = s.field();
			if (!s.done)
				throw parseError(
					`"failed to parse filter key (${key})"`,
					`unexpected "${s.text.slice(s.pos)}"`
				);
			query.filters.push({ path: segments.slice(0, -1), value: parseCondition(field, value) });
		}
	}
	return query;
}
