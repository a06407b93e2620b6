import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Tx } from '../db.ts';
import { json } from '../http.ts';
import { pickRedirect } from './config.ts';
import { requireUser, type AuthEnv } from './env.ts';
import { AuthApiError } from './errors.ts';
import { readCodeChallenge, redeemAuthCode } from './links.ts';
import {
	metadata,
	optionalText,
	parseBody,
	redirectParam,
	validEmail,
	type AuthCall,
	type AuthRoute,
	type Outcome
} from './requests.ts';
import {
	endSessions,
	refreshSession,
	startSession,
	type AuthMethod,
	type SignOutScope
} from './sessions.ts';
import {
	findUserByEmail,
	findUserByPhone,
	hashPassword,
	insertUser,
	isBanned,
	linkEmailIdentity,
	mergeMetadata,
	passwordMatches,
	syncEmailIdentity,
	updateUser,
	userJson,
	type UserChanges,
	type UserRow
} from './users.ts';

const signUpBody = z.looseObject({
	email: optionalText,
	phone: optionalText,
	password: optionalText,
	data: metadata
});
const passwordGrantBody = z.looseObject({
	email: optionalText,
	phone: optionalText,
	password: optionalText
});
const updateUserBody = z.looseObject({
	email: optionalText,
	phone: optionalText,
	password: optionalText,
	data: metadata
});

/** The providers /settings lists; only email (and anonymous, when enabled) work locally. */
const EXTERNAL_PROVIDERS = [
	'apple',
	'azure',
	'bitbucket',
	'discord',
	'facebook',
	'figma',
	'github',
	'gitlab',
	'google',
	'keycloak',
	'kakao',
	'linkedin_oidc',
	'notion',
	'phone',
	'slack_oidc',
	'spotify',
	'twitch',
	'twitter',
	'workos',
	'zoom'
];

/**
 * The endpoints auth-js calls for a signed-out or signed-in user: sign-up (email or anonymous),
 * the token grants, the user, sign-out, settings and health.
 */
export function publicRoutes(env: AuthEnv): AuthRoute[] {
	const { config, issuer, limits } = env;

	/** POST /signup without email and phone: GoTrue's anonymous sign-in. */
	async function signUpAnonymously({ request, body }: AuthCall): Promise<Outcome> {
		if (!config.enableAnonymousSignIns) {
			throw new AuthApiError(422, 'anonymous_provider_disabled', 'Anonymous sign-ins are disabled');
		}
		limits.anonymous.take(request);
		if (!config.enableSignup)
			throw new AuthApiError(422, 'signup_disabled', 'Signups not allowed for this instance');
		const { data } = parseBody(signUpBody, body);
		return env.transaction(async (tx) => {
			const user = await insertUser(tx, { anonymous: true, userMetadata: data ?? {} });
			return { response: json(await startSession(tx, issuer, user, 'anonymous')) };
		});
	}

	/**
	 * A sign-up for an address that is already a confirmed user: GoTrue refuses in words while either
	 * confirmation is off, and otherwise answers a made-up unconfirmed user so addresses can't be probed.
	 */
	function repeatedSignUp(
		email: string,
		data: Record<string, unknown> | null | undefined
	): Outcome {
		if (config.mailerAutoconfirm || config.phoneAutoconfirm) {
			throw new AuthApiError(422, 'user_already_exists', 'User already registered');
		}
		const now = new Date().toISOString();
		return {
			response: json({
				id: randomUUID(),
				aud: 'authenticated',
				role: '',
				email,
				phone: '',
				confirmation_sent_at: now,
				app_metadata: { provider: 'email', providers: ['email'] },
				user_metadata: data ?? {},
				identities: [],
				created_at: now,
				updated_at: now,
				is_anonymous: false
			})
		};
	}

	async function signUp(call: AuthCall): Promise<Outcome> {
		const { request, body } = call;
		const params = parseBody(signUpBody, body);
		if (!params.email && !params.phone) return signUpAnonymously(call);
		limits.signInSignUp.take(request);
		if (!config.enableSignup)
			throw new AuthApiError(422, 'signup_disabled', 'Signups not allowed for this instance');
		if (!params.email) {
			// config.toml keeps [auth.sms] sign-ups off, and the local stack sends no SMS.
			throw new AuthApiError(
				422,
				'phone_provider_disabled',
				'Phone sign-ups are not supported by the local stack; sign up with an email address'
			);
		}
		if (!params.password)
			throw new AuthApiError(422, 'validation_failed', 'Signup requires a valid password');
		env.checkPassword(params.password);
		const email = validEmail(params.email);
		const pkce = readCodeChallenge(body);
		const passwordHash = await hashPassword(params.password);
		return env.transaction(async (tx) => {
			const existing = await findUserByEmail(tx, email);
			let user: UserRow;
			if (existing) {
				if (existing.email_confirmed_at) return repeatedSignUp(email, params.data);
				// An invited or unconfirmed user signing up claims the account.
				user = await updateUser(tx, existing.id, {
					passwordHash,
					userMetadata: mergeMetadata(existing.raw_user_meta_data, params.data)
				});
			} else {
				user = await insertUser(tx, { email, passwordHash, userMetadata: params.data ?? {} });
			}
			if (config.mailerAutoconfirm) {
				user = await updateUser(tx, user.id, {
					emailConfirmed: true,
					userMetadata: mergeMetadata(user.raw_user_meta_data, { email_verified: true })
				});
				await syncEmailIdentity(tx, user);
				return { response: json(await startSession(tx, issuer, user, 'password')) };
			}
			const send = await env.mailLink(
				tx,
				user,
				'signup',
				pickRedirect(config, redirectParam(request)),
				pkce
			);
			return { response: json(await userJson(tx, user)), afterCommit: send };
		});
	}

	async function passwordGrant({ request, body }: AuthCall): Promise<Outcome> {
		limits.signInSignUp.take(request);
		const params = parseBody(passwordGrantBody, body);
		// Refused before the password is checked, so a locked account tells a guesser nothing.
		const account = params.email ?? params.phone ?? '';
		limits.accountLock.check(account);
		return env.transaction(async (tx) => {
			const user = params.email
				? await findUserByEmail(tx, params.email)
				: params.phone
					? await findUserByPhone(tx, params.phone)
					: null;
			if (!user || !(await passwordMatches(params.password ?? '', user.encrypted_password))) {
				// Unknown accounts count too, so the lock does not tell which addresses exist.
				limits.accountLock.recordFailure(account);
				throw new AuthApiError(400, 'invalid_credentials', 'Invalid login credentials');
			}
			if (params.email && !user.email_confirmed_at) {
				throw new AuthApiError(400, 'email_not_confirmed', 'Email not confirmed');
			}
			if (isBanned(user)) throw new AuthApiError(400, 'user_banned', 'User is banned');
			limits.accountLock.clear(account);
			return { response: json(await startSession(tx, issuer, user, 'password')) };
		});
	}

	async function refreshTokenGrant({ request, body }: AuthCall): Promise<Outcome> {
		limits.tokenRefresh.take(request);
		const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : '';
		if (!refreshToken)
			throw new AuthApiError(400, 'validation_failed', 'A refresh_token is required');
		const result = await env.transaction((tx) => refreshSession(tx, issuer, refreshToken));
		// A detected reuse revokes the session's tokens; that is committed before the refusal.
		if ('refusal' in result) throw result.refusal;
		return { response: json(result.session) };
	}

	async function pkceGrant({ request, body }: AuthCall): Promise<Outcome> {
		limits.tokenRefresh.take(request);
		const authCode = typeof body.auth_code === 'string' ? body.auth_code : '';
		const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
		return env.transaction(async (tx) => {
			const { user, method } = await redeemAuthCode(tx, authCode, verifier);
			if (isBanned(user)) throw new AuthApiError(400, 'user_banned', 'User is banned');
			return { response: json(await startSession(tx, issuer, user, method as AuthMethod)) };
		});
	}

	function token(call: AuthCall): Promise<Outcome> {
		const grantType = new URL(call.request.url).searchParams.get('grant_type');
		if (grantType === 'password') return passwordGrant(call);
		if (grantType === 'refresh_token') return refreshTokenGrant(call);
		if (grantType === 'pkce') return pkceGrant(call);
		throw new AuthApiError(
			400,
			'validation_failed',
			`The grant type ${grantType ?? '(none)'} is not supported by the local stack; use password, refresh_token or pkce.`
		);
	}

	async function getUser({ request }: AuthCall): Promise<Outcome> {
		return env.transaction(async (tx) => {
			const { user } = await requireUser(tx, request);
			return { response: json(await userJson(tx, user)) };
		});
	}

	/** The email part of PUT /user: at once with autoconfirm; an anonymous user becomes permanent. */
	async function emailChange(
		tx: Tx,
		user: UserRow,
		requested: string,
		changes: UserChanges
	): Promise<boolean> {
		if (requested.toLowerCase() === user.email) return false;
		const email = validEmail(requested);
		if (await findUserByEmail(tx, email)) {
			throw new AuthApiError(
				422,
				'email_exists',
				'A user with this email address has already been registered'
			);
		}
		if (!config.mailerAutoconfirm) {
			throw new AuthApiError(
				422,
				'email_change_not_supported',
				'Changing an email address while [auth.email] enable_confirmations is on (a confirmation mail to each address) is not supported by the local stack'
			);
		}
		changes.email = email;
		changes.emailConfirmed = true;
		changes.userMetadata = mergeMetadata(changes.userMetadata ?? user.raw_user_meta_data, {
			email
		});
		return true;
	}

	async function putUser({ request, body }: AuthCall): Promise<Outcome> {
		const params = parseBody(updateUserBody, body);
		if (params.password) env.checkPassword(params.password);
		const newHash = params.password ? await hashPassword(params.password) : undefined;
		return env.transaction(async (tx) => {
			const { user, sessionId } = await requireUser(tx, request, true);
			const changes: UserChanges = {};
			if (params.data) changes.userMetadata = mergeMetadata(user.raw_user_meta_data, params.data);
			const emailChanged = params.email
				? await emailChange(tx, user, params.email, changes)
				: false;
			if (params.phone != null && params.phone !== (user.phone ?? '')) {
				throw new AuthApiError(
					422,
					'phone_provider_disabled',
					'Changing a phone number (an SMS code) is not supported by the local stack'
				);
			}
			if (params.password && newHash) {
				if (await passwordMatches(params.password, user.encrypted_password)) {
					throw new AuthApiError(
						422,
						'same_password',
						'New password should be different from the old password.'
					);
				}
				changes.passwordHash = newHash;
			}
			let updated = await updateUser(tx, user.id, changes);
			if (emailChanged) {
				if (user.is_anonymous) updated = await linkEmailIdentity(tx, updated);
				else await syncEmailIdentity(tx, updated);
			}
			let endedSessions: string[] = [];
			if (changes.passwordHash) {
				// GoTrue signs every other session out after a password change (User.UpdatePassword).
				endedSessions = await endSessions(tx, user.id, 'others', sessionId);
				await tx.query('delete from auth.one_time_tokens where user_id = $1', [user.id]);
			}
			return {
				response: json(await userJson(tx, updated)),
				afterCommit: env.revoked(user.id, endedSessions)
			};
		});
	}

	async function logout({ request }: AuthCall): Promise<Outcome> {
		const scope = new URL(request.url).searchParams.get('scope') ?? 'global';
		if (!['global', 'local', 'others'].includes(scope)) {
			throw new AuthApiError(
				400,
				'validation_failed',
				'Unsupported logout scope; use global, local or others'
			);
		}
		return env.transaction(async (tx) => {
			const { user, sessionId } = await requireUser(tx, request);
			const ended = await endSessions(tx, user.id, scope as SignOutScope, sessionId);
			return {
				response: new Response(null, { status: 204 }),
				afterCommit: env.revoked(user.id, ended)
			};
		});
	}

	function settings(): Outcome {
		return {
			response: json({
				external: {
					...Object.fromEntries(EXTERNAL_PROVIDERS.map((name) => [name, false])),
					anonymous_users: config.enableAnonymousSignIns,
					email: true
				},
				disable_signup: !config.enableSignup,
				mailer_autoconfirm: config.mailerAutoconfirm,
				phone_autoconfirm: config.phoneAutoconfirm,
				sms_provider: 'twilio',
				saml_enabled: false
			})
		};
	}

	const health = (): Outcome => ({
		response: json({ version: 'parley-local', name: 'GoTrue', description: 'Local Supabase Auth' })
	});

	return [
		{ method: 'GET', path: '/settings', handle: settings },
		{ method: 'GET', path: '/health', handle: health },
		// HS256 tokens carry no kid, so auth-js verifies them through GET /user, never through these keys.
		{
			method: 'GET',
			path: '/.well-known/jwks.json',
			handle: () => ({ response: json({ keys: [] }) })
		},
		{ method: 'POST', path: '/signup', handle: signUp },
		{ method: 'POST', path: '/token', handle: token },
		{ method: 'GET', path: '/user', handle: getUser },
		{ method: 'PUT', path: '/user', handle: putUser },
		{ method: 'POST', path: '/logout', handle: logout }
	];
}
