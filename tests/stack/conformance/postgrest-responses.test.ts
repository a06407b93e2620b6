import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Resource Representation" and "Media Type Handling": singular objects, CSV,
// stripped nulls and execution plans (db-plan-enabled).
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
});
afterAll(() => c?.close());

/** Sets a PostgREST setting in the database, as Supabase does, and has the stack reload its config. */
async function setInDatabase(name: string, value: string): Promise<void> {
	await c.stack.db.exec(
		`do $$ begin execute format('alter role authenticator in database %I set pgrst.${name} = %L', current_database(), '${value}'); end $$;
		notify pgrst, 'reload config';`
	);
}

describe('singular responses (application/vnd.pgrst.object+json)', () => {
	it('exactly one row answers the bare object with the object content type', async () => {
		const response = await c.rest('/films?select=title&id=eq.1', {
			headers: { accept: 'application/vnd.pgrst.object+json' }
		});
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe(
			'application/vnd.pgrst.object+json; charset=utf-8'
		);
		expect(await response.json()).toEqual({ title: 'Home' });
	});

	it('zero or several rows are 406 PGRST116 naming the row count', async () => {
		const none = await c.db.from('films').select('id').eq('id', 99).single();
		expect(none.status).toBe(406);
		expect(none.error).toMatchObject({
			code: 'PGRST116',
			message: 'Cannot coerce the result to a single JSON object',
			details: 'The result contains 0 rows'
		});
		const many = await c.db.from('films').select('id').single();
		expect(many.error?.details).toBe('The result contains 5 rows');
	});

	it('maybeSingle answers null for no row', async () => {
		const { data, error } = await c.db.from('films').select('id').eq('id', 99).maybeSingle();
		expect(error).toBeNull();
		expect(data).toBeNull();
	});
});

describe('CSV (text/csv)', () => {
	it('answers a header of the selected keys, then one line per row in record format', async () => {
		const { data, error } = await c.db
			.from('films')
			.select('id,title,rating')
			.in('id', [1, 2, 5])
			.order('id')
			.csv();
		expect(error).toBeNull();
		expect(data).toBe('id,title,rating\n1,Home,7.0\n2,"Cléo from 5 to 7",7.8\n5,Vagabond,');
	});

	it('answers with the text/csv content type, also from a function', async () => {
		const response = await c.rest('/rpc/film_titles?year=eq.2019', {
			headers: { accept: 'text/csv' }
		});
		expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(await response.text()).toBe('title,year\nParasite,2019');
	});
});

describe('stripped nulls (nulls=stripped)', () => {
	it('drops keys whose value is null', async () => {
		const { data } = await c.db
			.from('films')
			.select('id,rating,meta')
			.in('id', [4, 5])
			.order('id')
			.stripNulls();
		expect(data).toEqual([
			{ id: 4, rating: 7.8 },
			{ id: 5, meta: { lang: 'fr' } }
		]);
	});
});

describe('media types', () => {
	it('a media type the server cannot produce is 406 PGRST107', async () => {
		const response = await c.rest('/films', { headers: { accept: 'application/xml' } });
		expect(response.status).toBe(406);
		expect(await response.json()).toMatchObject({ code: 'PGRST107' });
	});
});

describe('execution plans (application/vnd.pgrst.plan)', () => {
	it('are not offered while db-plan-enabled is off: 406 PGRST107', async () => {
		const result = await c.db.from('films').select('id').explain();
		expect(result.status).toBe(406);
		expect(result.error?.code).toBe('PGRST107');
	});

	it('once enabled in the database, answer the EXPLAIN of the request as JSON or text', async () => {
		await setInDatabase('db_plan_enabled', 'true');
		await vi.waitFor(
			async () => expect((await c.db.from('films').select('id').explain()).status).toBe(200),
			{
				timeout: 10_000
			}
		);
		const json = await c.db.from('films').select('id').eq('id', 1).explain({ format: 'json' });
		const plan = json.data as unknown as { Plan: { 'Node Type': string } }[];
		expect(plan[0].Plan['Node Type']).toBeTypeOf('string');
		const text = await c.db.from('films').select('id').explain();
		expect(String(text.data)).toMatch(/cost=/);
		const response = await c.rest('/films?select=id', {
			headers: { accept: 'application/vnd.pgrst.plan+json; for="application/json"' }
		});
		expect(response.headers.get('content-type')).toBe(
			'application/vnd.pgrst.plan+json; for="application/json"; charset=utf-8'
		);
	});

	it('explain with analyze runs the write, then rolls it back', async () => {
		const result = await c.db
			.from('tasks')
			.insert({ title: 'planned only' })
			.select()
			.explain({ analyze: true, format: 'json' });
		expect(result.status).toBe(200);
		const { data } = await c.db.from('tasks').select('id').eq('title', 'planned only');
		expect(data).toEqual([]);
	});
});
