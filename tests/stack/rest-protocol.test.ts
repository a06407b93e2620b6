import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { TestStack } from '../support/stack.ts';
import { userToken as tokenFor } from '../fixtures/rest/clients.ts';
import { signJwt } from '../../supabase/local/jwt.ts';
import { useRestStack } from './rest-support.ts';

// The local REST API as supabase-js meets it: counts and ranges, upserts, single objects, rpc,
// bad input and authentication, and the schema cache, answered as PostgREST answers.

const rest = useRestStack();
const { alice, bob, clientWithToken } = rest;
let stack: TestStack;
let anon: SupabaseClient;
let service: SupabaseClient;
let asAlice: SupabaseClient;
beforeAll(() => {
	({ stack, anon, service, asAlice } = rest.world);
});

describe('counts, ranges and Content-Range', () => {
	it('returns an exact count with the rows, and only the count with head', async () => {
		const page = await anon.from('books').select('id', { count: 'exact' }).order('id').range(0, 1);
		expect(page.status).toBe(206);
		expect(page.count).toBe(5);
		expect(page.data).toEqual([{ id: 1 }, { id: 2 }]);
		const head = await anon
			.from('books')
			.select('*', { count: 'exact', head: true })
			.eq('author_id', 1);
		expect(head.status).toBe(200);
		expect(head.count).toBe(2);
		expect(head.data).toBeNull();
	});

	it('writes Content-Range exactly as PostgREST does', async () => {
		const range = async (path: string, headers: Record<string, string> = {}) => {
			const response = await fetch(`${stack.url}/rest/v1/${path}`, {
				headers: { apikey: stack.anonKey, ...headers }
			});
			await response.text();
			return [response.status, response.headers.get('content-range')];
		};
		expect(await range('books?select=id&order=id&offset=1&limit=2')).toEqual([200, '1-2/*']);
		expect(await range('books?select=id&offset=1&limit=2', { prefer: 'count=exact' })).toEqual([
			206,
			'1-2/5'
		]);
		expect(await range('books?select=id', { prefer: 'count=exact' })).toEqual([200, '0-4/5']);
		expect(await range('books?select=id&id=eq.99', { prefer: 'count=exact' })).toEqual([
			200,
			'*/0'
		]);
		expect(await range('books?select=id', { range: '0-1' })).toEqual([200, '0-1/*']);
	});

	it('an offset past the end answers 416 PGRST103', async () => {
		const result = await anon.from('books').select('id', { count: 'exact' }).range(10, 12);
		expect(result.status).toBe(416);
		expect(result.error).toMatchObject({
			code: 'PGRST103',
			message: 'Requested range not satisfiable',
			details: 'An offset of 10 was requested, but there are only 5 rows.'
		});
	});
});

describe('upsert', () => {
	it('merges duplicates on the primary key and on on_conflict', async () => {
		const merged = await anon
			.from('tags')
			.upsert({ slug: 'red', label: 'Crimson' })
			.select('slug,label,uses');
		expect(merged.data).toEqual([{ slug: 'red', label: 'Crimson', uses: 1 }]);
		const byConflict = await anon
			.from('authors')
			.upsert(
				[
					{ id: 4, name: 'Somebody', country: 'NZ' },
					{ id: 5, name: 'New', country: null }
				],
				{ onConflict: 'id' }
			)
			.select('id,name')
			.order('id');
		expect(byConflict.data).toEqual([
			{ id: 4, name: 'Somebody' },
			{ id: 5, name: 'New' }
		]);
		await anon.from('authors').update({ name: 'Nobody', country: null }).eq('id', 4);
		await anon.from('authors').delete().eq('id', 5);
	});

	it('a merge-upsert answers 201 when it inserts and 200 when it only updates', async () => {
		const inserted = await anon.from('tags').upsert({ slug: 'teal', label: 'Teal' });
		expect(inserted.status).toBe(201);
		const updated = await anon.from('tags').upsert({ slug: 'teal', label: 'Dark teal' });
		expect(updated.status).toBe(200);
		const represented = await anon
			.from('tags')
			.upsert({ slug: 'teal', label: 'Teal again' })
			.select('label');
		expect(represented.status).toBe(200);
		expect(represented.data).toEqual([{ label: 'Teal again' }]);
		await anon.from('tags').delete().eq('slug', 'teal');
	});

	it('ignores duplicates when asked to', async () => {
		const ignored = await anon
			.from('tags')
			.upsert({ slug: 'blue', label: 'Navy' }, { ignoreDuplicates: true })
			.select();
		expect(ignored.error).toBeNull();
		expect(ignored.data).toEqual([]);
		expect((await anon.from('tags').select('label').eq('slug', 'blue').single()).data).toEqual({
			label: 'Blue'
		});
	});

	it('a plain insert of a duplicate key answers 409 23505', async () => {
		const { status, error } = await anon.from('tags').insert({ slug: 'blue', label: 'Again' });
		expect(status).toBe(409);
		expect(error?.code).toBe('23505');
	});
});

describe('single and maybeSingle', () => {
	it('single answers one object, or 406 PGRST116 with the row count', async () => {
		expect((await anon.from('authors').select('name').eq('id', 2).single()).data).toEqual({
			name: 'Stanisław'
		});
		const many = await anon.from('authors').select('name').single();
		expect(many.status).toBe(406);
		expect(many.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 4 rows' });
		const none = await anon.from('authors').select('name').eq('id', 99).single();
		expect(none.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 0 rows' });
	});

	it('maybeSingle answers null when nothing matches', async () => {
		const { data, error } = await anon.from('authors').select('name').eq('id', 99).maybeSingle();
		expect(error).toBeNull();
		expect(data).toBeNull();
	});

	it('a write asked for a single object that touches several rows is rolled back', async () => {
		const result = await anon
			.from('books')
			.update({ price: 1 })
			.eq('author_id', 1)
			.select()
			.single();
		expect(result.status).toBe(406);
		const prices = await anon.from('books').select('price').eq('author_id', 1).order('id');
		expect(prices.data).toEqual([{ price: 9.5 }, { price: 12 }]);
	});
});

describe('rpc', () => {
	it('returns scalars, composites, sets and nothing', async () => {
		expect((await anon.rpc('add', { a: 2, b: 3 })).data).toBe(5);
		expect((await anon.rpc('echo_json', { any: ['thing', 1] })).data).toEqual({
			any: ['thing', 1]
		});
		expect((await anon.rpc('first_author')).data).toEqual({ id: 1, name: 'Ursula', country: 'US' });
		expect((await anon.rpc('numbers', { n: 3 })).data).toEqual([1, 2, 3]);
		const stats = await anon.rpc('author_stats');
		expect(stats.data).toEqual([
			{ name: 'Ursula', book_count: 2 },
			{ name: 'Stanisław', book_count: 1 },
			{ name: 'Octavia', book_count: 1 },
			{ name: 'Nobody', book_count: 0 }
		]);
		const visit = await anon.rpc('record_visit');
		expect(visit.status).toBe(204);
		expect(visit.data).toBeNull();
	});

	it('filters, orders and limits a set-returning function', async () => {
		const { data } = await anon.rpc('books_by', { author: 1 }).select('title').gt('year', 1970);
		expect(data).toEqual([{ title: 'The Dispossessed' }]);
		const ordered = await anon
			.rpc('books_by', { author: 1 }, { count: 'exact' })
			.select('id')
			.order('id', { ascending: false })
			.limit(1);
		expect(ordered.data).toEqual([{ id: 2 }]);
		expect(ordered.count).toBe(2);
		const one = await anon.rpc('books_by', { author: 2 }).select('title').single();
		expect(one.data).toEqual({ title: 'Solaris' });
	});

	it('embeds related rows in the results of a function returning table rows', async () => {
		const { data, error } = await anon
			.rpc('books_by', { author: 2 })
			.select('title, authors(name)');
		expect(error).toBeNull();
		expect(data).toEqual([{ title: 'Solaris', authors: { name: 'Stanisław' } }]);
	});

	it('fills omitted arguments from their defaults and counts a set with head', async () => {
		expect((await anon.rpc('greet', { name: 'Ann' })).data).toBe('Hello, Ann!');
		expect((await anon.rpc('greet', { name: 'Ann', greeting: 'Hi' })).data).toBe('Hi, Ann!');
		const head = await anon.rpc('numbers', { n: 4 }, { head: true, count: 'exact' });
		expect(head.status).toBe(200);
		expect(head.count).toBe(4);
		expect(head.data).toBeNull();
	});

	it('takes GET arguments from the query string, arrays included', async () => {
		expect((await anon.rpc('add', { a: 40, b: 2 }, { get: true })).data).toBe(42);
		expect((await anon.rpc('array_length_of', { xs: [1, 2, 3] }, { get: true })).data).toBe(3);
		expect(
			(await anon.rpc('books_by', { author: 1 }, { get: true }).eq('id', 2)).data
		).toHaveLength(1);
	});

	it('runs functions as the caller, under RLS', async () => {
		await service.from('notes').insert([
			{ title: 'rpc alice', owner_id: alice },
			{ title: 'rpc bob', owner_id: bob }
		]);
		const mine = await asAlice.rpc('my_note_count');
		const visible = await asAlice.from('notes').select('*', { count: 'exact', head: true });
		const all = await service.rpc('my_note_count');
		expect(mine.data).toBe(visible.count);
		expect(mine.data).toBeLessThan(all.data as number);
	});

	it('a stable function runs in a read-only transaction even when called with POST', async () => {
		const { status, error } = await anon.rpc('stable_but_writes');
		expect(status).toBe(405);
		expect(error?.code).toBe('25006');
		expect((await anon.rpc('write_visit')).error).toBeNull();
	});

	it('a function call with Prefer: tx=rollback keeps none of its writes', async () => {
		const before = (await anon.from('visits').select('*', { count: 'exact', head: true })).count;
		const call = await anon.rpc('record_visit').rollback();
		expect(call.status).toBe(204);
		const after = (await anon.from('visits').select('*', { count: 'exact', head: true })).count;
		expect(after).toBe(before);
		await anon.rpc('record_visit');
		expect((await anon.from('visits').select('*', { count: 'exact', head: true })).count).toBe(
			before! + 1
		);
	});

	it('a GET call of a writing function is refused by the read-only transaction with 405', async () => {
		const { status, error } = await anon.rpc('record_visit', {}, { get: true });
		expect(status).toBe(405);
		expect(error?.code).toBe('25006');
	});

	it('a raised exception answers 400 with its message and hint, an unknown function 404 PGRST202', async () => {
		const refused = await anon.rpc('refuse', { reason: 'Not today.' });
		expect(refused.status).toBe(400);
		expect(refused.error).toMatchObject({
			code: 'P0001',
			message: 'Not today.',
			hint: 'Ask nicely.'
		});
		const missing = await anon.rpc('no_such_function', { a: 1 });
		expect(missing.status).toBe(404);
		expect(missing.error?.code).toBe('PGRST202');
	});
});

describe('bad input and authentication', () => {
	it('an unknown column answers 400 42703', async () => {
		const { status, error } = await anon.from('books').select('nope');
		expect(status).toBe(400);
		expect(error).toMatchObject({ code: '42703', message: 'column books.nope does not exist' });
	});

	it('an unknown table answers 404 PGRST205', async () => {
		const { status, error } = await anon.from('nowhere').select();
		expect(status).toBe(404);
		expect(error).toMatchObject({
			code: 'PGRST205',
			message: "Could not find the table 'public.nowhere' in the schema cache"
		});
	});

	it('a malformed filter answers 400 PGRST100', async () => {
		const { status, error } = await anon.from('books').select().filter('year', 'between', '1');
		expect(status).toBe(400);
		expect(error?.code).toBe('PGRST100');
		const badIn = await anon.from('books').select().filter('id', 'in', '1,2');
		expect(badIn.error?.code).toBe('PGRST100');
	});

	it('a filter on an embed that is not selected answers 400 PGRST108', async () => {
		const { status, error } = await anon.from('authors').select('id').eq('books.year', 1);
		expect(status).toBe(400);
		expect(error?.code).toBe('PGRST108');
	});

	it('an unexposed schema answers 406 PGRST106', async () => {
		const { status, error } = await anon.schema('auth').from('users').select();
		expect(status).toBe(406);
		expect(error).toMatchObject({ code: 'PGRST106', message: 'Invalid schema: auth' });
		const write = await service.schema('auth').from('users').insert({ email: 'x@example.com' });
		expect(write.status).toBe(406);
		expect(write.error?.code).toBe('PGRST106');
	});

	it('aggregates are refused with PGRST123', async () => {
		const { error } = await anon.from('books').select('price.sum()');
		expect(error?.code).toBe('PGRST123');
	});

	it('an expired JWT is refused with 401 PGRST303', async () => {
		const expired = clientWithToken(await tokenFor(alice, -60));
		const { status, error } = await expired.from('notes').select();
		expect(status).toBe(401);
		expect(error).toMatchObject({ code: 'PGRST303', message: 'JWT expired' });
	});

	it('a forged JWT is refused with 401 PGRST301 and a WWW-Authenticate header', async () => {
		const forged = (await tokenFor(alice)).slice(0, -4) + 'AAAA';
		const { status, error } = await clientWithToken(forged).from('notes').select();
		expect(status).toBe(401);
		expect(error?.code).toBe('PGRST301');
		const raw = await fetch(`${stack.url}/rest/v1/notes`, {
			headers: { apikey: stack.anonKey, authorization: `Bearer ${forged}` }
		});
		expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
	});

	it('the request transaction exposes the method, path and headers to SQL', async () => {
		await stack.db.exec(`
			create function public.whoami() returns json language sql stable as $$
				select json_build_object('role', current_user, 'method', current_setting('request.method', true),
					'path', current_setting('request.path', true),
					'client', current_setting('request.headers', true)::json->>'x-client-info', 'uid', auth.uid())
			$$;
			notify pgrst, 'reload schema';`);
		await vi.waitFor(async () => expect((await asAlice.rpc('whoami')).error).toBeNull(), {
			timeout: 10_000
		});
		const { data } = await asAlice.rpc('whoami');
		expect(data).toMatchObject({
			role: 'authenticated',
			method: 'POST',
			path: '/rpc/whoami',
			uid: alice
		});
		expect(String((data as { client: string }).client)).toMatch(/^supabase-js/);

		// The settings travel as literals beside the BEGIN: quotes and backslashes stay data.
		const hostile = `x', true), set_config('role', 'postgres', true); --\\ E'\\'`;
		const raw = await fetch(`${stack.url}/rest/v1/rpc/whoami`, {
			method: 'POST',
			headers: {
				apikey: stack.anonKey,
				authorization: `Bearer ${await tokenFor(alice)}`,
				'content-type': 'application/json',
				'x-client-info': hostile
			},
			body: '{}'
		});
		expect(raw.status).toBe(200);
		expect(await raw.json()).toMatchObject({ role: 'authenticated', client: hostile, uid: alice });

		// A role no literal can carry is refused, and nothing runs as anyone else.
		const now = Math.floor(Date.now() / 1000);
		const nul = await signJwt({ sub: alice, role: 'postgres\u0000', iat: now, exp: now + 60 });
		const refused = await clientWithToken(nul).rpc('whoami');
		expect(refused.data).toBeNull();
		expect(refused.status).toBeGreaterThanOrEqual(400);
	});
});

describe('schema cache', () => {
	it('a table created after start becomes queryable after NOTIFY pgrst', async () => {
		expect((await anon.from('late_arrival').select()).error?.code).toBe('PGRST205');
		await stack.db.exec(
			`create table public.late_arrival (id int primary key); insert into public.late_arrival values (1);`
		);
		await stack.db.query(`notify pgrst, 'reload schema'`);
		await vi.waitFor(
			async () => expect((await anon.from('late_arrival').select()).data).toEqual([{ id: 1 }]),
			{ timeout: 10_000 }
		);
	});
});
