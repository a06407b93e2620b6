import { parseError } from './errors.ts';

/** A column with an optional JSON path: `meta->a->>b`. */
export interface Field {
	name: string;
	path: { arrow: '->' | '->>'; key: string }[];
}

export const aggregateFunctions = ['sum', 'avg', 'min', 'max', 'count'] as const;
export type AggregateFunction = (typeof aggregateFunctions)[number];

export type SelectItem =
	| { kind: 'star' }
	| {
			kind: 'column';
			field: Field;
			alias?: string;
			cast?: string;
			/** `amount.sum()`: the aggregate applied to the (cast) column, and the cast of its result. */
			aggregate?: { fn: AggregateFunction; cast?: string };
	  }
	/** `count()` on its own: the number of rows (of each group). */
	| { kind: 'count'; alias?: string; cast?: string }
	| {
			kind: 'embed';
			name: string;
			alias?: string;
			hint?: string;
			inner: boolean;
			spread: boolean;
			items: SelectItem[];
	  };

const identifierStop = new Set(['.', ',', '(', ')', ':', '!', '"', '*', '-', '>']);

/** Reads PostgREST's query grammar one token at a time. */
export class Scanner {
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
	error(message: string) {
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
	/** `::type` after a column or an aggregate, if present. */
	cast(): string | undefined {
		if (!this.eat('::')) return undefined;
		const start = this.pos;
		while (!this.done && /[A-Za-z0-9_]/.test(this.peek())) this.pos++;
		const cast = this.text.slice(start, this.pos);
		if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(cast)) throw this.error('expected a type name');
		return cast;
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
	if (name === 'count' && !spread && s.startsWith('()')) {
		s.pos += 2;
		return { kind: 'count', alias, cast: s.cast() };
	}
	if (s.peek() === '!' || s.peek() === '(') {
		let hint: string | undefined;
		let inner = false;
		while (s.eat('!')) {
			const word = s.identifier();
			if (word === 'inner') inner = true;
			else if (word !== 'left') hint = word;
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
	const cast = s.cast();
	const aggregate = /^\.([a-z]+)\(\)/.exec(s.text.slice(s.pos));
	if (!aggregate) return { kind: 'column', field, alias, cast };
	const fn = aggregateFunctions.find((f) => f === aggregate[1]);
	if (!fn) throw s.error(`unknown aggregate function "${aggregate[1]}"`);
	s.pos += aggregate[0].length;
	return { kind: 'column', field, alias, cast, aggregate: { fn, cast: s.cast() } };
}
