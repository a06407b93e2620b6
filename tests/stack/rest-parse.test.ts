import { describe, expect, it } from 'vitest';
import { parseLogic, parseOrder, parseQuery } from '../../supabase/local/rest/parse.ts';
import { parsePrefer, parseRangeHeader } from '../../supabase/local/rest/prefer.ts';
import { parseSelect } from '../../supabase/local/rest/parse-select.ts';
import { RestError } from '../../supabase/local/rest/errors.ts';

function codeOf(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (error) {
		return error instanceof RestError ? error.code : 'not a RestError';
	}
	return undefined;
}

describe('REST query parsing', () => {
	it('reads columns, aliases, casts and JSON paths', () => {
		expect(parseSelect('id,label:title,created_at::text,meta->a->>b,"odd, name"')).toEqual([
			{ kind: 'column', field: { name: 'id', path: [] }, alias: undefined, cast: undefined },
			{ kind: 'column', field: { name: 'title', path: [] }, alias: 'label', cast: undefined },
			{ kind: 'column', field: { name: 'created_at', path: [] }, alias: undefined, cast: 'text' },
			{
				kind: 'column',
				field: {
					name: 'meta',
					path: [
						{ arrow: '->', key: 'a' },
						{ arrow: '->>', key: 'b' }
					]
				},
				alias: undefined,
				cast: undefined
			},
			{ kind: 'column', field: { name: 'odd, name', path: [] }, alias: undefined, cast: undefined }
		]);
	});

	it('reads nested embeds with aliases, hints, !inner and spreads', () => {
		const [, embed, spread] = parseSelect(
			'id,author:profiles!messages_author_id_fkey!inner(id,org:orgs(name)),...channels(name)'
		);
		expect(embed).toMatchObject({
			kind: 'embed',
			name: 'profiles',
			alias: 'author',
			hint: 'messages_author_id_fkey',
			inner: true,
			spread: false
		});
		expect(embed.kind === 'embed' && embed.items[1]).toMatchObject({
			kind: 'embed',
			name: 'orgs',
			alias: 'org'
		});
		expect(spread).toMatchObject({ kind: 'embed', name: 'channels', spread: true });
		expect(parseSelect('id,books()')[1]).toMatchObject({ kind: 'embed', name: 'books', items: [] });
	});

	it('refuses malformed selects and reads aggregates', () => {
		expect(codeOf(() => parseSelect('id,(x)'))).toBe('PGRST100');
		expect(codeOf(() => parseSelect('books(id'))).toBe('PGRST100');
		expect(codeOf(() => parseSelect('id::text;drop'))).toBe('PGRST100');
		expect(codeOf(() => parseSelect('amount.median()'))).toBe('PGRST100');
		// Aggregates parse; whether they are allowed is the planner's call (db-aggregates-enabled).
		expect(parseSelect('total:amount.sum()::int,count()')).toEqual([
			{
				kind: 'column',
				field: { name: 'amount', path: [] },
				alias: 'total',
				cast: undefined,
				aggregate: { fn: 'sum', cast: 'int' }
			},
			{ kind: 'count', alias: undefined, cast: undefined }
		]);
	});

	it('reads in-lists with quoted values and escapes', () => {
		const query = parseQuery(
			new URLSearchParams({ name: 'in.("a,b",plain,"say \\"hi\\"","back\\\\slash")' })
		);
		expect(query.filters[0].value).toMatchObject({
			op: 'in',
			value: ['a,b', 'plain', 'say "hi"', 'back\\slash']
		});
	});

	it('reads nested logic trees with negation and quoted values', () => {
		const logic = parseLogic(
			'or',
			false,
			'(a.eq.1,and(b.gt.2,not.or(c.is.null,d.in.(1,2))),e.eq."x,y)")'
		);
		expect(logic.children).toHaveLength(3);
		expect(logic.children[1]).toMatchObject({
			kind: 'logic',
			op: 'and',
			children: [{}, { kind: 'logic', op: 'or', negate: true }]
		});
		expect(logic.children[2]).toMatchObject({ kind: 'condition', op: 'eq', value: 'x,y)' });
	});

	it('keys filters, order and limits by embed path', () => {
		const query = parseQuery(
			new URLSearchParams([
				['books.year', 'gt.1970'],
				['books.order', 'year.desc.nullslast'],
				['books.limit', '2'],
				['not.or', '(a.eq.1)'],
				['books.or', '(id.eq.1)']
			])
		);
		expect(query.filters.map((f) => f.path)).toEqual([['books'], [], ['books']]);
		expect(query.filters[1].value).toMatchObject({ kind: 'logic', negate: true });
		expect(query.order).toEqual([
			{
				path: ['books'],
				value: [
					{
						field: { name: 'year', path: [] },
						direction: 'desc',
						nulls: 'last',
						relation: undefined
					}
				]
			}
		]);
		expect(query.limit).toEqual([{ path: ['books'], value: 2 }]);
		expect(codeOf(() => parseQuery(new URLSearchParams({ limit: '-1' })))).toBe('PGRST100');
		expect(codeOf(() => parseQuery(new URLSearchParams({ id: 'between.1' })))).toBe('PGRST100');
	});

	it('reads order terms, including by a to-one embed column', () => {
		expect(parseOrder('a,b.desc,authors(name).asc.nullsfirst')).toEqual([
			{ field: { name: 'a', path: [] }, relation: undefined },
			{ field: { name: 'b', path: [] }, direction: 'desc', relation: undefined },
			{ field: { name: 'name', path: [] }, direction: 'asc', nulls: 'first', relation: 'authors' }
		]);
	});

	it('reads Prefer with the first occurrence of a key winning, strict handling refusing unknown tokens', () => {
		const prefs = parsePrefer(
			'return=representation, count=exact,return=minimal, resolution=merge-duplicates,  bogus=1'
		);
		expect(prefs).toMatchObject({
			return: 'representation',
			count: 'exact',
			resolution: 'merge-duplicates'
		});
		expect(codeOf(() => parsePrefer('handling=strict, bogus=1'))).toBe('PGRST122');
		expect(parsePrefer('handling=strict, max-affected=5').maxAffected).toBe(5);
	});

	it('reads a Range header and ignores a malformed one', () => {
		expect(parseRangeHeader('0-19')).toEqual({ offset: 0, limit: 20 });
		expect(parseRangeHeader('5-')).toEqual({ offset: 5 });
		expect(parseRangeHeader('0-1; drop table x')).toBeUndefined();
	});
});
