import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Tables and Views": vertical filtering, renaming, casting, JSON columns,
// computed fields, ordering, limits and pagination, and "Counting" / max-rows.
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
});
afterAll(() => c?.close());

describe('vertical filtering, renaming and casting', () => {
	it('select picks columns in the order asked', async () => {
		const { data } = await c.db.from('films').select('year,title').eq('id', 1).single();
		expect(Object.keys(data!)).toEqual(['year', 'title']);
		expect(data).toEqual({ year: 2008, title: 'Home' });
	});

	it('alias:column renames a column in the output', async () => {
		const { data } = await c.db.from('films').select('name:title').eq('id', 3).single();
		expect(data).toEqual({ name: 'Parasite' });
	});

	it('column::type casts the value', async () => {
		const { data } = await c.db.from('films').select('year::text,rating::int').eq('id', 3).single();
		expect(data).toEqual({ year: '2019', rating: 9 });
	});

	it('an unknown column is 400 42703', async () => {
		const result = await c.db.from('films').select('id,nope');
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('42703');
	});
});

describe('JSON columns', () => {
	it('-> keeps JSON, ->> gives text, and the output key is the last path segment', async () => {
		const { data } = await c.db
			.from('films')
			.select('meta->runtime,meta->>lang,minutes:meta->runtime->minutes')
			.eq('id', 3)
			.single();
		expect(data).toEqual({ runtime: { minutes: 132 }, lang: 'ko', minutes: 132 });
	});

	it('filters and orders by a JSON path', async () => {
		const { data } = await c.db
			.from('films')
			.select('id')
			.eq('meta->>lang', 'fr')
			.order('meta->runtime->minutes', { ascending: false, nullsFirst: false });
		expect(data).toEqual([{ id: 1 }, { id: 2 }, { id: 5 }]);
	});
});

describe('computed fields', () => {
	it('a function taking the row type is selectable like a column, and * leaves it out', async () => {
		const { data, error } = await c.db
			.from('directors')
			.select('id,full_name')
			.eq('id', 2)
			.single();
		expect(error).toBeNull();
		expect(data).toEqual({ id: 2, full_name: 'Agnès Varda' });
		const star = await c.db.from('directors').select('*').eq('id', 2).single();
		expect(star.data).not.toHaveProperty('full_name');
	});

	it('computed fields filter and order like columns', async () => {
		const { data } = await c.db
			.from('directors')
			.select('full_name')
			.like('full_name', '*o*')
			.order('full_name', { ascending: false });
		expect(data).toEqual([{ full_name: 'Idle Person' }, { full_name: 'Bong Joon-ho' }]);
	});

	it('computed fields work inside embeds and can be renamed and cast', async () => {
		const { data, error } = await c.db
			.from('films')
			.select('title,directors(name:full_name),years:age::text')
			.eq('id', 3)
			.single();
		expect(error).toBeNull();
		expect(data).toEqual({ title: 'Parasite', directors: { name: 'Bong Joon-ho' }, years: '6' });
	});
});

describe('ordering', () => {
	it('orders by several columns, nulls last by default in ascending order', async () => {
		const { data } = await c.db
			.from('films')
			.select('id')
			.order('rating', { ascending: true })
			.order('id', { ascending: false });
		expect(data).toEqual([{ id: 1 }, { id: 4 }, { id: 2 }, { id: 3 }, { id: 5 }]);
	});

	it('nullsfirst puts NULLs first, desc puts them first unless nullslast', async () => {
		const first = await c.db
			.from('films')
			.select('id')
			.order('rating', { nullsFirst: true })
			.limit(1);
		expect(first.data).toEqual([{ id: 5 }]);
		const desc = await c.db
			.from('films')
			.select('id')
			.order('rating', { ascending: false })
			.limit(1);
		expect(desc.data).toEqual([{ id: 5 }]);
		const descLast = await c.db
			.from('films')
			.select('id')
			.order('rating', { ascending: false, nullsFirst: false })
			.limit(1);
		expect(descLast.data).toEqual([{ id: 3 }]);
	});

	it('orders the rows of a to-many embed with <embed>.order', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films(title)')
			.eq('id', 2)
			.order('year', { referencedTable: 'films', ascending: false })
			.single();
		expect(data!.films).toEqual([{ title: 'Vagabond' }, { title: 'Cléo from 5 to 7' }]);
	});

	it('orders parents by a column of a to-one embed', async () => {
		const response = await c.rest(
			'/films?select=id,directors(last_name)&order=directors(last_name).desc,id.asc'
		);
		const rows = (await response.json()) as { id: number }[];
		expect(rows.map((row) => row.id)).toEqual([2, 5, 1, 3, 4]);
	});
});

describe('limits and pagination', () => {
	it('limit and offset page the rows; range(a, b) is offset a, limit b-a+1', async () => {
		const limited = await c.db.from('films').select('id').order('id').limit(2);
		expect(limited.data).toEqual([{ id: 1 }, { id: 2 }]);
		const ranged = await c.db.from('films').select('id').order('id').range(2, 3);
		expect(ranged.data).toEqual([{ id: 3 }, { id: 4 }]);
	});

	it('the Range header pages too, when no limit or offset is given', async () => {
		const response = await c.rest('/films?select=id&order=id', { headers: { range: '1-2' } });
		expect(await response.json()).toEqual([{ id: 2 }, { id: 3 }]);
		expect(response.headers.get('content-range')).toBe('1-2/*');
	});

	it('limit and offset apply inside an embed', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films(id)')
			.eq('id', 3)
			.order('id', { referencedTable: 'films' })
			.range(1, 1, { referencedTable: 'films' })
			.single();
		expect(data!.films).toEqual([{ id: 4 }]);
	});

	it('max_rows of config.toml caps every read, even one asking for more', async () => {
		const all = await c.db.from('numbers').select('value');
		expect(all.data).toHaveLength(100);
		const more = await c.db.from('numbers').select('value').limit(120);
		expect(more.data).toHaveLength(100);
		const fewer = await c.db.from('numbers').select('value').limit(5);
		expect(fewer.data).toHaveLength(5);
	});
});

describe('counting', () => {
	it('count=exact gives the total in Content-Range; a partial page answers 206', async () => {
		const result = await c.db
			.from('films')
			.select('id', { count: 'exact' })
			.order('id')
			.range(0, 1);
		expect(result.status).toBe(206);
		expect(result.count).toBe(5);
		const response = await c.rest('/films?select=id&limit=2', {
			headers: { prefer: 'count=exact' }
		});
		expect(response.headers.get('content-range')).toBe('0-1/5');
	});

	it('a page holding every row answers 200 with L-U/total', async () => {
		const response = await c.rest('/films?select=id', { headers: { prefer: 'count=exact' } });
		expect(response.status).toBe(200);
		expect(response.headers.get('content-range')).toBe('0-4/5');
	});

	it('without a count the total is *', async () => {
		const response = await c.rest('/films?select=id&limit=2');
		expect(response.status).toBe(200);
		expect(response.headers.get('content-range')).toBe('0-1/*');
	});

	it('max_rows makes an unbounded read partial: 206 with the exact total', async () => {
		const result = await c.db.from('numbers').select('value', { count: 'exact' });
		expect(result.status).toBe(206);
		expect(result.count).toBe(150);
		expect(result.data).toHaveLength(100);
	});

	it('HEAD answers the same status and Content-Range as GET, without a body', async () => {
		const head = await c.db.from('films').select('*', { count: 'exact', head: true }).lt('id', 3);
		expect(head.status).toBe(200);
		expect(head.count).toBe(2);
		expect(head.data).toBeNull();
		const response = await c.rest('/films?select=id&limit=1', {
			method: 'HEAD',
			headers: { prefer: 'count=exact' }
		});
		expect(response.status).toBe(206);
		expect(response.headers.get('content-range')).toBe('0-0/5');
		expect(await response.text()).toBe('');
	});

	it('an offset past the total is 416 PGRST103', async () => {
		const result = await c.db.from('films').select('id', { count: 'exact' }).range(10, 12);
		expect(result.status).toBe(416);
		expect(result.error).toMatchObject({
			code: 'PGRST103',
			details: 'An offset of 10 was requested, but there are only 5 rows.'
		});
	});

	it('count=planned is the planner estimate (EXPLAIN), not the exact count', async () => {
		// No row matches, yet the planner never estimates fewer than one row.
		const planned = await c.db
			.from('numbers')
			.select('*', { count: 'planned', head: true })
			.lt('value', 0);
		expect(planned.count).toBe(1);
		// One estimated row and none returned: a partial response, as PostgREST answers it.
		expect(planned.status).toBe(206);
		const exact = await c.db
			.from('numbers')
			.select('*', { count: 'exact', head: true })
			.lt('value', 0);
		expect(exact.count).toBe(0);
		expect(exact.status).toBe(200);
	});

	it('count=estimated is exact up to max_rows, and beyond it the larger of exact and planned', async () => {
		const small = await c.db
			.from('numbers')
			.select('*', { count: 'estimated', head: true })
			.lte('value', 50);
		expect(small.count).toBe(50);
		const planned = await c.db.from('numbers').select('*', { count: 'planned', head: true });
		const estimated = await c.db.from('numbers').select('*', { count: 'estimated', head: true });
		expect(estimated.count).toBe(Math.max(150, planned.count!));
		expect(estimated.status).toBe(206);
	});
});
