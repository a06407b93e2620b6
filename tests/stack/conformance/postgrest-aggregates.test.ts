import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Aggregate Functions": off unless db-aggregates-enabled, then avg/count/max/min/sum
// with grouping by the other selected columns, aliases, casts, embeds and spreads.
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
});
afterAll(() => c?.close());

describe('aggregate functions', () => {
	it('are refused with 400 PGRST123 while db-aggregates-enabled is off', async () => {
		const result = await c.db.from('films').select('rating.sum()');
		expect(result.status).toBe(400);
		expect(result.error).toMatchObject({
			code: 'PGRST123',
			message: 'Use of aggregate functions is not allowed'
		});
		expect((await c.db.from('films').select('count()')).error?.code).toBe('PGRST123');
	});

	it('are allowed once enabled in the database (pgrst.db_aggregates_enabled) and the config reloads', async () => {
		await c.stack.db.exec(
			`do $$ begin execute format('alter role authenticator in database %I set pgrst.db_aggregates_enabled = %L', current_database(), 'true'); end $$;
			notify pgrst, 'reload config';`
		);
		await vi.waitFor(
			async () => expect((await c.db.from('films').select('count()')).error).toBeNull(),
			{
				timeout: 10_000
			}
		);
		const { data } = await c.db
			.from('films')
			.select('rating.sum(),rating.max(),rating.min(),count()');
		expect(data).toEqual([{ sum: 31.1, max: 8.5, min: 7, count: 5 }]);
	});

	it('group by the other selected columns', async () => {
		const { data } = await c.db
			.from('films')
			.select('language,count(),rating.max()')
			.order('language');
		expect(data).toEqual([
			{ language: 'fr', count: 3, max: 7.8 },
			{ language: 'ko', count: 2, max: 8.5 }
		]);
	});

	it('take aliases and casts of their input and result', async () => {
		const { data } = await c.db
			.from('films')
			.select('best:rating::int.max(),films:count()::text')
			.eq('language', 'ko');
		expect(data).toEqual([{ best: 9, films: '2' }]);
	});

	it('aggregate inside an embed, per parent', async () => {
		const { data } = await c.db
			.from('directors')
			.select('last_name,films(rating.max())')
			.eq('id', 3)
			.single();
		expect(data).toEqual({ last_name: 'Joon-ho', films: [{ max: 8.5 }] });
	});

	it('group by the columns of a spread to-one embed', async () => {
		const { data, error } = await c.db
			.from('films')
			.select('year.min(),...directors(last_name)')
			.in('director_id', [2, 3]);
		expect(error).toBeNull();
		expect(data).toHaveLength(2);
		expect(data).toEqual(
			expect.arrayContaining([
				{ min: 1962, last_name: 'Varda' },
				{ min: 2009, last_name: 'Joon-ho' }
			])
		);
	});
});
