import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../../fixtures/rest/conformance.ts';

// PostgREST docs, "Tables and Views" → Insert, Upsert, Update, Delete, and "Prefer Header".
let c: ConformanceStack;
beforeAll(async () => {
	c = await startConformanceStack();
});
afterAll(() => c?.close());

const titles = async () =>
	((await c.db.from('tasks').select('title').order('title')).data ?? []).map((t) => t.title);

describe('insert', () => {
	it('answers 201 with no body by default (return=minimal) and Content-Range */*', async () => {
		const response = await c.rest('/tasks', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ title: 'plain insert' })
		});
		expect(response.status).toBe(201);
		expect(await response.text()).toBe('');
		expect(response.headers.get('content-range')).toBe('*/*');
	});

	it('return=representation answers the inserted rows with the select applied', async () => {
		const { data, status } = await c.db
			.from('tasks')
			.insert({ title: 'represented', priority: 1 })
			.select('title,priority,done')
			.single();
		expect(status).toBe(201);
		expect(data).toEqual({ title: 'represented', priority: 1, done: false });
	});

	it('count=exact on an insert gives the number of rows written', async () => {
		const result = await c.db
			.from('tasks')
			.insert([{ title: 'counted a' }, { title: 'counted b' }], { count: 'exact' });
		expect(result.count).toBe(2);
	});

	it('bulk rows with different keys: missing ones are NULL, or DEFAULT with missing=default', async () => {
		const nulls = await c.db
			.from('films')
			.insert([
				{ id: 100, title: 'A', year: 2000 },
				{ id: 101, title: 'B' }
			])
			.select('id,year');
		expect(nulls.data).toEqual([
			{ id: 100, year: 2000 },
			{ id: 101, year: null }
		]);
		const defaults = await c.db
			.from('tasks')
			.insert([{ title: 'defaulted', priority: 1 }, { title: 'defaulted too' }], {
				defaultToNull: false
			})
			.select('title,priority');
		expect(defaults.data).toEqual([
			{ title: 'defaulted', priority: 1 },
			{ title: 'defaulted too', priority: 3 }
		]);
	});

	it('objects with different keys and no columns parameter are 400 PGRST102', async () => {
		const response = await c.rest('/tasks', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify([{ title: 'x' }, { priority: 1 }])
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({
			code: 'PGRST102',
			message: 'All object keys must match'
		});
	});

	it('an unknown column in the payload is 400 PGRST204', async () => {
		const result = await c.db.from('tasks').insert({ title: 'x', colour: 'red' });
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('PGRST204');
	});

	it('unique and foreign key violations are 409 23505 and 23503', async () => {
		const duplicate = await c.db.from('tasks').insert({ title: 'write' });
		expect(duplicate.status).toBe(409);
		expect(duplicate.error?.code).toBe('23505');
		const orphan = await c.db.from('film_details').insert({ film_id: 999, budget: 1 });
		expect(orphan.status).toBe(409);
		expect(orphan.error?.code).toBe('23503');
	});

	it('return=headers-only answers a Location naming the new row by its primary key', async () => {
		const response = await c.rest('/directors', {
			method: 'POST',
			headers: { 'content-type': 'application/json', prefer: 'return=headers-only' },
			body: JSON.stringify({ id: 50, first_name: 'Chantal', last_name: 'Akerman' })
		});
		expect(response.status).toBe(201);
		expect(response.headers.get('location')).toBe('/directors?id=eq.50');
	});

	it('a singular write that matches several rows is 406 PGRST116 and is rolled back', async () => {
		const result = await c.db
			.from('tasks')
			.insert([{ title: 'single a' }, { title: 'single b' }])
			.select()
			.single();
		expect(result.status).toBe(406);
		expect(result.error?.code).toBe('PGRST116');
		expect(await titles()).not.toContain('single a');
	});
});

describe('upsert', () => {
	it('merge-duplicates updates the conflicting row; only updates answer 200', async () => {
		const { data, status } = await c.db
			.from('directors')
			.upsert({ id: 4, first_name: 'Busy', last_name: 'Person' })
			.select('first_name');
		expect(status).toBe(200);
		expect(data).toEqual([{ first_name: 'Busy' }]);
		const inserted = await c.db
			.from('directors')
			.upsert({ id: 60, first_name: 'New', last_name: 'One' });
		expect(inserted.status).toBe(201);
	});

	it('ignore-duplicates keeps the existing row', async () => {
		await c.db
			.from('directors')
			.upsert({ id: 1, first_name: 'Changed', last_name: 'Meier' }, { ignoreDuplicates: true });
		const { data } = await c.db.from('directors').select('first_name').eq('id', 1).single();
		expect(data).toEqual({ first_name: 'Ursula' });
	});

	it('on_conflict names a unique key other than the primary key', async () => {
		const { data, error } = await c.db
			.from('tasks')
			.upsert({ title: 'review', priority: 5 }, { onConflict: 'title' })
			.select('title,priority');
		expect(error).toBeNull();
		expect(data).toEqual([{ title: 'review', priority: 5 }]);
	});
});

describe('update and delete', () => {
	it('update answers 204 by default, 200 with representation, and counts as 0-(n-1)/n', async () => {
		const plain = await c.db.from('numbers').update({ value: 1000 }).eq('value', 150);
		expect(plain.status).toBe(204);
		const represented = await c.db
			.from('tasks')
			.update({ done: true }, { count: 'exact' })
			.in('title', ['write', 'ship'])
			.select('title');
		expect(represented.status).toBe(200);
		expect(represented.count).toBe(2);
		const response = await c.rest('/tasks?title=in.(write,ship)', {
			method: 'PATCH',
			headers: { 'content-type': 'application/json', prefer: 'count=exact' },
			body: JSON.stringify({ done: false })
		});
		expect(response.headers.get('content-range')).toBe('0-1/2');
	});

	it('delete answers 204, or 200 with the deleted rows', async () => {
		await c.db.from('tasks').insert([{ title: 'trash a' }, { title: 'trash b' }]);
		expect((await c.db.from('tasks').delete().eq('title', 'trash a')).status).toBe(204);
		const removed = await c.db.from('tasks').delete().eq('title', 'trash b').select('title');
		expect(removed.status).toBe(200);
		expect(removed.data).toEqual([{ title: 'trash b' }]);
	});

	it('an update or delete without filters is refused with 400 21000, as pg-safeupdate does', async () => {
		const result = await c.db.from('tasks').delete();
		expect(result.status).toBe(400);
		expect(result.error?.code).toBe('21000');
	});
});

describe('Prefer: max-affected, handling, tx', () => {
	it('max-affected with handling=strict refuses a write touching more rows, and rolls it back', async () => {
		const result = await c.db
			.from('tasks')
			.update({ priority: 9 })
			.in('title', ['write', 'ship'])
			.maxAffected(1);
		expect(result.status).toBe(400);
		expect(result.error).toMatchObject({
			code: 'PGRST124',
			message: 'Query result exceeds max-affected preference constraint',
			details: 'The query affects 2 rows'
		});
		const { data } = await c.db.from('tasks').select('priority').in('title', ['write', 'ship']);
		expect(data!.every((t) => t.priority !== 9)).toBe(true);
		const within = await c.db
			.from('tasks')
			.update({ priority: 2 })
			.eq('title', 'write')
			.maxAffected(1);
		expect(within.status).toBe(204);
	});

	it('handling=strict refuses an unknown preference with 400 PGRST122', async () => {
		const response = await c.rest('/tasks?select=id', {
			headers: { prefer: 'handling=strict, colour=blue' }
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({
			code: 'PGRST122',
			details: 'Invalid preferences: colour=blue'
		});
		const lenient = await c.rest('/tasks?select=id', { headers: { prefer: 'colour=blue' } });
		expect(lenient.status).toBe(200);
	});

	it('tx=rollback answers as if committed, then rolls back', async () => {
		const result = await c.db.from('tasks').insert({ title: 'dry run' }).select('title').rollback();
		expect(result.status).toBe(201);
		expect(result.data).toEqual([{ title: 'dry run' }]);
		expect(await titles()).not.toContain('dry run');
	});

	it('timezone sets the TimeZone of the request; an unknown zone is ignored, or refused when strict', async () => {
		const zoned = await c.rest('/rpc/request_timezone', {
			headers: { prefer: 'timezone=America/Los_Angeles' }
		});
		expect(await zoned.json()).toBe('America/Los_Angeles');
		expect(zoned.headers.get('preference-applied')).toBe('timezone=America/Los_Angeles');
		const unknown = await c.rest('/rpc/request_timezone', {
			headers: { prefer: 'timezone=Mars/Base' }
		});
		expect(unknown.status).toBe(200);
		expect(await unknown.json()).not.toBe('Mars/Base');
		const strict = await c.rest('/rpc/request_timezone', {
			headers: { prefer: 'handling=strict, timezone=Mars/Base' }
		});
		expect(strict.status).toBe(400);
		expect(await strict.json()).toMatchObject({ code: 'PGRST122' });
	});

	it('applied preferences are echoed in Preference-Applied', async () => {
		const response = await c.rest('/tasks?select=id', { headers: { prefer: 'count=exact' } });
		expect(response.headers.get('preference-applied')).toBe('count=exact');
	});
});
