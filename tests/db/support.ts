import bcrypt from 'bcryptjs';
import type { Db, Tx } from '../../supabase/local/db.ts';

/** Every test user's password, hashed once (a low bcrypt cost keeps the suites quick). */
const testPasswordHash = bcrypt.hashSync('secret-password', 4);

/** Someone the database sees: a signed-in user (id and email in the JWT) or `anon`. */
export interface Actor {
	label: string;
	id?: string;
	email?: string;
}

/** The anonymous visitor: PostgREST's role when a request carries only the anon key. */
export const anon: Actor = { label: 'anon' };

/**
 * `realtime.messages` in the order its rows were written, oldest first. `inserted_at` alone ties:
 * PGlite's clock counts whole milliseconds, so back-to-back transactions can share a timestamp.
 * The id of the (sub)transaction that wrote the row (realtime.send writes each in a subtransaction
 * of its own, and nothing updates them), then the row's place in the table, break the tie.
 */
export const broadcastsOldestFirst = 'inserted_at, xmin::text::bigint, ctid';

/** `realtime.messages` newest first, with the same tie-breaks as `broadcastsOldestFirst`. */
export const broadcastsNewestFirst = 'inserted_at desc, xmin::text::bigint desc, ctid desc';

/** An SQL error as the API would report it: SQLSTATE and message. */
export interface SqlError {
	code: string;
	message: string;
}

/** The outcome of a statement: its rows and affected count, or the error it raised. */
export type Outcome<Row = Record<string, unknown>> =
	{ ok: true; rows: Row[]; affectedRows: number } | { ok: false; error: SqlError };

class Rollback<T> extends Error {
	constructor(readonly result: T) {
		super('rollback');
	}
}

/** Signs a user up the way Auth does, by inserting into auth.users (so the profile trigger fires). */
export async function createUser(
	db: Db,
	email: string,
	userMetadata: Record<string, unknown> = {}
): Promise<Actor> {
	const { rows } = await db.query<{ id: string }>(
		`insert into auth.users (email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
		 values ($1, $3, now(), '{"provider":"email","providers":["email"]}', $2)
		 returning id`,
		[email, JSON.stringify(userMetadata), testPasswordHash]
	);
	return { label: email.split('@')[0], id: rows[0].id, email };
}

/** Makes the rest of the transaction run as the actor: `set local role` and the JWT claims, as PostgREST does. */
export async function becomeActor(tx: Tx, actor: Actor): Promise<void> {
	const claims = actor.id
		? { sub: actor.id, role: 'authenticated', email: actor.email, aud: 'authenticated' }
		: { role: 'anon' };
	await tx.query(
		`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`,
		[actor.id ? 'authenticated' : 'anon', JSON.stringify(claims)]
	);
}

/** Runs `work` as the actor, the way PostgREST runs a request, and commits. */
export function actAs<T>(db: Db, actor: Actor, work: (tx: Tx) => Promise<T>): Promise<T> {
	return db.transaction(async (tx) => {
		await becomeActor(tx, actor);
		return work(tx);
	});
}

/** Runs `work` in a transaction and rolls it back, returning what `work` returned. */
export async function rolledBack<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
	try {
		await db.transaction(async (tx) => {
			throw new Rollback(await work(tx));
		});
	} catch (error) {
		if (error instanceof Rollback) return error.result as T;
		throw error;
	}
	throw new Error('unreachable: the transaction always rolls back');
}

/** Runs `work` as the actor and rolls everything back, so probes leave no trace. */
export function probeAs<T>(db: Db, actor: Actor, work: (tx: Tx) => Promise<T>): Promise<T> {
	return rolledBack(db, async (tx) => {
		await becomeActor(tx, actor);
		return work(tx);
	});
}

/** Runs one statement as the actor, rolls back, and reports rows or the error. */
export function attempt<Row = Record<string, unknown>>(
	db: Db,
	actor: Actor,
	sql: string,
	params: unknown[] = []
): Promise<Outcome<Row>> {
	return probeAs(db, actor, async (tx) => {
		try {
			const { rows, affectedRows } = await tx.query<Row>(sql, params);
			return { ok: true as const, rows, affectedRows };
		} catch (error) {
			return { ok: false as const, error: asSqlError(error) };
		}
	});
}

/** Runs one statement as the actor, commits, and reports rows or the error. */
export async function commitAs<Row = Record<string, unknown>>(
	db: Db,
	actor: Actor,
	sql: string,
	params: unknown[] = []
): Promise<Outcome<Row>> {
	try {
		const { rows, affectedRows } = await actAs(db, actor, (tx) => tx.query<Row>(sql, params));
		return { ok: true, rows, affectedRows };
	} catch (error) {
		return { ok: false, error: asSqlError(error) };
	}
}

/** The SQLSTATE and message of a PGlite or node-postgres error. */
export function asSqlError(error: unknown): SqlError {
	const { code, message } = error as { code?: unknown; message?: unknown };
	if (typeof code !== 'string') throw error;
	return { code, message: String(message) };
}

/** Rows of a successful outcome; fails loudly with the SQL error otherwise. */
export function rowsOf<Row>(outcome: Outcome<Row>): Row[] {
	if (!outcome.ok)
		throw new Error(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
	return outcome.rows;
}

/** The error of a failed outcome, or 'succeeded': one value to compare in an assertion. */
export function failure(outcome: Outcome): SqlError | 'succeeded' {
	return outcome.ok ? 'succeeded' : outcome.error;
}

/** Makes `user` a member of the tenant the way people join: invited by `owner`, then accepting. */
export async function joinTenant(
	db: Db,
	owner: Actor,
	tenantId: string,
	user: Actor,
	role: string
): Promise<void> {
	const [{ token }] = rowsOf(
		await commitAs<{ token: string }>(
			db,
			owner,
			'select public.invite_member($1, $2, $3) as token',
			[tenantId, user.email, role]
		)
	);
	rowsOf(await commitAs(db, user, 'select * from public.accept_invitation($1)', [token]));
}

let twilioNumberCount = 0;

/**
 * A workspace its owner creates, with members who join by invitation and a Twilio number (stored
 * directly: the provider checks belong to the function suites).
 */
export async function workspaceWithTwilioNumber(
	db: Db,
	owner: Actor,
	slug: string,
	members: [user: Actor, role: string][]
): Promise<{ tenantId: string; numberId: string }> {
	const [tenant] = rowsOf(
		await commitAs<{ id: string }>(db, owner, 'select * from public.create_tenant($1, $2)', [
			`Team ${slug}`,
			slug
		])
	);
	for (const [user, role] of members) await joinTenant(db, owner, tenant.id, user, role);
	twilioNumberCount += 1;
	const { rows } = await db.query<{ id: string }>(
		`with integration as (
			insert into public.integrations (tenant_id, provider, account_sid)
			values ($1, 'twilio', 'AC' || lpad($2::text, 32, '0')) returning id
		)
		insert into public.whatsapp_numbers (tenant_id, provider, display_name, address, integration_id)
		select $1, 'twilio', 'Store', 'whatsapp:+1555070' || lpad($2::text, 4, '0'), id from integration
		returning id`,
		[tenant.id, twilioNumberCount]
	);
	return { tenantId: tenant.id, numberId: rows[0].id };
}
