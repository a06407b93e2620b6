import { randomBytes } from 'node:crypto';
import type { Tx } from '../db.ts';
import { signJwt } from '../jwt.ts';
import type { AuthConfig } from './config.ts';
import { AuthApiError } from './errors.ts';
import { findUserById, isBanned, userJson, type UserRow } from './users.ts';
import type { LinkType } from './links.ts';

/** How a session was started; becomes the `amr` claim. */
export type AuthMethod = 'password' | 'otp' | 'anonymous' | LinkType;

/** Everything minting tokens needs besides the database. */
export interface TokenIssuer {
	config: AuthConfig;
	/** `iss` claim: `<stack url>/auth/v1`. */
	issuer: string;
}

/** A session answer: what auth-js stores and hands to @supabase/ssr. */
export interface SessionJson {
	access_token: string;
	token_type: 'bearer';
	expires_in: number;
	expires_at: number;
	refresh_token: string;
	user: Record<string, unknown>;
}

/**
 * Refresh tokens carry their session id (as GoTrue's newer tokens do) followed by random bytes, so
 * tokens of one session are recognisable when reading the tables.
 */
function newRefreshToken(sessionId: string): string {
	const session = Buffer.from(sessionId.replace(/-/g, ''), 'hex');
	return Buffer.concat([session, randomBytes(12)]).toString('base64url');
}

async function accessToken(
	tx: Tx,
	issuer: TokenIssuer,
	user: UserRow,
	sessionId: string
): Promise<{ token: string; expiresAt: number }> {
	const { rows } = await tx.query<{ authentication_method: string; created_at: Date }>(
		'select authentication_method, created_at from auth.mfa_amr_claims where session_id = $1 order by created_at',
		[sessionId]
	);
	const iat = Math.floor(Date.now() / 1000);
	const expiresAt = iat + issuer.config.jwtExpiry;
	const token = await signJwt({
		iss: issuer.issuer,
		sub: user.id,
		aud: user.aud ?? 'authenticated',
		exp: expiresAt,
		iat,
		email: user.email ?? '',
		phone: user.phone ?? '',
		app_metadata: user.raw_app_meta_data ?? {},
		user_metadata: user.raw_user_meta_data ?? {},
		role: user.role || 'authenticated',
		aal: 'aal1',
		amr: rows.map((row) => ({
			method: row.authentication_method,
			timestamp: Math.floor(new Date(row.created_at).getTime() / 1000)
		})),
		session_id: sessionId,
		is_anonymous: user.is_anonymous
	});
	return { token, expiresAt };
}

async function sessionJson(
	tx: Tx,
	issuer: TokenIssuer,
	user: UserRow,
	sessionId: string,
	refreshToken: string
): Promise<SessionJson> {
	const { token, expiresAt } = await accessToken(tx, issuer, user, sessionId);
	return {
		access_token: token,
		token_type: 'bearer',
		expires_in: issuer.config.jwtExpiry,
		expires_at: expiresAt,
		refresh_token: refreshToken,
		user: await userJson(tx, user)
	};
}

/** Starts a session for a user who just proved who they are, and marks the sign-in. */
export async function startSession(
	tx: Tx,
	issuer: TokenIssuer,
	user: UserRow,
	method: AuthMethod
): Promise<SessionJson> {
	const { rows } = await tx.query<{ id: string }>(
		`insert into auth.sessions (user_id, aal, refreshed_at) values ($1, 'aal1', now()) returning id`,
		[user.id]
	);
	const sessionId = rows[0].id;
	await tx.query(
		'insert into auth.mfa_amr_claims (session_id, authentication_method) values ($1, $2)',
		[sessionId, method]
	);
	const refreshToken = newRefreshToken(sessionId);
	await tx.query(
		'insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)',
		[refreshToken, user.id, sessionId]
	);
	const signedIn = await tx.query<Pick<UserRow, 'last_sign_in_at'>>(
		'update auth.users set last_sign_in_at = now() where id = $1 returning last_sign_in_at',
		[user.id]
	);
	await tx.query(`update auth.identities set last_sign_in_at = now() where user_id = $1`, [
		user.id
	]);
	return sessionJson(
		tx,
		issuer,
		{ ...user, last_sign_in_at: signedIn.rows[0].last_sign_in_at },
		sessionId,
		refreshToken
	);
}

interface RefreshTokenRow {
	id: string;
	token: string;
	user_id: string;
	session_id: string;
	revoked: boolean;
	parent: string | null;
	updated_at: Date;
}

/**
 * The refresh-token grant with GoTrue's rotation rules: a token is swapped once; its parent may be
 * replayed (the client lost the answer) and gets the current token back; any other revoked token
 * inside the reuse interval is swapped again; outside it every token of the session is revoked
 * (with rotation on) and the refusal says the token was already used. A token of an ended session
 * is gone with it, so it is "not found", as GoTrue answers.
 * Returns the refusal to raise after commit, since the revocation must persist.
 */
export async function refreshSession(
	tx: Tx,
	issuer: TokenIssuer,
	token: string
): Promise<{ session: SessionJson } | { refusal: AuthApiError }> {
	const { rows } = await tx.query<RefreshTokenRow>(
		'select * from auth.refresh_tokens where token = $1 for update',
		[token]
	);
	const current = rows[0];
	const user = current ? await findUserById(tx, current.user_id) : null;
	if (!current || !user) {
		throw new AuthApiError(
			400,
			'refresh_token_not_found',
			'Invalid Refresh Token: Refresh Token Not Found'
		);
	}
	if (isBanned(user))
		throw new AuthApiError(400, 'user_banned', 'Invalid Refresh Token: User Banned');
	await tx.query('select 1 from auth.sessions where id = $1 for update', [current.session_id]);

	let issued: string | null = null;
	if (current.revoked) {
		const active = await tx.query<RefreshTokenRow>(
			'select * from auth.refresh_tokens where session_id = $1 and not revoked order by id desc limit 1',
			[current.session_id]
		);
		if (active.rows[0]?.parent === current.token) {
			issued = active.rows[0].token;
		} else {
			const reuseUntil =
				new Date(current.updated_at).getTime() + issuer.config.refreshTokenReuseInterval * 1000;
			if (Date.now() > reuseUntil) {
				// A replayed token may be stolen: no token of its session may be swapped any more.
				if (issuer.config.refreshTokenRotation) {
					await tx.query(
						'update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and not revoked',
						[current.session_id]
					);
				}
				return {
					refusal: new AuthApiError(
						400,
						'refresh_token_already_used',
						'Invalid Refresh Token: Already Used'
					)
				};
			}
		}
	}
	if (!issued) {
		await tx.query(
			'update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1',
			[current.id]
		);
		issued = newRefreshToken(current.session_id);
		await tx.query(
			'insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)',
			[issued, user.id, current.session_id, current.token]
		);
	}
	await tx.query(
		'update auth.sessions set refreshed_at = now(), updated_at = now() where id = $1',
		[current.session_id]
	);
	return { session: await sessionJson(tx, issuer, user, current.session_id, issued) };
}

/** Which sessions a sign-out ends. */
export type SignOutScope = 'global' | 'local' | 'others';

/** Deletes sessions (their refresh tokens cascade) and returns the ids that ended. */
export async function endSessions(
	tx: Tx,
	userId: string,
	scope: SignOutScope,
	currentSessionId: string | null
): Promise<string[]> {
	let result;
	if (scope === 'local') {
		result = await tx.query<{ id: string }>(
			'delete from auth.sessions where id = $1 and user_id = $2 returning id',
			[currentSessionId, userId]
		);
	} else if (scope === 'others') {
		result = await tx.query<{ id: string }>(
			'delete from auth.sessions where user_id = $1 and id is distinct from $2::uuid returning id',
			[userId, currentSessionId]
		);
	} else {
		result = await tx.query<{ id: string }>(
			'delete from auth.sessions where user_id = $1 returning id',
			[userId]
		);
	}
	return result.rows.map((row) => row.id);
}
