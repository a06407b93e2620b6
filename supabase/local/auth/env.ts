import type { StackContext } from '../context.ts';
import type { Tx } from '../db.ts';
import { effectiveToken, JwtError, verifyJwt, type JwtClaims } from '../jwt.ts';
import type { AuthConfig } from './config.ts';
import { AuthApiError } from './errors.ts';
import { createEmailLink, linkMail, type CodeChallenge, type LinkType } from './links.ts';
import { AccountLock, AddressRateLimit, FIVE_MINUTES_MS } from './rate-limits.ts';
import type { TokenIssuer } from './sessions.ts';
import { findUserById, type UserRow } from './users.ts';

/** Everything the endpoint modules share: settings, limits, the database and the stack's events. */
export interface AuthEnv {
	config: AuthConfig;
	/** `<stack url>/auth/v1`, the `iss` of tokens and the base of emailed links. */
	authUrl: string;
	issuer: TokenIssuer;
	limits: {
		signInSignUp: AddressRateLimit;
		tokenRefresh: AddressRateLimit;
		verify: AddressRateLimit;
		anonymous: AddressRateLimit;
		accountLock: AccountLock;
	};
	transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
	/** Tells realtime (after commit) that sessions ended, so sockets using them close. */
	revoked(userId: string, sessionIds: string[]): () => void;
	/** Creates a link for a user and returns the delivery of its mail, to run after the commit. */
	mailLink(
		tx: Tx,
		user: UserRow,
		type: LinkType,
		redirectTo: string,
		pkce: CodeChallenge | null
	): Promise<() => void>;
	/** Refuses a password shorter than minimum_password_length with GoTrue's 422 weak_password. */
	checkPassword(password: string): void;
}

const HOUR_MS = 60 * 60_000;

/** Builds the shared state of the local Auth from the stack and the `[auth]` settings. */
export function createAuthEnv(context: StackContext, config: AuthConfig): AuthEnv {
	const authUrl = `${context.url}/auth/v1`;
	return {
		config,
		authUrl,
		issuer: { config, issuer: authUrl },
		limits: {
			signInSignUp: new AddressRateLimit(config.rateLimits.signInSignUps),
			tokenRefresh: new AddressRateLimit(config.rateLimits.tokenRefresh),
			verify: new AddressRateLimit(config.rateLimits.tokenVerifications, {
				ms: FIVE_MINUTES_MS,
				burst: 'capped'
			}),
			anonymous: new AddressRateLimit(config.rateLimits.anonymousUsers, {
				ms: HOUR_MS,
				burst: 'whole'
			}),
			accountLock: new AccountLock(config.accountLock)
		},
		transaction: (fn) => context.db.transaction(fn),
		revoked: (userId, sessionIds) => () => {
			if (sessionIds.length > 0) context.events.emit('sessions-revoked', { userId, sessionIds });
		},
		async mailLink(tx, user, type, redirectTo, pkce) {
			const link = await createEmailLink(tx, { user, type, redirectTo, authUrl, config, pkce });
			return () => context.mailbox.push(linkMail(user.email ?? '', link));
		},
		checkPassword(password) {
			// GoTrue's checkPasswordStrength: every failed rule adds a reason and a sentence.
			const reasons: string[] = [];
			const sentences: string[] = [];
			if ([...password].length < config.minimumPasswordLength) {
				reasons.push('length');
				sentences.push(`Password should be at least ${config.minimumPasswordLength} characters.`);
			}
			const sets = config.requiredCharacters;
			if (sets.some((set) => ![...password].some((character) => set.includes(character)))) {
				reasons.push('characters');
				sentences.push(
					`Password should contain at least one character of each: ${sets.join(', ')}.`
				);
			}
			if (reasons.length > 0) {
				throw new AuthApiError(422, 'weak_password', sentences.join(' '), {
					weak_password: { reasons }
				});
			}
		}
	};
}

/** The caller's verified claims; Auth answers 401/403 in GoTrue's words otherwise. */
export async function claimsOf(request: Request): Promise<JwtClaims> {
	const token = effectiveToken(request.headers.get('authorization'), request.headers.get('apikey'));
	if (!token)
		throw new AuthApiError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
	try {
		return await verifyJwt(token);
	} catch (error) {
		const reason = error instanceof JwtError ? error.message : 'invalid token';
		throw new AuthApiError(
			403,
			'bad_jwt',
			`invalid JWT: unable to parse or verify signature, ${reason}`
		);
	}
}

/** The signed-in user and session behind a user endpoint call. */
export async function requireUser(
	tx: Tx,
	request: Request,
	forUpdate = false
): Promise<{ user: UserRow; sessionId: string | null }> {
	const claims = await claimsOf(request);
	if (!claims.sub) throw new AuthApiError(403, 'bad_jwt', 'invalid claim: missing sub claim');
	const user = await findUserById(tx, claims.sub, forUpdate);
	if (!user)
		throw new AuthApiError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
	const sessionId = typeof claims.session_id === 'string' ? claims.session_id : null;
	if (sessionId) {
		const { rows } = await tx.query('select 1 from auth.sessions where id = $1 and user_id = $2', [
			sessionId,
			user.id
		]);
		if (rows.length === 0) {
			throw new AuthApiError(
				403,
				'session_not_found',
				'Session from session_id claim in JWT does not exist'
			);
		}
	}
	return { user, sessionId };
}

/** Admin endpoints need a token whose role is service_role, as GoTrue's requireAdmin checks. */
export async function requireAdmin(request: Request): Promise<void> {
	const claims = await claimsOf(request);
	if (claims.role !== 'service_role') throw new AuthApiError(403, 'not_admin', 'User not allowed');
}
