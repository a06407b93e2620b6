import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Functions as RPC": calling with POST and GET, scalar, set- and table-returning
// functions, filters and embeds on results, counts, variadic parameters, max-affected.
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
});
afterAll(() => c?.close());

describe('calling functions', () => {
	it('POST passes a JSON object of named arguments; a scalar answers its bare value', async () => {
		const { data, status } = await c.db.rpc('add_them', { a: 1, b: 2 });
		expect(status).toBe(200);
		expect(data).toBe(3);
	});

	it('GET passes the arguments as query parameters', async () => {
		const { data } = await c.db.rpc('add_them', { a: 40, b: 2 }, { get: true });
		expect(data).toBe(42);
		const response = await c.rest('/rpc/add_them?a=1&b=1');
		expect(await response.json()).toBe(2);
	});

	it('a function returning one row answers an object, not an array', async () => {
		const { data } = await c.db.rpc('top_film').select('title');
		expect(data).toEqual({ title: 'Parasite' });
	});

	it('a set-returning function answers an array that filters, orders, pages and selects', async () => {
		const { data } = await c.db
			.rpc('films_from', { since: 2000 })
			.select('title')
			.neq('language', 'fr')
			.order('year', { ascending: false })
			.limit(1);
		expect(data).toEqual([{ title: 'Parasite' }]);
	});

	it('the results of a function returning a table type embed related rows', async () => {
		const { data } = await c.db
			.rpc('films_from', { since: 2019 })
			.select('title,directors(last_name)');
		expect(data).toEqual([{ title: 'Parasite', directors: { last_name: 'Joon-ho' } }]);
	});

	it('RETURNS TABLE columns are the result columns', async () => {
		const { data } = await c.db.rpc('film_titles').select('title').gte('year', 2009);
		expect(data).toEqual([{ title: 'Parasite' }, { title: 'Mother' }]);
	});

	it('a VARIADIC parameter takes an array in POST, repeated parameters in GET', async () => {
		expect((await c.db.rpc('sum_of', { v: [1, 2, 3] })).data).toBe(6);
		const response = await c.rest('/rpc/sum_of?v=4&v=5');
		expect(await response.json()).toBe(9);
		const single = await c.rest('/rpc/sum_of?v=7');
		expect(await single.json()).toBe(7);
	});

	it('a void function answers 204 with no body', async () => {
		const result = await c.db.rpc('reset_tasks');
		expect(result.status).toBe(204);
		expect(result.data).toBeNull();
	});

	it('an unknown function or argument set is 404 PGRST202', async () => {
		const result = await c.db.rpc('add_them', { a: 1, c: 2 });
		expect(result.status).toBe(404);
		expect(result.error?.code).toBe('PGRST202');
	});

	it('unqualified names resolve through config.toml extra_search_path', async () => {
		const { data, error } = await c.db.rpc('shout_title', { film_id: 3 });
		expect(error).toBeNull();
		expect(data).toBe('PARASITE!');
		const path = await c.db.rpc('request_search_path');
		expect(path.data).toBe('"public", "extensions", "shared"');
	});
});

describe('counting on rpc', () => {
	it('a single value counts as one row: Content-Range 0-0/1', async () => {
		const result = await c.db.rpc('add_them', { a: 1, b: 2 }, { count: 'exact' });
		expect(result.count).toBe(1);
		const response = await c.rest('/rpc/add_them?a=1&b=2', { headers: { prefer: 'count=exact' } });
		expect(response.headers.get('content-range')).toBe('0-0/1');
		const uncounted = await c.rest('/rpc/add_them?a=1&b=2');
		expect(uncounted.headers.get('content-range')).toBe('0-0/*');
	});

	it('a set-returning function counts its rows, 206 for a partial page', async () => {
		const result = await c.db.rpc('films_from', { since: 1900 }, { count: 'exact' }).range(0, 1);
		expect(result.status).toBe(206);
		expect(result.count).toBe(5);
		expect(result.data).toHaveLength(2);
	});

	it('HEAD on a function answers the count without a body', async () => {
		const result = await c.db.rpc('films_from', { since: 2000 }, { head: true, count: 'exact' });
		expect(result.status).toBe(200);
		expect(result.count).toBe(3);
		expect(result.data).toBeNull();
	});
});

describe('max-affected on rpc', () => {
	it('a function returning more rows than max-affected is refused and rolled back', async () => {
		await c.db.rpc('reset_tasks');
		const result = await c.db.rpc('close_tasks', { below: 3 }).maxAffected(1);
		expect(result.status).toBe(400);
		expect(result.error).toMatchObject({ code: 'PGRST124', details: 'The query affects 2 rows' });
		const { data } = await c.db.from('tasks').select('title').eq('done', true);
		expect(data).toEqual([]);
	});

	it('within the limit the function commits', async () => {
		await c.db.rpc('reset_tasks');
		const result = await c.db.rpc('close_tasks', { below: 2 }).maxAffected(1).select('title');
		expect(result.error).toBeNull();
		expect(result.data).toEqual([{ title: 'write' }]);
		const { data } = await c.db.from('tasks').select('title').eq('done', true);
		expect(data).toEqual([{ title: 'write' }]);
	});

	it('a volatile function runs once per request, even with a count', async () => {
		const before = (await c.db.from('audit').select('id', { count: 'exact', head: true })).count!;
		const result = await c.db.rpc('log_note', { note: 'once' }, { count: 'exact' });
		expect(result.count).toBe(1);
		const after = (await c.db.from('audit').select('id', { count: 'exact', head: true })).count!;
		expect(after - before).toBe(1);
	});
});
