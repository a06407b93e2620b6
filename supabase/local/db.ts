import { PGlite } from '@electric-sql/pglite';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
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
	/**
	 * How many sessions were lost so far (server restarted or crashed, backend terminated); always
	 * 0 on PGlite. A crash ends every session, so a reader that saw this change knows one may have
	 * happened since its last read.
	 */
	readonly connectionLosses: number;
	/**
	 * Runs `fn` in one transaction. `opening` (statements without parameters) runs first, sent with
	 * the BEGIN on PostgreSQL, so a request's settings cost no round trip of their own.
	 */
	transaction<T>(fn: (tx: Tx) => Promise<T>, opening?: string): Promise<T>;
	/**
	 * LISTEN on a channel; payloads arrive after the notifying transaction commits. On PostgreSQL the
	 * session can be lost (restart, terminated backend): it is opened again on its own, and
	 * `onResume` runs once it LISTENs again, since notifications sent in between were lost.
	 */
	listen(
		channel: string,
		onPayload: (payload: string) => void,
		onResume?: () => void
	): Promise<() => Promise<void>>;
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
	// No pgcrypto: in PGlite its library and pg_trgm's break each other's function tables (pg_trgm
	// queries trap with "null function or function signature mismatch", pgcrypto's digests fail to
	// initialise), and nothing of Parley's needs it.
	const pglite = await PGlite.create(dataDir, { extensions: { uuid_ossp, pg_trgm } });
	stopOnTrap(pglite);
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
		connectionLosses: 0,
		...wrap(pglite),
		transaction: (fn, opening) =>
			pglite.transaction(async (tx) => {
				if (opening) await tx.exec(opening);
				return fn(wrap(tx));
			}),
		async listen(channel, onPayload) {
			const unlisten = await pglite.listen(channel, onPayload);
			return () => unlisten();
		},
		close: () => pglite.close()
	};
}

/** What PGlite's message loop treats as Postgres's own longjmp out of an ERROR. */
const POSTGRES_LONGJMP = 100;

interface PgliteModule {
	_PostgresMainLoopOnce(): void;
	_PostgresMainLongJmp(): void;
}

/**
 * Turns a trap inside PGlite's WebAssembly into a failed query instead of a hang.
 *
 * PGlite runs Postgres one message at a time and swallows any exception that is not Postgres's
 * own longjmp. After a real trap (a WebAssembly RuntimeError) Postgres's state is half-unwound:
 * the next error spins forever walking a corrupted error-context chain, freezing the whole
 * process. Here the trap is kept, handed back to PGlite as a longjmp so it unwinds its loop, and
 * raised from there; every later query fails the same way, with words, until a restart.
 */
export function stopOnTrap(pglite: PGlite): void {
	const mod = (pglite as unknown as { mod: PgliteModule }).mod;
	const runOnce = mod._PostgresMainLoopOnce.bind(mod);
	const longJmp = mod._PostgresMainLongJmp.bind(mod);
	let fault: Error | undefined;
	mod._PostgresMainLoopOnce = () => {
		if (!fault)
			try {
				return runOnce();
			} catch (error) {
				if ((error as { status?: unknown }).status === POSTGRES_LONGJMP) throw error;
				fault = new Error(
					`The embedded database (PGlite) stopped after an internal fault (${String(error)}); restart the local stack.`,
					{ cause: error }
				);
				console.error(`[db] ${fault.message}`);
			}
		throw { status: POSTGRES_LONGJMP };
	};
	mod._PostgresMainLongJmp = () => {
		if (fault) throw fault;
		longJmp();
	};
}

/**
 * SQLSTATEs that mean the server connection failed or is going away, not that the statement was
 * wrong: class 08 (connection exception), 57P01-57P03 (shutdown, crash, starting up).
 */
function isConnectionSqlState(code: string): boolean {
	return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/** Node's socket errors when a connection cannot be opened (SQLSTATE 08001 for them). */
const connectErrorCodes = new Set([
	'ECONNREFUSED',
	'ETIMEDOUT',
	'EHOSTUNREACH',
	'ENOTFOUND',
	'EAI_AGAIN'
]);
/** Node's socket errors: the server is not there or the connection broke. */
const socketErrorCodes = new Set([...connectErrorCodes, 'ECONNRESET', 'EPIPE']);

/**
 * Whether an error means the database could not be reached or the connection was lost (as opposed
 * to a statement it refused). Such errors are worth retrying once the server is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
	if (typeof error !== 'object' || error === null) return false;
	const code = (error as { code?: unknown }).code;
	if (typeof code === 'string' && (isConnectionSqlState(code) || socketErrorCodes.has(code)))
		return true;
	const message = (error as { message?: unknown }).message;
	// node-postgres reports a socket closed under it with these words and no code.
	return (
		typeof message === 'string' &&
		/^Connection terminated|not queryable|Connection ended|timeout exceeded when trying to connect/.test(
			message
		)
	);
}

/**
 * A lost or refused database connection, carrying an SQLSTATE of class 08 so callers that map
 * SQLSTATEs (REST answers 503) treat it like the server's own connection errors.
 */
export class DatabaseUnavailableError extends Error {
	readonly code: string;
	constructor(cause: unknown, connecting = false) {
		const reason = cause instanceof Error ? cause.message : String(cause);
		super(
			`The database connection was lost or refused (${reason}); try again in a moment, the stack reconnects on its own.`,
			{ cause }
		);
		// 08001: could not establish a connection; 08006: an established one failed.
		const code = (cause as { code?: unknown } | null)?.code;
		this.code =
			typeof code === 'string' && isConnectionSqlState(code)
				? code
				: connecting || (typeof code === 'string' && connectErrorCodes.has(code))
					? '08001'
					: '08006';
	}
}

/** Server errors keep their SQLSTATE; code-less connection failures get one (see above). */
function asDatabaseError(error: unknown): unknown {
	if (!isDatabaseUnavailable(error)) return error;
	const code = (error as { code?: unknown }).code;
	return typeof code === 'string' && isConnectionSqlState(code)
		? error
		: new DatabaseUnavailableError(error);
}

const logConnectionError = (what: string) => (error: Error) =>
	console.error(`[db] ${what} connection error: ${error.message}`);

async function openPostgres(url: string, poolSize: number): Promise<Db> {
	const pool = new pg.Pool({
		connectionString: url,
		max: poolSize,
		// A new session starts with cold caches: its first delivery compiles and plans the ingest
		// functions and every trigger under them, about a hundred milliseconds of CPU. With pg's
		// default of 10 s, a busy minute after a quiet one opened several such sessions at once and
		// stalled every request for half a second; idle sessions are now kept for five minutes.
		idleTimeoutMillis: 5 * 60_000,
		keepAlive: true,
		application_name: 'parley-stack'
	});
	// A connection the server terminates (restart, pg_terminate_backend) emits `error`; without a
	// listener that would crash the process. Idle clients are dropped by the pool itself; a client in
	// use fails its query, and `release` drops it because it is no longer queryable.
	let connectionLosses = 0;
	const logPooledError = logConnectionError('pooled');
	pool.on('connect', (client) =>
		client.on('error', (error) => {
			connectionLosses++;
			logPooledError(error);
		})
	);
	// The pool re-emits an idle client's error; the client's own listener above has logged it.
	pool.on('error', () => undefined);
	const wrap = (q: pg.Pool | pg.PoolClient): Tx => ({
		async query<Row>(sql: string, params: unknown[] = []) {
			try {
				const result = await q.query(sql, params);
				return { rows: result.rows as Row[], affectedRows: result.rowCount ?? 0 };
			} catch (error) {
				throw lost(error);
			}
		},
		async exec(sql: string) {
			try {
				await q.query(sql);
			} catch (error) {
				throw lost(error);
			}
		}
	});
	const lost = (error: unknown) => {
		const mapped = asDatabaseError(error);
		if (isDatabaseUnavailable(mapped)) connectionLosses++;
		return mapped;
	};
	const listener = new ListenConnection(url);
	return {
		kind: 'postgres',
		get connectionLosses() {
			return connectionLosses;
		},
		...wrap(pool),
		async transaction(fn, opening) {
			// Whatever stops a new session (refused, starting up, not allowing connections) means the
			// database is unavailable for now, not that the request was wrong.
			const client = await pool.connect().catch((error: unknown) => {
				const code = (error as { code?: unknown } | null)?.code;
				throw typeof code === 'string' && isConnectionSqlState(code)
					? error
					: new DatabaseUnavailableError(error, true);
			});
			let broken = false;
			try {
				await wrap(client).exec(opening ? `begin; ${opening}` : 'begin');
				const result = await fn(wrap(client));
				await wrap(client).query('commit');
				return result;
			} catch (error) {
				if (isDatabaseUnavailable(error)) broken = true;
				else
					await client.query('rollback').catch(() => {
						broken = true;
					});
				throw error;
			} finally {
				// A client whose connection failed is destroyed rather than handed to the next request.
				client.release(broken);
			}
		},
		listen: (channel, onPayload, onResume) => listener.listen(channel, onPayload, onResume),
		async close() {
			await listener.close();
			await pool.end();
		}
	};
}

/** Reconnect delays of the LISTEN connection: 100 ms, doubling, at most 5 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

interface Subscription {
	onPayload: (payload: string) => void;
	onResume?: () => void;
}

/**
 * The one connection that LISTENs for the stack. NOTIFY reaches only a live session, so when the
 * server ends it (restart, pg_terminate_backend, network) it reconnects with backoff, LISTENs on
 * every channel again, and tells subscribers it resumed so they can catch up on what they missed.
 */
class ListenConnection {
	private client: pg.Client | undefined;
	private connecting: Promise<pg.Client> | undefined;
	private readonly channels = new Map<string, Set<Subscription>>();
	private retryTimer: NodeJS.Timeout | undefined;
	private retryDelay = FIRST_RETRY_MS;
	private closed = false;

	constructor(private readonly url: string) {}

	async listen(
		channel: string,
		onPayload: (payload: string) => void,
		onResume?: () => void
	): Promise<() => Promise<void>> {
		const subscription: Subscription = { onPayload, onResume };
		let subscriptions = this.channels.get(channel);
		const isNew = !subscriptions;
		if (!subscriptions) this.channels.set(channel, (subscriptions = new Set()));
		subscriptions.add(subscription);
		try {
			// The first LISTEN has to work (the stack cannot start without it); later it is the
			// reconnect loop's job, which LISTENs on every channel it knows.
			const client = this.client ?? (this.retryTimer ? undefined : await this.connect());
			if (isNew && client && client === this.client)
				await client.query(`listen ${pg.escapeIdentifier(channel)}`);
		} catch (error) {
			if (!this.client && this.retryTimer) return this.unlistener(channel, subscription);
			subscriptions.delete(subscription);
			throw asDatabaseError(error);
		}
		return this.unlistener(channel, subscription);
	}

	private unlistener(channel: string, subscription: Subscription): () => Promise<void> {
		return async () => {
			this.channels.get(channel)?.delete(subscription);
		};
	}

	/** Opens a session and LISTENs on every known channel; one attempt at a time. */
	private connect(): Promise<pg.Client> {
		this.connecting ??= (async () => {
			const client = new pg.Client({
				connectionString: this.url,
				keepAlive: true,
				application_name: 'parley-stack-listen'
			});
			client.on('error', (error) => this.lost(client, error));
			client.on('end', () => this.lost(client, new Error('the server closed the connection')));
			client.on('notification', (notification) => {
				for (const subscription of this.channels.get(notification.channel) ?? [])
					subscription.onPayload(notification.payload ?? '');
			});
			try {
				await client.connect();
				// Channels added while this runs are LISTENed too, before the session counts as up.
				const listening = new Set<string>();
				for (let next = this.unlistened(listening); next; next = this.unlistened(listening)) {
					await client.query(`listen ${pg.escapeIdentifier(next)}`);
					listening.add(next);
				}
			} catch (error) {
				client.removeAllListeners('end');
				await client.end().catch(() => undefined);
				throw error;
			}
			if (this.closed) {
				await client.end().catch(() => undefined);
				throw new Error('the database was closed');
			}
			this.client = client;
			return client;
		})().finally(() => {
			this.connecting = undefined;
		});
		return this.connecting;
	}

	private unlistened(listening: Set<string>): string | undefined {
		for (const channel of this.channels.keys()) if (!listening.has(channel)) return channel;
		return undefined;
	}

	private lost(client: pg.Client, error: Error): void {
		if (client !== this.client || this.closed) return;
		this.client = undefined;
		console.error(
			`[db] the LISTEN connection was lost (${error.message}); reconnecting, and catching up on what was missed.`
		);
		client.end().catch(() => undefined);
		this.scheduleReconnect();
	}

	private scheduleReconnect(): void {
		if (this.closed || this.retryTimer) return;
		this.retryTimer = setTimeout(async () => {
			try {
				await this.connect();
			} catch (error) {
				this.retryTimer = undefined;
				this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_MS);
				if (!this.closed) {
					console.error(
						`[db] could not LISTEN again yet (${(error as Error).message}); retrying in ${this.retryDelay} ms.`
					);
					this.scheduleReconnect();
				}
				return;
			}
			this.retryTimer = undefined;
			this.retryDelay = FIRST_RETRY_MS;
			console.error('[db] the LISTEN connection is back.');
			for (const subscriptions of this.channels.values())
				for (const subscription of subscriptions) subscription.onResume?.();
		}, this.retryDelay);
		this.retryTimer.unref();
	}

	async close(): Promise<void> {
		this.closed = true;
		clearTimeout(this.retryTimer);
		this.retryTimer = undefined;
		const client = this.client ?? (await this.connecting?.catch(() => undefined));
		this.client = undefined;
		await client?.end().catch(() => undefined);
	}
}
