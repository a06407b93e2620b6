import type { Db, Tx } from '../db.ts';

/** Who is asking and how: what the first statement of every request's transaction sets. */
export interface RequestSettings {
	role: string;
	claims: Record<string, unknown>;
	method: string;
	path: string;
	headers: Record<string, string>;
	cookies: Record<string, string>;
	/** The served schema, then config.toml's extra_search_path, quoted (default: public, extensions). */
	searchPath?: string;
	/** `Prefer: timezone=…`: the TimeZone of the transaction. */
	timezone?: string;
	readOnly: boolean;
}

/** Per-role statement timeouts, as Supabase configures them. */
const statementTimeouts: Record<string, string> = { anon: '3s', authenticated: '8s' };

/** Thrown inside a transaction to roll it back while still answering with `value`. */
export class Rollback<T> {
	constructor(readonly value: T) {}
}

/**
 * Runs `work` in one transaction whose first statement sets the role, the JWT claims and the
 * request's details locally, so RLS policies and auth.uid() see exactly what PostgREST gives them.
 */
export async function inRequestTransaction<T>(
	db: Db,
	settings: RequestSettings,
	work: (tx: Tx) => Promise<T>
): Promise<T> {
	try {
		return await db.transaction(async (tx) => {
			if (settings.readOnly) await tx.query('set transaction read only');
			await tx.query(
				`select set_config('search_path', $1, true), set_config('statement_timeout', $2, true),
					set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true),
					set_config('request.path', $5, true), set_config('request.headers', $6, true),
					set_config('request.cookies', $7, true), set_config('role', $8, true)`,
				[
					settings.searchPath ?? '"public", "extensions"',
					statementTimeouts[settings.role] ?? '0',
					JSON.stringify(settings.claims),
					settings.method,
					settings.path,
					JSON.stringify(settings.headers),
					JSON.stringify(settings.cookies),
					settings.role
				]
			);
			if (settings.timezone)
				await tx.query(`select set_config('timezone', $1, true)`, [settings.timezone]);
			return work(tx);
		});
	} catch (error) {
		if (error instanceof Rollback) return error.value as T;
		throw error;
	}
}
