import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, stopOnTrap, type Db } from '../../supabase/local/db.ts';

// The embedded database the local stack runs on. PGlite runs Postgres as WebAssembly inside the
// stack's own process, so a fault there must end in an error, never in a frozen process. Each
// open compiles PGlite's WebAssembly afresh, which takes long on a busy machine: hence the timeouts.

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
	for (const db of opened.splice(0)) await db.close().catch(() => undefined);
});

describe('the embedded database', () => {
	it('answers trigram searches on every open, with the extensions the stack loads', async () => {
		// With pgcrypto's library loaded beside pg_trgm's, these searches trapped within the first
		// opens ("null function or function signature mismatch"); four opens show it stays fixed.
		for (let open = 0; open < 4; open++) {
			const db: Db = await openDb();
			opened.push(db);
			await db.exec(`create extension pg_trgm;
				create table passages (id int primary key, body text);
				insert into passages select g, 'Delivery to Canada takes 5 to 7 business days, note ' || g
				  from generate_series(1, 500) g;
				insert into passages values (0, 'Shipping is free on orders over 50 dollars');
				create index on passages using gin (body gin_trgm_ops);`);
			const { rows } = await db.query<{ id: number }>(
				`select id from passages where body % $1 order by similarity(body, $1) desc, id limit 1`,
				['shiping is fre on ordrs']
			);
			expect(rows).toEqual([{ id: 0 }]);
			await db.close();
			opened.pop();
		}
	}, 240_000);

	it('fails a query in words after a WebAssembly trap, and every query after it, instead of hanging', async () => {
		const pglite = await PGlite.create();
		opened.push(pglite);
		const mod = (pglite as unknown as { mod: { _PostgresMainLoopOnce(): void } }).mod;
		const runOnce = mod._PostgresMainLoopOnce.bind(mod);
		let trapNext = false;
		mod._PostgresMainLoopOnce = () => {
			if (trapNext) {
				trapNext = false;
				throw new WebAssembly.RuntimeError('null function or function signature mismatch');
			}
			runOnce();
		};
		stopOnTrap(pglite);
		expect((await pglite.query('select 1 as one')).rows).toEqual([{ one: 1 }]);

		trapNext = true;
		const fault =
			/The embedded database \(PGlite\) stopped after an internal fault \(RuntimeError: null function or function signature mismatch\); restart the local stack\./;
		await expect(pglite.query('select 2 as two')).rejects.toThrow(fault);
		// Without the guard PGlite swallows the trap and goes on over a half-unwound Postgres.
		await expect(pglite.query('select 3 as three')).rejects.toThrow(fault);
	}, 120_000);
});
