import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Resource Embedding": relationships, disambiguation, inner joins, spreads,
// embedded filters and counts.
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
});
afterAll(() => c?.close());

describe('relationships', () => {
	it('many-to-one embeds an object', async () => {
		const { data } = await c.db
			.from('films')
			.select('title,directors(last_name)')
			.eq('id', 2)
			.single();
		expect(data).toEqual({ title: 'Cléo from 5 to 7', directors: { last_name: 'Varda' } });
	});

	it('one-to-many embeds an array, empty when no row relates', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films(id)')
			.in('id', [3, 4])
			.order('id')
			.order('id', { referencedTable: 'films' });
		expect(data).toEqual([
			{ id: 3, films: [{ id: 3 }, { id: 4 }] },
			{ id: 4, films: [] }
		]);
	});

	it('one-to-one embeds an object or null', async () => {
		const { data } = await c.db
			.from('films')
			.select('id,film_details(budget)')
			.in('id', [1, 2])
			.order('id');
		expect(data).toEqual([
			{ id: 1, film_details: { budget: 3000000 } },
			{ id: 2, film_details: null }
		]);
	});

	it('many-to-many embeds through a junction table whose key holds both foreign keys', async () => {
		const { data } = await c.db.from('films').select('title,actors(name)').eq('id', 3).single();
		expect(data).toEqual({ title: 'Parasite', actors: [{ name: 'Song Kang-ho' }] });
	});

	it('embeds nest, and an alias renames the embed', async () => {
		const { data } = await c.db
			.from('nominations')
			.select('rank,film:films!film_id(title,director:directors(last_name))')
			.eq('id', 1)
			.single();
		expect(data).toEqual({
			rank: 1,
			film: { title: 'Parasite', director: { last_name: 'Joon-ho' } }
		});
	});

	it('views embed through the foreign keys of the tables they show', async () => {
		const { data } = await c.db
			.from('films')
			.select('id,director_names(full_name)')
			.eq('id', 1)
			.single();
		expect(data).toEqual({ id: 1, director_names: { full_name: 'Ursula Meier' } });
	});

	it('no relationship is 400 PGRST200', async () => {
		const result = await c.db.from('films').select('id,competitions(name)');
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('PGRST200');
	});
});

describe('disambiguation', () => {
	it('two foreign keys to the same table answer 300 PGRST201 with the candidates', async () => {
		const result = await c.db.from('films').select('id,nominations(rank)');
		expect(result.status).toBe(300);
		expect(result.error?.code).toBe('PGRST201');
		expect(result.error?.hint).toContain("'nominations!nominations_film_id_fkey'");
		expect(result.error?.hint).toContain("'nominations!nominations_runner_up_id_fkey'");
	});

	it('a foreign key constraint name as hint picks the relationship', async () => {
		const { data } = await c.db
			.from('films')
			.select('id,nominations!nominations_runner_up_id_fkey(rank)')
			.eq('id', 4)
			.single();
		expect(data).toEqual({ id: 4, nominations: [{ rank: 1 }] });
	});

	it('a foreign key column name as hint picks the relationship', async () => {
		const { data } = await c.db
			.from('films')
			.select('id,nominations!film_id(rank)')
			.eq('id', 4)
			.single();
		expect(data).toEqual({ id: 4, nominations: [{ rank: 2 }] });
	});

	it('the foreign key column itself names the embed', async () => {
		const { data } = await c.db
			.from('nominations')
			.select('rank,runner_up_id(title)')
			.eq('id', 1)
			.single();
		expect(data).toEqual({ rank: 1, runner_up_id: { title: 'Mother' } });
	});

	it('a column embed is ambiguous when a view shows the same target, as in PostgREST', async () => {
		const result = await c.db.from('films').select('id,director_id(last_name)');
		expect(result.status).toBe(300);
		expect(result.error?.code).toBe('PGRST201');
		expect(result.error?.hint).toContain("'directors!films_director_id_fkey'");
		expect(result.error?.hint).toContain("'director_names!films_director_id_fkey'");
	});

	it('table!column names the table when a view shows it too', async () => {
		const { data } = await c.db
			.from('films')
			.select('id,director:directors!director_id(last_name)')
			.eq('id', 1)
			.single();
		expect(data).toEqual({ id: 1, director: { last_name: 'Meier' } });
	});
});

describe('inner and left joins, and filters on embeds', () => {
	it('a filter on an embed restricts the embedded rows only', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films(title)')
			.eq('films.year', 1962)
			.order('id');
		expect(data).toEqual([
			{ id: 1, films: [] },
			{ id: 2, films: [{ title: 'Cléo from 5 to 7' }] },
			{ id: 3, films: [] },
			{ id: 4, films: [] }
		]);
	});

	it('!inner drops parents whose embed is empty', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films!inner(title)')
			.eq('films.year', 1962);
		expect(data).toEqual([{ id: 2, films: [{ title: 'Cléo from 5 to 7' }] }]);
	});

	it('!left is the default outer join', async () => {
		const { data } = await c.db.from('directors').select('id,films!left(id)').eq('id', 4).single();
		expect(data).toEqual({ id: 4, films: [] });
	});

	it('<embed>=not.is.null filters parents by the embed; an empty embed select only filters', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films()')
			.eq('films.language', 'ko')
			.not('films', 'is', null);
		expect(data).toEqual([{ id: 3 }]);
		const without = await c.db.from('directors').select('id,films(id)').is('films', null);
		expect(without.data).toEqual([{ id: 4, films: [] }]);
	});

	it('or on an embed uses <embed>.or', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films(id)')
			.eq('id', 2)
			.or('year.lt.1970,rating.is.null', { referencedTable: 'films' })
			.order('id', { referencedTable: 'films' })
			.single();
		expect(data!.films).toEqual([{ id: 2 }, { id: 5 }]);
	});

	it('a filter naming an embed that is not selected is 400 PGRST108', async () => {
		const result = await c.db.from('directors').select('id').eq('films.year', 1962);
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('PGRST108');
	});

	it('the same resource embedded twice without aliases is 400 42712', async () => {
		const result = await c.db.from('films').select('directors(id),directors(last_name)');
		expect(result.status).toBe(400);
		expect(result.error).toMatchObject({
			code: '42712',
			message: 'table name "films_directors_1" specified more than once'
		});
		const aliased = await c.db
			.from('films')
			.select('a:directors(id),b:directors(last_name)')
			.eq('id', 1)
			.single();
		expect(aliased.data).toEqual({ a: { id: 1 }, b: { last_name: 'Meier' } });
	});
});

describe('spread and counts in embeds', () => {
	it('...to-one lifts the embedded columns into the parent', async () => {
		const { data } = await c.db
			.from('films')
			.select('title,...directors(last_name)')
			.eq('id', 4)
			.single();
		expect(data).toEqual({ title: 'Mother', last_name: 'Joon-ho' });
	});

	it('...to-many lifts each embedded column as an array of its values', async () => {
		const { data, error } = await c.db
			.from('directors')
			.select('last_name,...films(title,year)')
			.eq('id', 3)
			.order('id', { referencedTable: 'films' })
			.single();
		expect(error).toBeNull();
		expect(data).toEqual({
			last_name: 'Joon-ho',
			title: ['Parasite', 'Mother'],
			year: [2019, 2009]
		});
		const none = await c.db.from('directors').select('id,...films(title)').eq('id', 4).single();
		expect(none.data).toEqual({ id: 4, title: [] });
	});

	it('count in a to-many embed is an array with one count object', async () => {
		const { data } = await c.db
			.from('directors')
			.select('id,films(count)')
			.in('id', [2, 4])
			.order('id');
		expect(data).toEqual([
			{ id: 2, films: [{ count: 2 }] },
			{ id: 4, films: [{ count: 0 }] }
		]);
	});

	it('count in a to-one embed is one count object', async () => {
		const { data } = await c.db.from('films').select('id,directors(count)').eq('id', 1).single();
		expect(data).toEqual({ id: 1, directors: { count: 1 } });
	});
});
