import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { loadRestFixture } from '../fixtures/rest/clients.ts';

const attack = `1); drop table public.tags; --`;
const quoteAttack = `x' or '1'='1`;

let stack: TestStack;
let anon: SupabaseClient;

beforeAll(async () => {
	stack = await startTestStack();
	await loadRestFixture(stack);
	anon = stack.client();
	await vi.waitFor(async () => expect((await anon.from('tags').select('slug')).error).toBeNull(), {
		timeout: 10_000
	});
});
afterAll(() => stack?.close());

/** The table every attack tries to drop or rewrite still holds exactly its fixture rows. */
async function expectTagsIntact(): Promise<void> {
	const { rows } = await stack.db.query<{ slug: string }>(
		`select slug from public.tags order by slug`
	);
	expect(rows.map((r) => r.slug)).toEqual(['blue', 'red']);
}

describe('SQL injection through the REST API', () => {
	it('a filter value is compared literally', async () => {
		const eq = await anon.from('tags').select('slug').eq('label', attack);
		expect(eq.error).toBeNull();
		expect(eq.data).toEqual([]);
		const quoted = await anon.from('tags').select('slug').eq('slug', quoteAttack);
		expect(quoted.data).toEqual([]);
		const list = await anon.from('tags').select('slug').in('slug', [attack, 'red']);
		expect(list.data).toEqual([{ slug: 'red' }]);
		const logic = await anon.from('tags').select('slug').or(`label.eq."${attack}",slug.eq.blue`);
		expect(logic.data).toEqual([{ slug: 'blue' }]);
		await expectTagsIntact();
	});

	it('a value with SQL in it is stored and read back as data', async () => {
		const inserted = await anon
			.from('books')
			.insert({ id: 900, title: attack })
			.select('title')
			.single();
		expect(inserted.data).toEqual({ title: attack });
		const found = await anon.from('books').select('id').eq('title', attack).single();
		expect(found.data).toEqual({ id: 900 });
		await anon.from('books').delete().eq('id', 900);
		await expectTagsIntact();
	});

	it('a column name is checked against the schema cache', async () => {
		const result = await anon.from('tags').select(`"slug; drop table public.tags; --"`);
		expect(result.error?.code).toBe('42703');
		const unquoted = await anon.from('tags').select('slug;drop');
		expect(unquoted.status).toBe(400);
		const filter = await anon
			.from('tags')
			.select('slug')
			.eq(`slug"; drop table public.tags; --`, 'x');
		expect(filter.status).toBe(400);
		await expectTagsIntact();
	});

	it('a table name is checked against the schema cache', async () => {
		const result = await anon.from(`tags; drop table public.tags; --`).select();
		expect(result.status).toBe(404);
		expect(result.error?.code).toBe('PGRST205');
		await expectTagsIntact();
	});

	it('an order term is checked against the schema cache', async () => {
		const result = await anon.from('tags').select('slug').order(`slug; drop table public.tags; --`);
		expect(result.status).toBe(400);
		expect(result.error).not.toBeNull();
		const quoted = await anon
			.from('tags')
			.select('slug')
			.order(`"slug""; drop table public.tags; --"`);
		expect(quoted.status).toBe(400);
		await expectTagsIntact();
	});

	it('an embed name must be a known relationship', async () => {
		const result = await anon.from('authors').select(`id, "books; drop table public.tags; --"(id)`);
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('PGRST200');
		const hint = await anon
			.from('authors')
			.select(`id, books!"fk; drop table public.tags; --"(id)`);
		expect(hint.error?.code).toBe('PGRST200');
		await expectTagsIntact();
	});

	it('on_conflict names must be columns', async () => {
		const result = await anon
			.from('tags')
			.upsert(
				{ slug: 'red', label: 'Red' },
				{ onConflict: `slug) do nothing; drop table public.tags; --` }
			);
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('42703');
		await expectTagsIntact();
	});

	it('columns= and body keys must be columns', async () => {
		const key = `label") values ('a'); drop table public.tags; --`;
		const single = await anon.from('tags').insert({ slug: 'new', [key]: 'x' });
		expect(single.status).toBe(400);
		expect(single.error?.code).toBe('PGRST204');
		const many = await anon.from('tags').insert([
			{ slug: 'n1', label: 'a' },
			{ slug: 'n2', [key]: 'b' }
		]);
		expect(many.error?.code).toBe('PGRST204');
		await expectTagsIntact();
	});

	it('an rpc argument is passed as data, by POST and by GET', async () => {
		expect((await anon.rpc('echo_text', { t: attack })).data).toBe(attack);
		expect((await anon.rpc('echo_text', { t: quoteAttack }, { get: true })).data).toBe(quoteAttack);
		const unknownArg = await anon.rpc('echo_text', {
			[`t := 1); drop table public.tags; --`]: 'x'
		});
		expect(unknownArg.status).toBe(404);
		expect(unknownArg.error?.code).toBe('PGRST202');
		await expectTagsIntact();
	});

	it('a JSON path key and a cast cannot carry SQL', async () => {
		const key = `a'); drop table public.tags; --`;
		await stack.db.query(
			`insert into public.notes (owner_id, title, meta) values (gen_random_uuid(), 'path', $1)`,
			[JSON.stringify({ [key]: 'found' })]
		);
		const service: SupabaseClient = stack.client(stack.serviceRoleKey);
		const path = await service.from('notes').select(`value:meta->>"${key}"`).eq('title', 'path');
		expect(path.data).toEqual([{ value: 'found' }]);
		const cast = await anon.from('tags').select('slug::text;drop');
		expect(cast.status).toBe(400);
		expect(cast.error?.code).toBe('PGRST100');
		await expectTagsIntact();
	});

	it('a Prefer or Range header cannot carry SQL', async () => {
		const response = await fetch(`${stack.url}/rest/v1/tags?select=slug`, {
			headers: {
				apikey: stack.anonKey,
				prefer: `count=exact; drop table public.tags`,
				range: `0-1; drop table public.tags`
			}
		});
		expect(response.status).toBe(200);
		await response.text();
		await expectTagsIntact();
	});
});
