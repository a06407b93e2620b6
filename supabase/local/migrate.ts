import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from './db.ts';

const bootstrapPath = new URL('./bootstrap.sql', import.meta.url);
const migrationName = /^(\d{14})_(.+)\.sql$/;

export interface MigrateResult {
	/** Versions applied by this call, in order. */
	applied: string[];
	/** True when the database had no migration history, so the seed ran. */
	seeded: boolean;
}

/**
 * Roles are shared by every database of a server, so stacks starting side by side on one PostgreSQL
 * (test suites, each on a scratch database) can collide creating or granting them; the bootstrap is
 * idempotent and all-or-nothing, so a collision is simply tried again.
 */
async function bootstrap(db: Db, sql: string): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		try {
			await db.exec(sql);
			return;
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			const collided = /tuple concurrently (updated|deleted)|pg_authid_rolname_index/.test(message);
			if (!collided || attempt >= 5) throw error;
			await new Promise((retry) => setTimeout(retry, 50 * attempt + Math.random() * 100));
		}
	}
}

/**
 * Gives a plain Postgres what Supabase's image has, applies each `supabase/migrations/*.sql`
 * once (in its own transaction, recorded in supabase_migrations.schema_migrations), then
 * runs `seed.sql` if the database was new.
 */
export async function migrate(
	db: Db,
	supabaseDir: string,
	options: { seed?: boolean } = {}
): Promise<MigrateResult> {
	const fresh = !(await hasMigrationHistory(db));
	await bootstrap(db, await readFile(bootstrapPath, 'utf8'));

	const done = new Set(
		(
			await db.query<{ version: string }>(
				'select version from supabase_migrations.schema_migrations'
			)
		).rows.map((r) => r.version)
	);
	const migrationsDir = join(supabaseDir, 'migrations');
	const files = (await readdir(migrationsDir).catch(() => [] as string[]))
		.filter((f) => migrationName.test(f))
		.sort();
	const applied: string[] = [];
	for (const file of files) {
		const [, version, name] = migrationName.exec(file)!;
		if (done.has(version)) continue;
		const sql = await readFile(join(migrationsDir, file), 'utf8');
		try {
			await db.transaction(async (tx) => {
				await tx.exec(sql);
				await tx.query(
					'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
					[version, name, [sql]]
				);
			});
		} catch (error) {
			throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
		}
		applied.push(version);
	}

	const seeded = fresh && options.seed !== false;
	if (seeded) {
		const seed = await readFile(join(supabaseDir, 'seed.sql'), 'utf8').catch(() => '');
		if (seed.trim()) await db.transaction((tx) => tx.exec(seed));
	}
	if (applied.length) await db.query(`notify pgrst, 'reload schema'`);
	return { applied, seeded };
}

async function hasMigrationHistory(db: Db): Promise<boolean> {
	const { rows } = await db.query<{ present: boolean }>(
		`select to_regclass('supabase_migrations.schema_migrations') is not null as present`
	);
	return rows[0].present;
}
