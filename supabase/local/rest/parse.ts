import { RestError, parseError, unsupported } from './errors.ts';

/** A column with an optional JSON path: `meta->a->>b`. */
export interface Field {
	name: string;
	path: { arrow: '->' | '->>'; key: string }[];
}

export type SelectItem =
	| { kind: 'star' }
	| { kind: 'column'; field: Field; alias?: string; cast?: string }
	| {
			kind: 'embed';
			name: string;
			alias?: string;
			hint?: string;
			inner: boolean;
			spread: boolean;
			items: SelectItem[];
	  };

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
	/** Query parameters that name arguments of the rpc being called with GET. */
	rpcArgs: Record<string, string>;
}

const identifierStop = new Set(['.', ',', '(', ')', ':', '!', '"', '*', '-', '>']);

class Scanner {
	pos = 0;
	constructor(readonly text: string) {}
	get done(): boolean {
		return this.pos >= this.text.length;
	}
	peek(n = 0): string {
		return this.text[this.pos + n] ?? '';
	}
	startsWith(s: string): boolean {
		return this.text.startsWith(s, this.pos);
	}
	eat(s: string): boolean {
		if (!this.startsWith(s)) return false;
		this.pos += s.length;
		return true;
	}
	expect(s: string, what: string): void {
		if (!this.eat(s)) throw this.error(`expected ${what}`);
	}
	error(message: string): RestError {
		return parseError(
			`"failed to parse ${this.text.slice(0, 60)}" (${message} at position ${this.pos + 1})`,
			`unexpected ${this.done ? 'end of input' : `"${this.peek()}"`}`
		);
	}
	/** A bare name (stops at PostgREST's punctuation; `-` only when it starts `->`) or a "quoted" one. */
	identifier(): string {
		if (this.eat('"')) {
			let out = '';
			while (!this.done && this.peek() !== '"') {
				if (this.peek() === '\\' && this.peek(1)) this.pos++;
				out += this.peek();
				this.pos++;
			}
			this.expect('"', 'a closing double quote');
			return out;
		}
		const start = this.pos;
		while (!this.done) {
			const c = this.peek();
			if (c === '-' && this.peek(1) !== '>') {
				this.pos++;
				continue;
			}
			if (identifierStop.has(c)) break;
			this.pos++;
		}
		if (this.pos === start) throw this.error('expected a name');
		return this.text.slice(start, this.pos);
	}
	field(): Field {
		const name = this.identifier();
		const path: Field['path'] = [];
		while (this.startsWith('->')) {
			const arrow = this.eat('->>') ? '->>' : (this.eat('->'), '->');
			path.push({ arrow, key: this.identifier() });
		}
		return { name, path };
	}
}

/** Parses `select=` into a tree of columns and embeds. */
export function parseSelect(text: string): SelectItem[] {
	const scanner = new Scanner(text);
	const items = parseSelectItems(scanner);
	if (!scanner.done) throw scanner.error('unexpected text');
	return items;
}

function parseSelectItems(s: Scanner): SelectItem[] {
	const items: SelectItem[] = [];
	do {
		if (s.peek() === ')' || s.done) {
			if (items.length === 0) return items; // `rel()` selects nothing, used to filter
			throw s.error('expected a column');
		}
		items.push(parseSelectItem(s));
	} while (s.eat(','));
	return items;
}

function parseSelectItem(s: Scanner): SelectItem {
	if (s.eat('*')) return { kind: 'star' };
	const spread = s.eat('...');
	const start = s.pos;
	let alias: string | undefined;
	const first = s.identifier();
	let name = first;
	if (s.peek() === ':' && s.peek(1) !== ':') {
		s.pos++;
		alias = first;
		name = s.identifier();
	}
	if (s.peek() === '!' || s.peek() === '(') {
		let hint: string | undefined;
		let inner = false;
		while (s.eat('!')) {
			const word = s.identifier();
			if (word === 'inner') inner = true;
			else if (word !== 'left') hint = word;
		}
		if (name === 'count' && s.startsWith('()')) {
			throw new RestError(400, 'PGRST123', 'Use of aggregate functions is not allowed');
		}
		s.expect('(', 'an opening parenthesis');
		const items = parseSelectItems(s);
		s.expect(')', 'a closing parenthesis');
		return { kind: 'embed', name, alias, hint, inner, spread, items };
	}
	if (spread) throw s.error('a spread needs an embedded resource');
	// Re-read the name as a field so a JSON path after it is parsed too.
	s.pos = start;
	if (alias !== undefined) {
		s.identifier();
		s.expect(':', 'a colon');
	}
	const field = s.field();
	if (s.peek() === '.' && /^\.[a-z_]+\(\)/.test(s.text.slice(s.pos))) {
		throw new RestError(400, 'PGRST123', 'Use of aggregate functions is not allowed');
	}
	let cast: string | undefined;
	if (s.eat('::')) {
		const start = s.pos;
		while (!s.done && /[A-Za-z0-9_]/.test(s.peek())) s.pos++;
		cast = s.text.slice(start, s.pos);
		if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(cast)) throw s.error('expected a type name');
	}
	return { kind: 'column', field, alias, cast };
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
			query.rpcArgs[key] = value;
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

/** Prefer header tokens PostgREST understands. */
export interface Preferences {
	return?: 'representation' | 'minimal' | 'headers-only';
	count?: 'exact' | 'planned' | 'estimated';
	resolution?: 'merge-duplicates' | 'ignore-duplicates';
	missing?: 'default' | 'null';
	tx?: 'commit' | 'rollback';
	handling?: 'strict' | 'lenient';
	maxAffected?: number;
	/** Tokens as they were applied, for the Preference-Applied header. */
	applied: string[];
}

const preferenceValues: Record<string, string[]> = {
	return: ['representation', 'minimal', 'headers-only'],
	count: ['exact', 'planned', 'estimated'],
	resolution: ['merge-duplicates', 'ignore-duplicates'],
	missing: ['default', 'null'],
	tx: ['commit', 'rollback'],
	handling: ['strict', 'lenient']
};

/** Parses Prefer headers: comma-separated, first occurrence of a key wins. */
export function parsePrefer(header: string | null): Preferences {
	const prefs: Preferences = { applied: [] };
	const invalid: string[] = [];
	const seen = new Set<string>();
	for (const token of (header ?? '')
		.split(',')
		.map((t) => t.trim())
		.filter(Boolean)) {
		const [key, value = ''] = token.split('=').map((t) => t.trim());
		if (seen.has(key)) continue;
		if (key === 'max-affected' && /^\d+$/.test(value)) {
			seen.add(key);
			prefs.maxAffected = Number(value);
		} else if (key === 'timezone') {
			seen.add(key);
			unsupportedTimezone(value);
		} else if (preferenceValues[key]?.includes(value)) {
			seen.add(key);
			(prefs as unknown as Record<string, string>)[key] = value;
			prefs.applied.push(`${key}=${value}`);
		} else invalid.push(token);
	}
	if (prefs.handling === 'strict' && invalid.length) {
		throw new RestError(
			400,
			'PGRST122',
			'Invalid preferences given with handling=strict',
			`Invalid preferences: ${invalid.join(', ')}`
		);
	}
	return prefs;
}

function unsupportedTimezone(value: string): void {
	if (value) throw unsupported('The Prefer timezone option');
}

/** Parses a `Range: 0-19` header into offset and limit. */
export function parseRangeHeader(
	header: string | null
): { offset: number; limit?: number } | undefined {
	if (!header) return undefined;
	const match = /^(?:items=)?(\d+)-(\d*)$/.exec(header.trim());
	if (!match) return undefined;
	const offset = Number(match[1]);
	if (match[2] === '') return { offset };
	const upper = Number(match[2]);
	if (upper < offset)
		throw new RestError(
			416,
			'PGRST103',
			'Requested range not satisfiable',
			`The lower boundary must be lower than or equal to the upper boundary in the Range header.`
		);
	return { offset, limit: upper - offset + 1 };
}
