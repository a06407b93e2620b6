import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import pg from 'pg';

/** What a query gives back, the same on PGlite and on node-postgres. */
export interface QueryResult<Row = Record<string, unknown>> {
	rows: Row[];
	/** Rows written by an INSERT/UPDATE/DELETE, when Postgres reports it. */
	affectedRows: number;
}

/** A connection inside one open transaction. */
export interface Tx {
	query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
	/** Several statements, no parameters (bootstrap and migrations). */
	exec(sql: string): Promise<void>;
}

/**
 * The database the local stack runs on: embedded PGlite or a real PostgreSQL server.
 * Every write path goes through `transaction`, so each API request is one transaction.
 */
export interface Db extends Tx {
	readonly kind: 'pglite' | 'postgres';
	transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
	/** LISTEN on a channel; payloads arrive after the notifying transaction commits. */
	listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
	close(): Promise<void>;
}

export interface OpenDbOptions {
	/** A PostgreSQL connection string; without it PGlite is used. */
	databaseUrl?: string;
	/** PGlite data directory; without it the database lives in memory. */
	dataDir?: string;
	/** Pool size for PostgreSQL. */
	poolSize?: number;
}

/** Opens PGlite (default) or a PostgreSQL pool. */
export async function openDb(options: OpenDbOptions = {}): Promise<Db> {
	return options.databaseUrl
		? openPostgres(options.databaseUrl, options.poolSize ?? 10)
		: openPglite(options.dataDir);
}

async function openPglite(dataDir?: string): Promise<Db> {
	const pglite = await PGlite.create(dataDir, { extensions: { pgcrypto, uuid_ossp } });
	const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Tx => ({
		async query<Row>(sql: string, params: unknown[] = []) {
			const result = await q.query<Row>(sql, params);
			return { rows: result.rows, affectedRows: result.affectedRows ?? 0 };
		},
		async exec(sql: string) {
			await q.exec(sql);
		}
	});
	return {
		kind: 'pglite',
		...wrap(pglite),
		transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
		async listen(channel, onPayload) {
			const unlisten = await pglite.listen(channel, onPayload);
			return () => unlisten();
		},
		close: () => pglite.close()
	};
}

async function openPostgres(url: string, poolSize: number): Promise<Db> {
	const pool = new pg.Pool({ connectionString: url, max: poolSize });
	// An idle client that dies (server restart) must not crash the stack.
	pool.on('error', (error) => console.error('[db] idle client error:', error.message));
	const wrap = (q: pg.Pool | pg.PoolClient): Tx => ({
		async query<Row>(sql: string, params: unknown[] = []) {
			const result = await q.query(sql, params);
			return { rows: result.rows as Row[], affectedRows: result.rowCount ?? 0 };
		},
		async exec(sql: string) {
			await q.query(sql);
		}
	});
	let listener: pg.Client | undefined;
	const handlers = new Map<string, Set<(payload: string) => void>>();
	return {
		kind: 'postgres',
		...wrap(pool),
		async transaction(fn) {
			const client = await pool.connect();
			try {
				await client.query('begin');
				const result = await fn(wrap(client));
				await client.query('commit');
				return result;
			} catch (error) {
				await client.query('rollback').catch(() => undefined);
				throw error;
			} finally {
				client.release();
			}
		},
		async listen(channel, onPayload) {
			if (!listener) {
				listener = new pg.Client({ connectionString: url });
				listener.on('error', (error) => console.error('[db] listener error:', error.message));
				listener.on('notification', (n) => {
					for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
				});
				await listener.connect();
			}
			let set = handlers.get(channel);
			if (!set) {
				set = new Set();
				handlers.set(channel, set);
				await listener.query(`listen ${pg.escapeIdentifier(channel)}`);
			}
			set.add(onPayload);
			return async () => {
				set.delete(onPayload);
			};
		},
		async close() {
			await listener?.end().catch(() => undefined);
			await pool.end();
		}
	};
}
