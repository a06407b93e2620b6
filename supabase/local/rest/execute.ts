import pg from 'pg';
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

/** The request's settings, in the order set_config applies them: the role, then its time zone. */
function settingValues(settings: RequestSettings): [string, string][] {
	const values: [string, string][] = [
		['search_path', settings.searchPath ?? '"public", "extensions"'],
		['statement_timeout', statementTimeouts[settings.role] ?? '0'],
		['request.jwt.claims', JSON.stringify(settings.claims)],
		['request.method', settings.method],
		['request.path', settings.path],
		['request.headers', JSON.stringify(settings.headers)],
		['request.cookies', JSON.stringify(settings.cookies)],
		['role', settings.role]
	];
	if (settings.timezone) values.push(['timezone', settings.timezone]);
	return values;
}

/**
 * The statements that open a request's transaction, as literals so they travel with the BEGIN
 * (PostgREST pipelines them for the same reason). Undefined when a value holds a NUL, which no
 * literal can carry: those go as parameters, and Postgres refuses them in its own words.
 */
function openingStatements(settings: RequestSettings): string | undefined {
	const values = settingValues(settings);
	if (values.some(([, value]) => value.includes('\0'))) return undefined;
	const calls = values.map(
		([name, value]) => `set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, true)`
	);
	return `${settings.readOnly ? 'set transaction read only; ' : ''}select ${calls.join(', ')}`;
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
	const opening = openingStatements(settings);
	try {
		return await db.transaction(async (tx) => {
			if (opening === undefined) {
				if (settings.readOnly) await tx.query('set transaction read only');
				const values = settingValues(settings);
				await tx.query(
					`select ${values.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
					values.flat()
				);
			}
			return work(tx);
		}, opening);
	} catch (error) {
		if (error instanceof Rollback) return error.value as T;
		throw error;
	}
}
