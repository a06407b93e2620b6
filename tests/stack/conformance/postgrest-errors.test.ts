import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { userToken } from '../../fixtures/rest/clients.ts';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Schemas" (Accept-Profile / Content-Profile, db-schemas from config.toml) and
// "Errors" (the PGRST codes and the HTTP status of each SQLSTATE), plus the local stack's refusals.
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
	await c.stack.db.exec(`
		create function public.fail_with(code text) returns void language plpgsql as $$
		begin
			raise exception 'failed on purpose' using errcode = code, hint = 'a hint', detail = 'a detail';
		end
		$$;
		create function public.films_of(public.directors) returns setof public.films language sql stable as $$
			select * from public.films where director_id = $1.id
		$$;
		create table public.private_notes (id int primary key);
		revoke all on public.private_notes from anon, authenticated;
		notify pgrst, 'reload schema';`);
	// The schema cache reloads on NOTIFY; wait until it knows the function.
	await vi.waitFor(
		async () => expect((await c.db.rpc('fail_with', { code: 'P0001' })).error?.code).toBe('P0001'),
		{ timeout: 10_000 }
	);
});
afterAll(() => c?.close());

describe('schemas', () => {
	it('a schema listed in config.toml [api] schemas is read with Accept-Profile', async () => {
		const { data, error } = await c.db.schema('library').from('books').select('title').order('id');
		expect(error).toBeNull();
		expect(data).toEqual([{ title: 'Earthsea' }, { title: 'Solaris' }]);
	});

	it('and written with Content-Profile', async () => {
		const { data, status } = await c.db
			.schema('library')
			.from('books')
			.insert({ id: 3, title: 'Dune' })
			.select('title');
		expect(status).toBe(201);
		expect(data).toEqual([{ title: 'Dune' }]);
	});

	it('requests without a profile use the first listed schema', async () => {
		const response = await c.rest('/books');
		expect(response.status).toBe(404);
		expect(await response.json()).toMatchObject({ code: 'PGRST205' });
	});

	it('a schema not listed is 406 PGRST106, naming the served ones', async () => {
		const result = await c.db.schema('backstage').from('secrets').select('id');
		expect(result.status).toBe(406);
		expect(result.error).toMatchObject({
			code: 'PGRST106',
			message: 'Invalid schema: backstage',
			hint: 'Only the following schemas are exposed: public, graphql_public, library'
		});
	});
});

describe('errors: PostgREST codes', () => {
	it('an unknown table is 404 PGRST205', async () => {
		const result = await c.db.from('nowhere').select();
		expect(result.status).toBe(404);
		expect(result.error).toMatchObject({
			code: 'PGRST205',
			message: "Could not find the table 'public.nowhere' in the schema cache"
		});
	});

	it('an invalid JWT is 401 PGRST301, an expired one PGRST303', async () => {
		const response = await c.rest('/films', { headers: { authorization: 'Bearer not-a-jwt' } });
		expect(response.status).toBe(401);
		expect(await response.json()).toMatchObject({ code: 'PGRST301' });
	});

	it('a malformed path is 404 PGRST125', async () => {
		const response = await c.rest('/films/1');
		expect(response.status).toBe(404);
		expect(await response.json()).toMatchObject({ code: 'PGRST125' });
	});
});

describe('errors: SQLSTATE to HTTP status', () => {
	const cases: [string, number][] = [
		['P0001', 400],
		['23505', 409],
		['23503', 409],
		['23502', 400],
		['22P02', 400],
		['42883', 404],
		['42P01', 404],
		['25006', 405],
		['40001', 500],
		['PT402', 402]
	];
	for (const [code, status] of cases) {
		it(`a raised ${code} answers ${status} with message, details and hint`, async () => {
			const result = await c.db.rpc('fail_with', { code });
			expect(result.status).toBe(status);
			expect(result.error).toMatchObject({
				code,
				message: 'failed on purpose',
				details: 'a detail',
				hint: 'a hint'
			});
		});
	}

	it('insufficient privilege is 401 for anon and 403 for a signed-in role', async () => {
		const anon = await c.anon.from('private_notes').select();
		expect(anon.status).toBe(401);
		expect(anon.error?.code).toBe('42501');
		const token = await userToken(randomUUID());
		const signedIn = await c.rest('/private_notes', {
			headers: { authorization: `Bearer ${token}` }
		});
		expect(signedIn.status).toBe(403);
		expect(await signedIn.json()).toMatchObject({ code: '42501' });
	});

	it('a value of the wrong type in a filter is 400 22P02', async () => {
		const result = await c.db.from('films').select('id').eq('id', 'abc');
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('22P02');
	});
});

describe('what the local stack does not do, refused in PostgREST’s error shape', () => {
	const refusal = {
		code: 'PGRST000',
		details: null,
		message: expect.stringContaining('not supported by the local stack')
	};

	it('embedding through a function (computed relationship)', async () => {
		const result = await c.db.from('directors').select('id,films_of(title)');
		expect(result.status).toBe(400);
		expect(result.error).toMatchObject(refusal);
	});

	it('PUT (single-row upsert)', async () => {
		const response = await c.rest('/tasks?id=eq.1', {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ id: 1, title: 'put' })
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject(refusal);
	});

	it('the OpenAPI description at the root', async () => {
		const response = await c.rest('/');
		expect(await response.json()).toMatchObject(refusal);
	});

	it('calling a function with an array body (bulk call)', async () => {
		const result = await c.db.rpc('add_them', [{ a: 1, b: 2 }] as never);
		expect(result.error).toMatchObject(refusal);
	});

	it('limit on an update or delete', async () => {
		const response = await c.rest('/tasks?priority=gt.0&limit=1&order=id', {
			method: 'DELETE'
		});
		expect(await response.json()).toMatchObject(refusal);
	});
});
