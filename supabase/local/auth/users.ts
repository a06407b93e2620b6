import bcrypt from 'bcryptjs';
import type { Tx } from '../db.ts';
import { AuthApiError, sqlState } from './errors.ts';

type Json = Record<string, unknown>;

/** A row of auth.users as the queries below select it. */
export interface UserRow {
	id: string;
	aud: string | null;
	role: string | null;
	email: string | null;
	phone: string | null;
	encrypted_password: string | null;
	email_confirmed_at: Date | null;
	phone_confirmed_at: Date | null;
	confirmed_at: Date | null;
	invited_at: Date | null;
	confirmation_sent_at: Date | null;
	recovery_sent_at: Date | null;
	last_sign_in_at: Date | null;
	raw_app_meta_data: Json;
	raw_user_meta_data: Json;
	created_at: Date;
	updated_at: Date;
	banned_until: Date | null;
	is_anonymous: boolean;
}

interface IdentityRow {
	id: string;
	provider_id: string;
	user_id: string;
	identity_data: Json;
	provider: string;
	last_sign_in_at: Date | null;
	created_at: Date;
	updated_at: Date;
	email: string | null;
}

const USER_COLUMNS = `id, aud, role, email, phone, encrypted_password, email_confirmed_at, phone_confirmed_at,
	confirmed_at, invited_at, confirmation_sent_at, recovery_sent_at, last_sign_in_at, raw_app_meta_data,
	raw_user_meta_data, created_at, updated_at, banned_until, is_anonymous`;

/** GoTrue's bcrypt cost; bcryptjs hashes off the database so PGlite is not blocked meanwhile. */
const BCRYPT_COST = 10;

/** Hashes a password the way GoTrue stores it (`$2a$`/`$2b$` bcrypt, also readable by pgcrypto). */
export function hashPassword(password: string): Promise<string> {
	return bcrypt.hash(password, BCRYPT_COST);
}

/** Checks a password against a stored bcrypt hash (including hashes made by pgcrypto's crypt). */
export async function passwordMatches(password: string, hash: string | null): Promise<boolean> {
	if (!hash) return false;
	try {
		return await bcrypt.compare(password, hash);
	} catch {
		return false;
	}
}

const iso = (value: Date | string | null | undefined): string | undefined =>
	value == null ? undefined : new Date(value).toISOString();

/** Drops undefined fields, as GoTrue's `omitempty` does for unset timestamps. */
function compact(object: Record<string, unknown>): Json {
	return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function identityJson(row: IdentityRow): Json {
	return {
		identity_id: row.id,
		id: row.provider_id,
		user_id: row.user_id,
		identity_data: row.identity_data,
		provider: row.provider,
		last_sign_in_at: iso(row.last_sign_in_at),
		created_at: iso(row.created_at),
		updated_at: iso(row.updated_at),
		email: row.email ?? undefined
	};
}

/** The User object of the Auth API (what auth-js types as `User`). */
export async function userJson(tx: Tx, user: UserRow): Promise<Json> {
	const { rows } = await tx.query<IdentityRow>(
		'select * from auth.identities where user_id = $1 order by created_at',
		[user.id]
	);
	return compact({
		id: user.id,
		aud: user.aud ?? 'authenticated',
		role: user.role || 'authenticated',
		email: user.email ?? '',
		email_confirmed_at: iso(user.email_confirmed_at),
		phone: user.phone ?? '',
		phone_confirmed_at: iso(user.phone_confirmed_at),
		confirmation_sent_at: iso(user.confirmation_sent_at),
		recovery_sent_at: iso(user.recovery_sent_at),
		confirmed_at: iso(user.confirmed_at ?? user.email_confirmed_at ?? user.phone_confirmed_at),
		invited_at: iso(user.invited_at),
		last_sign_in_at: iso(user.last_sign_in_at),
		app_metadata: user.raw_app_meta_data ?? {},
		user_metadata: user.raw_user_meta_data ?? {},
		identities: rows.map(identityJson),
		created_at: iso(user.created_at),
		updated_at: iso(user.updated_at),
		banned_until: iso(user.banned_until),
		is_anonymous: user.is_anonymous
	});
}

/** Applies a metadata patch as GoTrue does: keys merge, a `null` value deletes the key. */
export function mergeMetadata(current: Json, patch: Json | null | undefined): Json {
	const merged: Json = { ...current };
	for (const [key, value] of Object.entries(patch ?? {})) {
		if (value === null) delete merged[key];
		else merged[key] = value;
	}
	return merged;
}

/** Finds a user by id (`forUpdate` locks the row for the rest of the request's transaction). */
export async function findUserById(tx: Tx, id: string, forUpdate = false): Promise<UserRow | null> {
	if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
	const { rows } = await tx.query<UserRow>(
		`select ${USER_COLUMNS} from auth.users where id = $1${forUpdate ? ' for update' : ''}`,
		[id]
	);
	return rows[0] ?? null;
}

/** Finds a user by email, case-insensitively (emails are unique on lower(email)). */
export async function findUserByEmail(tx: Tx, email: string): Promise<UserRow | null> {
	const { rows } = await tx.query<UserRow>(
		`select ${USER_COLUMNS} from auth.users where lower(email) = lower($1) limit 1`,
		[email]
	);
	return rows[0] ?? null;
}

/** Finds a user by phone number. */
export async function findUserByPhone(tx: Tx, phone: string): Promise<UserRow | null> {
	const { rows } = await tx.query<UserRow>(
		`select ${USER_COLUMNS} from auth.users where phone = $1 limit 1`,
		[phone]
	);
	return rows[0] ?? null;
}

/** What a new auth.users row is made of. */
export interface NewUser {
	id?: string;
	email?: string | null;
	phone?: string | null;
	passwordHash?: string | null;
	role?: string | null;
	emailConfirmed?: boolean;
	phoneConfirmed?: boolean;
	invited?: boolean;
	appMetadata?: Json;
	userMetadata?: Json;
	bannedUntil?: Date | null;
	/** An anonymous sign-in: no email, phone, password or identity; `is_anonymous` is true. */
	anonymous?: boolean;
}

/**
 * Inserts a user and its identity with real INSERTs, so triggers on auth.users run in this transaction;
 * a failing trigger becomes GoTrue's 500 "Database error saving new user".
 */
export async function insertUser(tx: Tx, user: NewUser): Promise<UserRow> {
	const providers = [user.anonymous ? 'anonymous' : user.email ? 'email' : 'phone'];
	const appMetadata = { ...user.appMetadata, provider: providers[0], providers };
	const identityData: Json = {
		email: user.email ?? undefined,
		phone: user.phone ?? undefined,
		email_verified: Boolean(user.email && user.emailConfirmed),
		phone_verified: Boolean(user.phone && user.phoneConfirmed)
	};
	let row: UserRow;
	try {
		await tx.query('savepoint parley_insert_user');
		const { rows } = await tx.query<UserRow>(
			`insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password,
				email_confirmed_at, phone_confirmed_at, invited_at, raw_app_meta_data, raw_user_meta_data, banned_until,
				is_anonymous)
			values ('00000000-0000-0000-0000-000000000000', coalesce($1::uuid, gen_random_uuid()), 'authenticated',
				coalesce($2, 'authenticated'), $3, $4, $5,
				case when $6::boolean then now() end, case when $7::boolean then now() end,
				case when $8::boolean then now() end, $9::jsonb, $10::jsonb, $11, $12)
			returning ${USER_COLUMNS}`,
			[
				user.id ?? null,
				user.role ?? null,
				user.email?.toLowerCase() ?? null,
				user.phone ?? null,
				user.passwordHash ?? null,
				Boolean(user.emailConfirmed),
				Boolean(user.phoneConfirmed),
				Boolean(user.invited),
				JSON.stringify(appMetadata),
				// The INSERT carries the caller's data, so insert triggers (profiles) can read it.
				JSON.stringify(user.userMetadata ?? {}),
				user.bannedUntil ?? null,
				Boolean(user.anonymous)
			]
		);
		row = rows[0];
		if (user.anonymous) {
			await tx.query('release savepoint parley_insert_user');
			return row;
		}
		// Then, as GoTrue does, the identity's claims join user_metadata; the caller's data wins.
		const userMetadata = { ...identityData, sub: row.id, ...user.userMetadata };
		const updated = await tx.query<UserRow>(
			`update auth.users set raw_user_meta_data = $2::jsonb where id = $1 returning ${USER_COLUMNS}`,
			[row.id, JSON.stringify(userMetadata)]
		);
		row = updated.rows[0];
		await tx.query(
			`insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
			values ($1, $2, $3::jsonb, $4, now())`,
			[row.id, row.id, JSON.stringify({ ...identityData, sub: row.id }), providers[0]]
		);
		await tx.query('release savepoint parley_insert_user');
	} catch (error) {
		await tx.query('rollback to savepoint parley_insert_user');
		if (sqlState(error) === '23505') {
			const conflict = (error as { constraint?: string }).constraint ?? String(error);
			if (/phone/.test(conflict)) {
				throw new AuthApiError(
					422,
					'phone_exists',
					'A user with this phone number has already been registered'
				);
			}
			if (/users_pkey/.test(conflict)) {
				throw new AuthApiError(
					422,
					'email_exists',
					'A user with this ID has already been registered'
				);
			}
			throw new AuthApiError(
				422,
				'email_exists',
				'A user with this email address has already been registered'
			);
		}
		console.error('[auth] saving a new user failed:', (error as Error).message);
		throw new AuthApiError(500, 'unexpected_failure', 'Database error saving new user');
	}
	return row;
}

/** Fields an update may set; metadata values are the final objects, not patches. */
export interface UserChanges {
	email?: string;
	phone?: string;
	passwordHash?: string;
	role?: string;
	emailConfirmed?: boolean;
	phoneConfirmed?: boolean;
	appMetadata?: Json;
	userMetadata?: Json;
	bannedUntil?: Date | null;
	lastSignIn?: boolean;
	/** An anonymous user who linked an email address becomes a permanent user. */
	isAnonymous?: boolean;
}

/** Updates a user in place (triggers on auth.users fire); a database error becomes a sentence. */
export async function updateUser(tx: Tx, id: string, changes: UserChanges): Promise<UserRow> {
	const sets: string[] = ['updated_at = now()'];
	const params: unknown[] = [id];
	const set = (column: string, value: unknown, cast = '') => {
		params.push(value);
		sets.push(`${column} = $${params.length}${cast}`);
	};
	if (changes.email !== undefined) set('email', changes.email.toLowerCase());
	if (changes.phone !== undefined) set('phone', changes.phone || null);
	if (changes.passwordHash !== undefined) set('encrypted_password', changes.passwordHash);
	if (changes.role !== undefined) set('role', changes.role);
	if (changes.emailConfirmed) sets.push('email_confirmed_at = coalesce(email_confirmed_at, now())');
	if (changes.phoneConfirmed) sets.push('phone_confirmed_at = coalesce(phone_confirmed_at, now())');
	if (changes.appMetadata !== undefined)
		set('raw_app_meta_data', JSON.stringify(changes.appMetadata), '::jsonb');
	if (changes.userMetadata !== undefined)
		set('raw_user_meta_data', JSON.stringify(changes.userMetadata), '::jsonb');
	if (changes.bannedUntil !== undefined) set('banned_until', changes.bannedUntil);
	if (changes.lastSignIn) sets.push('last_sign_in_at = now()');
	if (changes.isAnonymous !== undefined) set('is_anonymous', changes.isAnonymous);
	try {
		await tx.query('savepoint parley_update_user');
		const { rows } = await tx.query<UserRow>(
			`update auth.users set ${sets.join(', ')} where id = $1 returning ${USER_COLUMNS}`,
			params
		);
		await tx.query('release savepoint parley_update_user');
		if (!rows[0]) throw new AuthApiError(404, 'user_not_found', 'User not found');
		return rows[0];
	} catch (error) {
		if (error instanceof AuthApiError) throw error;
		await tx.query('rollback to savepoint parley_update_user');
		if (sqlState(error) === '23505') {
			throw new AuthApiError(
				422,
				'email_exists',
				'A user with this email address has already been registered'
			);
		}
		console.error('[auth] updating a user failed:', (error as Error).message);
		throw new AuthApiError(500, 'unexpected_failure', 'Database error updating user');
	}
}

/**
 * Gives an anonymous user who set an email address its email identity, and records the provider in
 * app_metadata, as GoTrue does when an anonymous user links an email.
 */
export async function linkEmailIdentity(tx: Tx, user: UserRow): Promise<UserRow> {
	const identityData = {
		sub: user.id,
		email: user.email,
		email_verified: true,
		phone_verified: false
	};
	await tx.query(
		`insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
		values ($1, $2, $3::jsonb, 'email', now())`,
		[user.id, user.id, JSON.stringify(identityData)]
	);
	return updateUser(tx, user.id, {
		isAnonymous: false,
		appMetadata: { ...user.raw_app_meta_data, provider: 'email', providers: ['email'] },
		userMetadata: { ...identityData, ...user.raw_user_meta_data }
	});
}

/** Keeps the email identity in step with the user's email and confirmation. */
export async function syncEmailIdentity(tx: Tx, user: UserRow): Promise<void> {
	await tx.query(
		`update auth.identities
		set identity_data = identity_data || jsonb_build_object('email', $2::text, 'email_verified', $3::boolean),
			updated_at = now()
		where user_id = $1 and provider = 'email'`,
		[user.id, user.email, user.email_confirmed_at !== null]
	);
}

/** Whether the user is banned right now. */
export function isBanned(user: UserRow): boolean {
	return user.banned_until !== null && new Date(user.banned_until).getTime() > Date.now();
}
