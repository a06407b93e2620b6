/**
 * Generates `supabase/functions/_shared/database.types.ts` from the migrations, the same
 * `Database` type `supabase gen types typescript` writes, without Docker: the migrations run on an
 * in-memory PGlite through the local stack's own `migrate`, then Supabase's type generator
 * (@supabase/postgrest-typegen, the engine behind the CLI's command) reads the catalog.
 *
 *   npm run gen:types      writes the file
 *   npm run check:types    exits 1 when the committed file differs from a fresh generation
 *   --postgres <url>       migrates a scratch database on that PostgreSQL server instead (dropped
 *                          after), to compare a real server's catalog with PGlite's
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { introspect } from '@supabase/postgrest-typegen/introspection';
import { generateTypescript, sortGeneratorMetadata } from '@supabase/postgrest-typegen/generation';
import prettier from 'prettier';
import { openDb } from '../supabase/local/db.ts';
import { migrate } from '../supabase/local/migrate.ts';
import { loadSupabaseConfig } from '../supabase/local/config.ts';
import { createScratchDatabase } from '../supabase/local/scratch-database.ts';

const supabaseDir = fileURLToPath(new URL('../supabase', import.meta.url));
const typesPath = fileURLToPath(
	new URL('../supabase/functions/_shared/database.types.ts', import.meta.url)
);

/** The generated file's text, formatted with the repository's prettier settings. */
async function generateDatabaseTypes(postgresServer: string | undefined): Promise<string> {
	const scratch = postgresServer
		? await createScratchDatabase(postgresServer, 'parley_types')
		: undefined;
	const db = await openDb({ databaseUrl: scratch?.url, poolSize: 1 });
	try {
		await migrate(db, supabaseDir, { seed: false });
		// The schemas the Data API exposes are the ones clients can type, as the CLI reads them.
		const { api } = await loadSupabaseConfig(supabaseDir);
		const metadata = await introspect(db, { includedSchemas: api.schemas });
		const options = (await prettier.resolveConfig(typesPath)) ?? {};
		return await generateTypescript(sortGeneratorMetadata(metadata), {
			detectOneToOneRelationships: true,
			// PostgREST 13, as hosted projects and the CLI run it, and the local stack's REST follows.
			postgrestVersion: '13',
			format: (code) => prettier.format(code, { ...options, filepath: typesPath })
		});
	} finally {
		await db.close();
		await scratch?.drop();
	}
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: { check: { type: 'boolean', default: false }, postgres: { type: 'string' } }
	});
	const generated = await generateDatabaseTypes(values.postgres);
	if (values.check) {
		const committed = await readFile(typesPath, 'utf8').catch(() => '');
		if (committed !== generated) {
			const [was, now] = [committed.split('\n'), generated.split('\n')];
			const line = now.findIndex((text, index) => text !== was[index]) + 1 || now.length + 1;
			console.error(
				`supabase/functions/_shared/database.types.ts is stale: the migrations describe a different database (from line ${line}). Run \`npm run gen:types\` and commit the result.`
			);
			process.exit(1);
		}
		console.log('database.types.ts matches the migrations.');
		return;
	}
	await writeFile(typesPath, generated);
	console.log(`wrote ${typesPath}`);
}

await main();
