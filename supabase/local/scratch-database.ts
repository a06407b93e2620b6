import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throwaway database on a PostgreSQL server (for suites and benches that run on real Postgres):
 * its URL, and how to drop it (forcing out any connection still open).
 */
export async function createScratchDatabase(
	server: string,
	prefix = 'parley_scratch'
): Promise<{ url: string; drop(): Promise<void> }> {
	const name = `${prefix}_${randomBytes(6).toString('hex')}`;
	const run = async (sql: string) => {
		const client = new pg.Client({ connectionString: server });
		await client.connect();
		try {
			await client.query(sql);
		} finally {
			await client.end();
		}
	};
	await run(`create database ${name}`);
	const url = new URL(server);
	url.pathname = `/${name}`;
	return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}
