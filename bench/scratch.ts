/** A migrated database a database bench may fill and throw away. */
import { resolve } from 'node:path';
import { openDb, type Db } from '../supabase/local/db.ts';
import { migrate } from '../supabase/local/migrate.ts';
import { createScratchDatabase } from '../supabase/local/scratch-database.ts';

/**
 * Runs `work` on a freshly migrated database without seed data: a scratch database on
 * `databaseServer` (dropped afterwards) when one is given, an in-memory PGlite otherwise.
 * `db.kind` tells the work which one it got.
 */
export async function withScratchDatabase<T>(
	databaseServer: string | undefined,
	work: (db: Db) => Promise<T>
): Promise<T> {
	const scratch = databaseServer
		? await createScratchDatabase(databaseServer, 'parley_bench')
		: undefined;
	try {
		const db = await openDb({ databaseUrl: scratch?.url, poolSize: 2 });
		try {
			await migrate(db, resolve(import.meta.dirname, '../supabase'), { seed: false });
			return await work(db);
		} finally {
			await db.close();
		}
	} finally {
		await scratch?.drop();
	}
}
