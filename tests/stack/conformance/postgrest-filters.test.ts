import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Tables and Views" → "Horizontal Filtering": every operator supabase-js emits.
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
});
afterAll(() => c?.close());

const ids = (rows: { id: number }[] | null) =>
	(rows ?? []).map((row) => row.id).sort((a, b) => a - b);

describe('horizontal filtering: comparison operators', () => {
	it('eq, neq, gt, gte, lt, lte compare with =, <>, >, >=, <, <=', async () => {
		const films = () => c.db.from('films').select('id');
		expect(ids((await films().eq('year', 2009)).data)).toEqual([4]);
		expect(ids((await films().neq('language', 'fr')).data)).toEqual([3, 4]);
		expect(ids((await films().gt('year', 2008)).data)).toEqual([3, 4]);
		expect(ids((await films().gte('year', 2008)).data)).toEqual([1, 3, 4]);
		expect(ids((await films().lt('year', 1985)).data)).toEqual([2]);
		expect(ids((await films().lte('year', 1985)).data)).toEqual([2, 5]);
	});

	it('neq excludes NULLs, as SQL <> does', async () => {
		const { data } = await c.db.from('films').select('id').neq('rating', 7.8);
		expect(ids(data)).toEqual([1, 3]);
	});

	it('like and ilike match patterns, with * standing for %', async () => {
		expect(ids((await c.db.from('films').select('id').like('title', '%other')).data)).toEqual([4]);
		expect(ids((await c.db.from('films').select('id').like('title', '*arasit*')).data)).toEqual([
			3
		]);
		expect(ids((await c.db.from('films').select('id').ilike('title', 'HOME')).data)).toEqual([1]);
	});

	it('likeAllOf and likeAnyOf use like(all) and like(any)', async () => {
		const all = await c.db.from('films').select('id').likeAllOf('title', ['%o%', '%e%']);
		expect(ids(all.data)).toEqual([1, 4]);
		const any = await c.db.from('films').select('id').ilikeAnyOf('title', ['par%', 'vag%']);
		expect(ids(any.data)).toEqual([3, 5]);
	});

	it('match and imatch are POSIX regular expressions (~ and ~*)', async () => {
		expect(ids((await c.db.from('films').select('id').regexMatch('title', '^M')).data)).toEqual([
			4
		]);
		expect(ids((await c.db.from('films').select('id').regexIMatch('title', '^p')).data)).toEqual([
			3
		]);
	});

	it('in matches any listed value, quoted values may hold commas', async () => {
		expect(ids((await c.db.from('films').select('id').in('id', [1, 3, 9])).data)).toEqual([1, 3]);
		const quoted = await c.db
			.from('directors')
			.select('id')
			.in('last_name', ['Varda', 'Joon-ho', 'a,b']);
		expect(ids(quoted.data)).toEqual([2, 3]);
		expect((await c.db.from('films').select('id').in('id', [])).data).toEqual([]);
	});

	it('is checks null, true, false and unknown exactly', async () => {
		expect(ids((await c.db.from('films').select('id').is('rating', null)).data)).toEqual([5]);
		expect(ids((await c.db.from('films').select('id').not('rating', 'is', null)).data)).toEqual([
			1, 2, 3, 4
		]);
		const tasks = await c.db.from('tasks').select('id').is('done', false);
		expect(tasks.data).toHaveLength(3);
	});

	it('isdistinct treats NULL as a comparable value', async () => {
		const { data } = await c.db.from('films').select('id').isDistinct('rating', 7.8);
		expect(ids(data)).toEqual([1, 3, 5]);
	});
});

describe('horizontal filtering: full-text search', () => {
	it('fts, plfts, phfts and wfts use to_tsquery, plainto_, phraseto_ and websearch_to_tsquery', async () => {
		const search = (query: string, type?: 'plain' | 'phrase' | 'websearch') =>
			c.db.from('films').select('id').textSearch('summary', query, { config: 'english', type });
		expect(ids((await search('family & wealthy')).data)).toEqual([3]);
		expect(ids((await search('family', 'plain')).data)).toEqual([1, 3]);
		expect(ids((await search('poor family', 'phrase')).data)).toEqual([3]);
		expect(ids((await search('family -wealthy', 'websearch')).data)).toEqual([1]);
	});

	it('fts without a configuration uses the default one', async () => {
		const { data, error } = await c.db.from('films').select('id').textSearch('summary', 'motorway');
		expect(error).toBeNull();
		expect(ids(data)).toEqual([1]);
	});
});

describe('horizontal filtering: arrays, JSON and ranges', () => {
	it('cs and cd are @> and <@ on arrays', async () => {
		expect(ids((await c.db.from('films').select('id').contains('tags', ['drama'])).data)).toEqual([
			1, 2, 3
		]);
		const within = await c.db.from('films').select('id').containedBy('tags', ['drama', 'road']);
		expect(ids(within.data)).toEqual([1, 2, 5]);
	});

	it('cs on jsonb compares JSON containment', async () => {
		const { data } = await c.db.from('films').select('id').contains('meta', { lang: 'ko' });
		expect(ids(data)).toEqual([3]);
	});

	it('ov is && (overlap) on arrays and ranges', async () => {
		expect(
			ids((await c.db.from('films').select('id').overlaps('tags', ['road', 'thriller'])).data)
		).toEqual([1, 3, 4]);
		expect(
			ids((await c.db.from('films').select('id').overlaps('showing', '[2009,2010)')).data)
		).toEqual([1, 4]);
	});

	it('sl and sr are << and >> (strictly left of, strictly right of)', async () => {
		expect(
			ids((await c.db.from('films').select('id').rangeLt('showing', '[2009,2020)')).data)
		).toEqual([2]);
		expect(
			ids((await c.db.from('films').select('id').rangeGt('showing', '[1962,2009)')).data)
		).toEqual([3, 4]);
	});

	it('nxr is &< (does not extend to the right of), as rangeLte emits it', async () => {
		const { data } = await c.db.from('films').select('id').rangeLte('showing', '[2000,2010)');
		expect(ids(data)).toEqual([1, 2, 4]);
	});

	it('nxl is &> (does not extend to the left of), as rangeGte emits it', async () => {
		const { data } = await c.db.from('films').select('id').rangeGte('showing', '[2009,2030)');
		expect(ids(data)).toEqual([3, 4]);
	});

	it('adj is -|- (adjacent to)', async () => {
		const { data } = await c.db.from('films').select('id').rangeAdjacent('showing', '[2010,2012)');
		expect(ids(data)).toEqual([1, 4]);
	});
});

describe('horizontal filtering: logical operators', () => {
	it('not negates any operator', async () => {
		expect(ids((await c.db.from('films').select('id').not('id', 'in', '(1,2,3)')).data)).toEqual([
			4, 5
		]);
		expect(ids((await c.db.from('films').select('id').not('title', 'like', '*o*')).data)).toEqual([
			3
		]);
	});

	it('or combines conditions, and nests and(...) and not.and(...)', async () => {
		const either = await c.db.from('films').select('id').or('year.lt.1970,rating.gte.8');
		expect(ids(either.data)).toEqual([2, 3]);
		const nested = await c.db
			.from('films')
			.select('id')
			.or('and(language.eq.ko,year.lt.2010),id.eq.5');
		expect(ids(nested.data)).toEqual([4, 5]);
		const negated = await c.rest('/films?select=id&not.and=(language.eq.fr,year.gt.1970)');
		expect(ids(await negated.json())).toEqual([2, 3, 4]);
	});

	it('or accepts quoted values and in-lists inside the tree', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id')
			.or('last_name.in.("Varda","Meier"),first_name.eq."Bong"');
		expect(ids(data)).toEqual([1, 2, 3]);
	});

	it('match() sends one eq filter per key, all ANDed', async () => {
		const { data } = await c.db.from('films').select('id').match({ language: 'fr', year: 1985 });
		expect(ids(data)).toEqual([5]);
	});

	it('filter() passes an operator through unchanged', async () => {
		const { data } = await c.db.from('films').select('id').filter('tags', 'cs', '{road}');
		expect(ids(data)).toEqual([1]);
	});

	it('an unknown operator is a 400 PGRST100 parse error', async () => {
		const result = await c.db.from('films').select('id').filter('id', 'between', '1');
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('PGRST100');
	});
});
