import { beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { TestStack } from '../support/stack.ts';
import { useRestStack } from './rest-support.ts';

// The local REST API as supabase-js meets it: writing and reading rows under row-level security,
// selecting with casts and embeds, and filtering, answered as PostgREST answers.

const rest = useRestStack();
const { alice, bob } = rest;
let stack: TestStack;
let anon: SupabaseClient;
let service: SupabaseClient;
let asAlice: SupabaseClient;
let asBob: SupabaseClient;
beforeAll(() => {
	({ stack, anon, service, asAlice, asBob } = rest.world);
});

describe('CRUD and row-level security', () => {
	it('an authenticated user creates, reads, updates and deletes their own notes', async () => {
		const created = await asAlice
			.from('notes')
			.insert({ title: 'first', tags: ['a', 'b'], meta: { n: 1 } })
			.select()
			.single();
		expect(created.error).toBeNull();
		expect(created.status).toBe(201);
		expect(created.data).toMatchObject({
			owner_id: alice,
			title: 'first',
			tags: ['a', 'b'],
			meta: { n: 1 }
		});

		const listed = await asAlice.from('notes').select('id, title');
		expect(listed.data).toEqual([{ id: created.data!.id, title: 'first' }]);

		const updated = await asAlice
			.from('notes')
			.update({ title: 'renamed' })
			.eq('id', created.data!.id)
			.select('title');
		expect(updated.status).toBe(200);
		expect(updated.data).toEqual([{ title: 'renamed' }]);

		const deleted = await asAlice.from('notes').delete().eq('id', created.data!.id);
		expect(deleted.error).toBeNull();
		expect(deleted.status).toBe(204);
		expect((await asAlice.from('notes').select()).data).toEqual([]);
	});

	it("another user's rows are invisible and update/delete affect no rows", async () => {
		const { data: note } = await asAlice
			.from('notes')
			.insert({ title: 'private' })
			.select('id')
			.single();
		expect((await asBob.from('notes').select()).data).toEqual([]);

		const updated = await asBob
			.from('notes')
			.update({ title: 'stolen' })
			.eq('id', note!.id)
			.select();
		expect(updated.error).toBeNull();
		expect(updated.data).toEqual([]);
		const deleted = await asBob.from('notes').delete({ count: 'exact' }).eq('id', note!.id);
		expect(deleted.error).toBeNull();
		expect(deleted.count).toBe(0);

		const stillThere = await asAlice.from('notes').select('title').eq('id', note!.id).single();
		expect(stillThere.data).toEqual({ title: 'private' });
	});

	it('an insert violating a policy fails with 403 42501 and PostgREST’s message', async () => {
		const result = await asBob.from('notes').insert({ title: 'forged', owner_id: alice });
		expect(result.status).toBe(403);
		expect(result.error).toMatchObject({
			code: '42501',
			message: 'new row violates row-level security policy for table "notes"'
		});
	});

	it('anon is refused with 401 when a policy forbids the insert', async () => {
		const result = await anon.from('notes').insert({ title: 'anonymous', owner_id: alice });
		expect(result.status).toBe(401);
		expect(result.error?.code).toBe('42501');
		expect((await anon.from('notes').select()).data).toEqual([]);
	});

	it('service_role bypasses RLS and sees every user’s notes', async () => {
		await asBob.from('notes').insert({ title: 'bob note' });
		const { data } = await service.from('notes').select('owner_id');
		const owners = new Set(data!.map((row) => row.owner_id));
		expect(owners).toEqual(new Set([alice, bob]));
	});

	it('anon reads, writes and deletes a table without RLS', async () => {
		expect((await anon.from('tags').insert({ slug: 'green', label: 'Green' })).status).toBe(201);
		const read = await anon.from('tags').select('slug,label,uses').eq('slug', 'green').single();
		expect(read.data).toEqual({ slug: 'green', label: 'Green', uses: 0 });
		expect((await anon.from('tags').update({ uses: 5 }).eq('slug', 'green')).status).toBe(204);
		const removed = await anon.from('tags').delete().eq('slug', 'green').select('uses');
		expect(removed.data).toEqual([{ uses: 5 }]);
	});

	it('an update or delete without any filter is refused with 21000', async () => {
		const filtered = await service.from('tags').update({ uses: 0 }).eq('slug', 'none');
		expect(filtered.error).toBeNull();
		const unfiltered = await service.from('tags').update({ uses: 0 });
		expect(unfiltered.status).toBe(400);
		expect(unfiltered.error).toMatchObject({
			code: '21000',
			message: 'UPDATE requires a WHERE clause'
		});
		const deleted = await service.from('tags').delete();
		expect(deleted.error).toMatchObject({
			code: '21000',
			message: 'DELETE requires a WHERE clause'
		});
		expect((await service.from('tags').select('slug')).data).toHaveLength(2);
	});

	it('inserts several rows with columns=, filling missing keys with NULL or the default', async () => {
		const withNull = await anon
			.from('books')
			.insert([
				{ id: 100, title: 'One', year: 2001 },
				{ id: 101, title: 'Two' }
			])
			.select('id,year')
			.order('id');
		expect(withNull.data).toEqual([
			{ id: 100, year: 2001 },
			{ id: 101, year: null }
		]);
		const withDefault = await anon
			.from('tags')
			.insert(
				[
					{ slug: 'x1', label: 'X', uses: 9 },
					{ slug: 'x2', label: 'Y' }
				],
				{ defaultToNull: false }
			)
			.select('slug,uses');
		expect(withDefault.data).toEqual([
			{ slug: 'x1', uses: 9 },
			{ slug: 'x2', uses: 0 }
		]);
		await anon.from('tags').delete().in('slug', ['x1', 'x2']);
		await anon.from('books').delete().gte('id', 100);
	});

	it('a write over max-affected with handling=strict is refused with PGRST124 and rolled back', async () => {
		// The untyped client only exposes maxAffected for PostgREST 13+ schemas; the call itself works.
		type Strict = { maxAffected(n: number): PromiseLike<{ status: number; error: unknown }> };
		const update = anon.from('books').update({ price: 0 }).eq('author_id', 1) as unknown as Strict;
		const result = await update.maxAffected(1);
		expect(result.status).toBe(400);
		expect(result.error).toMatchObject({ code: 'PGRST124', details: 'The query affects 2 rows' });
		const prices = await anon.from('books').select('price').eq('author_id', 1).order('id');
		expect(prices.data).toEqual([{ price: 9.5 }, { price: 12 }]);
	});

	it('Prefer: return=headers-only answers 201 with a Location naming the new row', async () => {
		const response = await fetch(`${stack.url}/rest/v1/tags`, {
			method: 'POST',
			headers: {
				apikey: stack.anonKey,
				'content-type': 'application/json',
				prefer: 'return=headers-only'
			},
			body: JSON.stringify({ slug: 'newtag', label: 'New' })
		});
		expect(response.status).toBe(201);
		expect(await response.text()).toBe('');
		expect(response.headers.get('location')).toBe('/tags?slug=eq.newtag');
		await anon.from('tags').delete().eq('slug', 'newtag');
	});

	it('inserting an empty array writes nothing and answers an empty array', async () => {
		const { status, data } = await anon.from('tags').insert([]).select();
		expect(status).toBe(201);
		expect(data).toEqual([]);
		expect((await anon.from('tags').select('slug')).data).toHaveLength(2);
	});

	it('Prefer: tx=rollback answers as if written but keeps nothing', async () => {
		const result = await anon
			.from('tags')
			.insert({ slug: 'ghost', label: 'Ghost' })
			.select()
			.rollback();
		expect(result.data).toEqual([{ slug: 'ghost', label: 'Ghost', uses: 0 }]);
		expect((await anon.from('tags').select().eq('slug', 'ghost')).data).toEqual([]);
	});
});

describe('select', () => {
	it('renames, casts and reads JSON paths', async () => {
		await service
			.from('notes')
			.insert({ title: 'json', owner_id: alice, meta: { a: { b: 'deep' }, n: 7 } });
		const { data } = await service
			.from('notes')
			.select('label:title, created:created_at::text, meta->a->>b, n:meta->n')
			.eq('title', 'json')
			.single();
		expect(data).toMatchObject({ label: 'json', b: 'deep', n: 7 });
		expect(typeof (data as { created: unknown }).created).toBe('string');
	});

	it('embeds to-one as an object or null and to-many as an array', async () => {
		const { data, error } = await anon
			.from('books')
			.select('title, author:authors(name)')
			.in('id', [1, 5])
			.order('id');
		expect(error).toBeNull();
		expect(data).toEqual([
			{ title: 'A Wizard of Earthsea', author: { name: 'Ursula' } },
			{ title: 'Anonymous Tales', author: null }
		]);
		const authors = await anon
			.from('authors')
			.select('name, books(title), author_profiles(bio)')
			.eq('id', 1)
			.single();
		expect(authors.data).toEqual({
			name: 'Ursula',
			books: [{ title: 'A Wizard of Earthsea' }, { title: 'The Dispossessed' }],
			author_profiles: { bio: 'Wrote Earthsea.' }
		});
	});

	it('filters, orders and limits embedded rows without dropping parents, and !inner drops them', async () => {
		const left = await anon
			.from('authors')
			.select('id, books(title)')
			.gt('books.year', 1970)
			.order('year', { referencedTable: 'books', ascending: false })
			.order('id');
		expect(left.data).toEqual([
			{ id: 1, books: [{ title: 'The Dispossessed' }] },
			{ id: 2, books: [] },
			{ id: 3, books: [{ title: 'Kindred' }] },
			{ id: 4, books: [] }
		]);
		const inner = await anon
			.from('authors')
			.select('id, books!inner(title)')
			.gt('books.year', 1970)
			.order('id');
		expect(inner.data!.map((a) => a.id)).toEqual([1, 3]);
		const limited = await anon
			.from('authors')
			.select('id, books(id)')
			.eq('id', 1)
			.limit(1, { referencedTable: 'books' });
		expect(limited.data).toEqual([{ id: 1, books: [{ id: 1 }] }]);
		const withoutBooks = await anon
			.from('authors')
			.select('id, books(id)')
			.is('books', null)
			.order('id');
		expect(withoutBooks.data).toEqual([{ id: 4, books: [] }]);
	});

	it('an or filter on an embed restricts the embedded rows', async () => {
		const { data } = await anon
			.from('authors')
			.select('id, books(id)')
			.eq('id', 1)
			.or('id.eq.2,year.lt.1970', { referencedTable: 'books' });
		expect(data).toEqual([{ id: 1, books: [{ id: 1 }, { id: 2 }] }]);
	});

	it('places nulls first or last as asked', async () => {
		const first = await anon
			.from('books')
			.select('id')
			.order('year', { ascending: false, nullsFirst: true })
			.order('id');
		expect(first.data!.map((b) => b.id)).toEqual([5, 4, 2, 1, 3]);
		const last = await anon
			.from('books')
			.select('id')
			.order('price', { ascending: true, nullsFirst: false });
		expect(last.data!.map((b) => b.id)).toEqual([5, 1, 3, 2, 4]);
	});

	it('orders by a to-one embed column', async () => {
		const { data } = await anon
			.from('books')
			.select('id, authors(name)')
			.not('author_id', 'is', null)
			.order('authors(name)', { ascending: false })
			.order('id');
		expect(data!.map((b) => b.id)).toEqual([1, 2, 3, 4]);
	});

	it('an ambiguous embed answers 300 PGRST201 and a hint picks one relationship', async () => {
		const ambiguous = await anon.from('letters').select('subject, people(name)');
		expect(ambiguous.status).toBe(300);
		expect(ambiguous.error?.code).toBe('PGRST201');
		expect(ambiguous.error?.hint).toContain("'people!letters_sender_id_fkey'");
		const hinted = await anon
			.from('letters')
			.select('subject, from:people!letters_sender_id_fkey(name), to:people!recipient_id(name)')
			.single();
		expect(hinted.data).toEqual({
			subject: 'Hello Bob',
			from: { name: 'Ann' },
			to: { name: 'Bob' }
		});
	});

	it('embeds many-to-many through a junction, and two junctions need a hint', async () => {
		const ambiguous = await anon.from('students').select('name, courses(title)');
		expect(ambiguous.error?.code).toBe('PGRST201');
		const { data } = await anon
			.from('students')
			.select('name, courses!enrollments(title)')
			.order('id');
		expect(data).toEqual([
			{ name: 'Sam', courses: [{ title: 'Algebra' }, { title: 'Biology' }] },
			{ name: 'Kim', courses: [] }
		]);
	});

	it('embeds through views using the foreign keys of the tables they show', async () => {
		const fromView = await anon
			.from('recent_books')
			.select('title, authors(name)')
			.order('book_id');
		expect(fromView.error).toBeNull();
		expect(fromView.data).toEqual([
			{ title: 'A Wizard of Earthsea', authors: { name: 'Ursula' } },
			{ title: 'The Dispossessed', authors: { name: 'Ursula' } },
			{ title: 'Kindred', authors: { name: 'Octavia' } }
		]);
		const toView = await anon
			.from('authors')
			.select('name, recent_books(title)')
			.eq('id', 2)
			.single();
		expect(toView.data).toEqual({ name: 'Stanisław', recent_books: [] });
		const viewToView = await anon
			.from('recent_books')
			.select('title, author_names(shouted)')
			.eq('book_id', 4)
			.single();
		expect(viewToView.data).toEqual({ title: 'Kindred', author_names: { shouted: 'OCTAVIA' } });
	});

	it('embeds by foreign key column or constraint name, and follows self-references as PostgREST does', async () => {
		const byColumn = await anon.from('letters').select('subject, sender_id(name)').single();
		expect(byColumn.data).toEqual({ subject: 'Hello Bob', sender_id: { name: 'Ann' } });
		const byConstraint = await anon
			.from('letters')
			.select('subject, to:letters_recipient_id_fkey(name)')
			.single();
		expect(byConstraint.data).toEqual({ subject: 'Hello Bob', to: { name: 'Bob' } });
		// A view showing authors.id inherits books' foreign key, so the column alone is ambiguous, as in PostgREST.
		const ambiguous = await anon.from('books').select('title, author_id(name)');
		expect(ambiguous.error?.hint).toContain(
			"'authors!books_author_id_fkey', 'author_names!books_author_id_fkey'"
		);
		const reports = await anon
			.from('employees')
			.select('name, employees(name)')
			.eq('id', 1)
			.single();
		expect(reports.data).toEqual({ name: 'Grace', employees: [{ name: 'Alan' }, { name: 'Ada' }] });
		const hinted = await anon
			.from('employees')
			.select('name, reports:employees!manager_id(name)')
			.eq('id', 2)
			.single();
		expect(hinted.data).toEqual({ name: 'Alan', reports: [] });
		const manager = await anon
			.from('employees')
			.select('name, manager:manager_id(name)')
			.eq('id', 3)
			.single();
		expect(manager.data).toEqual({ name: 'Ada', manager: { name: 'Grace' } });
	});

	it('an embed with no relationship answers 400 PGRST200', async () => {
		const { error, status } = await anon.from('books').select('title, people(name)');
		expect(status).toBe(400);
		expect(error?.code).toBe('PGRST200');
	});

	it('counts embedded rows with rel(count)', async () => {
		const { data } = await anon
			.from('authors')
			.select('name, books(count)')
			.in('id', [1, 4])
			.order('id');
		expect(data).toEqual([
			{ name: 'Ursula', books: [{ count: 2 }] },
			{ name: 'Nobody', books: [{ count: 0 }] }
		]);
	});

	it('spreads a to-one embed into the parent', async () => {
		const { data } = await anon
			.from('books')
			.select('title, ...authors(author_name:name)')
			.eq('id', 3)
			.single();
		expect(data).toEqual({ title: 'Solaris', author_name: 'Stanisław' });
	});
});

describe('filters', () => {
	it('supports comparison, pattern, is, in, array and negated filters', async () => {
		const ids = async (query: PromiseLike<{ data: { id: number }[] | null }>) =>
			(await query).data!.map((r) => r.id);
		const books = () => anon.from('books').select('id').order('id');
		expect(await ids(books().eq('year', 1968))).toEqual([1]);
		expect(await ids(books().neq('author_id', 1))).toEqual([3, 4]);
		expect(await ids(books().gte('price', 11.25).lt('price', 12))).toEqual([3]);
		expect(await ids(books().like('title', '%Earth%'))).toEqual([1]);
		expect(await ids(books().ilike('title', '*SOLARIS*'))).toEqual([3]);
		expect(await ids(books().is('year', null))).toEqual([5]);
		expect(await ids(books().in('id', [2, 4, 99]))).toEqual([2, 4]);
		expect(await ids(books().not('id', 'in', '(1,2,3)'))).toEqual([4, 5]);
		expect(await ids(books().not('year', 'is', null).lte('year', 1961))).toEqual([3]);
		expect(await ids(books().or('year.lt.1965,and(author_id.eq.1,price.gt.10)'))).toEqual([2, 3]);
		expect(await ids(books().in('title', ['Kindred', 'A Wizard of Earthsea']))).toEqual([1, 4]);
		expect(await ids(books().match({ author_id: 1, year: 1974 }))).toEqual([2]);
	});

	it('supports quantified patterns, text search, distinctness and nested logic', async () => {
		const ids = async (query: PromiseLike<{ data: { id: number }[] | null; error: unknown }>) => {
			const { data, error } = await query;
			expect(error).toBeNull();
			return data!.map((r) => r.id);
		};
		const books = () => anon.from('books').select('id').order('id');
		expect(await ids(books().likeAnyOf('title', ['%Earth%', 'Sol%']))).toEqual([1, 3]);
		expect(await ids(books().ilikeAllOf('title', ['%the%', '%dis%']))).toEqual([2]);
		expect(
			await ids(books().textSearch('title', 'wizard', { type: 'plain', config: 'english' }))
		).toEqual([1]);
		expect(await ids(books().textSearch('title', `'kindred' | 'solaris'`))).toEqual([3, 4]);
		expect(await ids(books().filter('year', 'isdistinct', '1968'))).toEqual([2, 3, 4, 5]);
		expect(
			await ids(
				books().or('and(year.gt.1960,year.lt.1970),not.and(id.gt.1,price.is.null)').lt('id', 5)
			)
		).toEqual([1, 2, 3]);
		expect(await ids(books().filter('id', 'in', '()'))).toEqual([]);
		expect(await ids(books().not('title', 'ilike', '*the*').not('year', 'is', null))).toEqual([
			1, 3, 4
		]);
		expect(await ids(books().eq('title', 'A Wizard of Earthsea').eq('year', '1968'))).toEqual([1]);
	});

	it('supports contains, contained-by and overlaps on arrays and jsonb', async () => {
		await service
			.from('notes')
			.insert([
				{ title: 'tagged', owner_id: bob, tags: ['x', 'y', 'z'], meta: { kind: 'a', level: 2 } }
			]);
		const contains = await service.from('notes').select('title').contains('tags', ['x', 'y']);
		expect(contains.data).toEqual([{ title: 'tagged' }]);
		const containedBy = await service
			.from('notes')
			.select('title')
			.containedBy('tags', ['x', 'y', 'z', 'w'])
			.eq('title', 'tagged');
		expect(containedBy.data).toEqual([{ title: 'tagged' }]);
		const overlaps = await service.from('notes').select('title').overlaps('tags', ['q', 'z']);
		expect(overlaps.data).toEqual([{ title: 'tagged' }]);
		const json = await service.from('notes').select('title').contains('meta', { kind: 'a' });
		expect(json.data).toEqual([{ title: 'tagged' }]);
		const path = await service.from('notes').select('title').eq('meta->>kind', 'a');
		expect(path.data).toEqual([{ title: 'tagged' }]);
	});
});
