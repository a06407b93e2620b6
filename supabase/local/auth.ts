import { z } from 'zod';
import type { StackContext, StackService } from './context.ts';
import type { Tx } from './db.ts';
import { json } from './http.ts';
import { effectiveToken, JwtError, verifyJwt, type JwtClaims } from './jwt.ts';
import { loadAuthConfig, pickRedirect, type AuthConfig } from './auth/config.ts';
import { AuthApiError, authErrorResponse, requestedApiVersion } from './auth/errors.ts';
import { AccountLock, AddressRateLimit } from './auth/rate-limits.ts';
import {
	createEmailLink,
	linkMail,
	readCodeChallenge,
	redeemAuthCode,
	redeemEmailLink,
	type CodeChallenge,
	type EmailLink,
	type LinkType
} from './auth/links.ts';
import {
	endSessions,
	refreshSession,
	startSession,
	type AuthMethod,
	type SignOutScope,
	type TokenIssuer
} from './auth/sessions.ts';
import {
	findUserByEmail,
	findUserById,
	findUserByPhone,
	hashPassword,
	insertUser,
	isBanned,
	mergeMetadata,
	passwordMatches,
	syncEmailIdentity,
	updateUser,
	userJson,
	type UserChanges,
	type UserRow
} from './auth/users.ts';

type Body = Record<string, unknown>;

/** A handler's answer plus what must happen only once its transaction has committed. */
interface Outcome {
	response: Response;
	afterCommit?: () => void;
}

const metadata = z.record(z.string(), z.unknown()).nullish();
const optionalText = z.string().nullish();

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
const adminUserBody = z.looseObject({
	id: optionalText,
	email: optionalText,
	phone: optionalText,
	password: optionalText,
	email_confirm: z.boolean().nullish(),
	phone_confirm: z.boolean().nullish(),
	user_metadata: metadata,
	app_metadata: metadata,
	role: optionalText,
	ban_duration: optionalText
});
const generateLinkBody = z.looseObject({
	type: z.string(),
	email: z.string(),
	password: optionalText,
	data: metadata,
	redirect_to: optionalText,
	redirectTo: optionalText
});

const emailFormat = z.email();

/** Validates an address the way GoTrue words it. */
function validEmail(email: string): string {
	if (email.length > 255 || !emailFormat.safeParse(email).success) {
		throw new AuthApiError(
			400,
			'validation_failed',
			'Unable to validate email address: invalid format'
		);
	}
	return email.toLowerCase();
}

/** Parses a body with a schema, answering GoTrue's 400 in words when it does not fit. */
function parseBody<T>(schema: z.ZodType<T>, body: Body): T {
	const result = schema.safeParse(body);
	if (!result.success) {
		const issue = result.error.issues[0];
		throw new AuthApiError(
			400,
			'validation_failed',
			`The request body is not valid: ${issue.path.join('.') || 'body'} ${issue.message.toLowerCase()}.`
		);
	}
	return result.data;
}

/** Go's time.ParseDuration for ban_duration ("24h", "1h30m", "876000h"), in milliseconds. */
function parseBanDuration(value: string): number {
	const units: Record<string, number> = {
		ns: 1e-6,
		us: 1e-3,
		µs: 1e-3,
		ms: 1,
		s: 1000,
		m: 60_000,
		h: 3_600_000
	};
	const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
	if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) {
		throw new AuthApiError(
			400,
			'validation_failed',
			'invalid format for ban duration: use a duration such as "24h" or "none"'
		);
	}
	return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit], 0);
}

/** GoTrue Auth for the local stack: sign-up, sessions, links, and the admin API, on auth.* tables. */
export async function createAuthService(context: StackContext): Promise<StackService> {
	const config: AuthConfig = await loadAuthConfig(context.supabaseDir);
	const authUrl = `${context.url}/auth/v1`;
	const issuer: TokenIssuer = { config, issuer: authUrl };
	const signInSignUpLimit = new AddressRateLimit(config.rateLimits.signInSignUps);
	const tokenRefreshLimit = new AddressRateLimit(config.rateLimits.tokenRefresh);
	const accountLock = new AccountLock(config.accountLock);

	const transaction = <T>(fn: (tx: Tx) => Promise<T>) => context.db.transaction(fn);

	const revoked = (userId: string, sessionIds: string[]) => () => {
		if (sessionIds.length > 0) context.events.emit('sessions-revoked', { userId, sessionIds });
	};

	function checkPassword(password: string) {
		if ([...password].length < config.minimumPasswordLength) {
			throw new AuthApiError(
				422,
				'weak_password',
				`Password should be at least ${config.minimumPasswordLength} characters.`,
				{ weak_password: { reasons: ['length'] } }
			);
		}
	}

	/** The caller's verified claims; Auth answers 401/403 in GoTrue's words otherwise. */
	async function claimsOf(request: Request): Promise<JwtClaims> {
		const token = effectiveToken(
			request.headers.get('authorization'),
			request.headers.get('apikey')
		);
		if (!token)
			throw new AuthApiError(
				401,
				'no_authorization',
				'This endpoint requires a valid Bearer token'
			);
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
	async function requireUser(
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
			const { rows } = await tx.query(
				'select 1 from auth.sessions where id = $1 and user_id = $2',
				[sessionId, user.id]
			);
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

	async function requireAdmin(request: Request): Promise<void> {
		const claims = await claimsOf(request);
		if (claims.role !== 'service_role')
			throw new AuthApiError(403, 'not_admin', 'User not allowed');
	}

	/** Creates a link for a user and queues its mail for after the commit. */
	async function mailLink(
		tx: Tx,
		user: UserRow,
		type: LinkType,
		redirectTo: string,
		pkce: CodeChallenge | null
	): Promise<() => void> {
		const link = await createEmailLink(tx, { user, type, redirectTo, authUrl, config, pkce });
		return () => context.mailbox.push(linkMail(user.email ?? '', link));
	}

	const redirectParam = (request: Request) => new URL(request.url).searchParams.get('redirect_to');

	// ------------------------------------------------------------------ public endpoints

	async function signUp(request: Request, body: Body): Promise<Outcome> {
		signInSignUpLimit.take(request);
		const params = parseBody(signUpBody, body);
		if (!config.enableSignup)
			throw new AuthApiError(422, 'signup_disabled', 'Signups not allowed for this instance');
		if (!params.email && !params.phone) {
			throw new AuthApiError(400, 'validation_failed', 'To signup, please provide your email');
		}
		if (!params.email) {
			// config.toml keeps [auth.sms] sign-ups off, and the local stack sends no SMS.
			throw new AuthApiError(
				422,
				'phone_provider_disabled',
				'Phone sign-ups are disabled; sign up with an email address'
			);
		}
		if (!params.password)
			throw new AuthApiError(422, 'validation_failed', 'Signup requires a valid password');
		checkPassword(params.password);
		const email = params.email ? validEmail(params.email) : null;
		const pkce = readCodeChallenge(body);
		const passwordHash = await hashPassword(params.password);
		return transaction(async (tx) => {
			const existing = email
				? await findUserByEmail(tx, email)
				: await findUserByPhone(tx, params.phone ?? '');
			let user: UserRow;
			if (existing) {
				if (existing.email_confirmed_at || existing.phone_confirmed_at) {
					throw new AuthApiError(422, 'user_already_exists', 'User already registered');
				}
				// An invited or unconfirmed user signing up claims the account, as in GoTrue.
				user = await updateUser(tx, existing.id, {
					passwordHash,
					userMetadata: mergeMetadata(existing.raw_user_meta_data, params.data)
				});
			} else {
				user = await insertUser(tx, {
					email,
					phone: email ? null : params.phone,
					passwordHash,
					userMetadata: params.data ?? {}
				});
			}
			if (config.mailerAutoconfirm) {
				user = await updateUser(tx, user.id, {
					emailConfirmed: Boolean(email),
					phoneConfirmed: !email,
					userMetadata: mergeMetadata(user.raw_user_meta_data, { email_verified: Boolean(email) })
				});
				await syncEmailIdentity(tx, user);
				const session = await startSession(tx, issuer, user, 'password');
				return { response: json(session) };
			}
			const send = await mailLink(
				tx,
				user,
				'signup',
				pickRedirect(config, redirectParam(request)),
				pkce
			);
			return { response: json(await userJson(tx, user)), afterCommit: send };
		});
	}

	async function token(request: Request, body: Body): Promise<Outcome> {
		const grantType = new URL(request.url).searchParams.get('grant_type');
		if (grantType === 'password') {
			signInSignUpLimit.take(request);
			const params = parseBody(passwordGrantBody, body);
			// Refused before the password is checked, so a locked account tells a guesser nothing.
			const account = params.email ?? params.phone ?? '';
			accountLock.check(account);
			return transaction(async (tx) => {
				const user = params.email
					? await findUserByEmail(tx, params.email)
					: params.phone
						? await findUserByPhone(tx, params.phone)
						: null;
				if (!user || !(await passwordMatches(params.password ?? '', user.encrypted_password))) {
					// Unknown accounts count too, so the lock does not tell which addresses exist.
					accountLock.recordFailure(account);
					throw new AuthApiError(400, 'invalid_credentials', 'Invalid login credentials');
				}
				if (params.email && !user.email_confirmed_at) {
					throw new AuthApiError(400, 'email_not_confirmed', 'Email not confirmed');
				}
				if (isBanned(user)) throw new AuthApiError(400, 'user_banned', 'User is banned');
				accountLock.clear(account);
				return { response: json(await startSession(tx, issuer, user, 'password')) };
			});
		}
		if (grantType === 'refresh_token' || grantType === 'pkce') tokenRefreshLimit.take(request);
		if (grantType === 'refresh_token') {
			const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : '';
			if (!refreshToken)
				throw new AuthApiError(400, 'validation_failed', 'A refresh_token is required');
			const result = await transaction((tx) => refreshSession(tx, issuer, refreshToken));
			// Reuse outside the interval ends the session; that is committed before the refusal.
			if ('error' in result) {
				const { userId, sessionId } = result.endedSession;
				context.events.emit('sessions-revoked', { userId, sessionIds: [sessionId] });
				throw result.error;
			}
			return { response: json(result.session) };
		}
		if (grantType === 'pkce') {
			const authCode = typeof body.auth_code === 'string' ? body.auth_code : '';
			const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
			return transaction(async (tx) => {
				const { user, method } = await redeemAuthCode(tx, authCode, verifier);
				if (isBanned(user)) throw new AuthApiError(400, 'user_banned', 'User is banned');
				return { response: json(await startSession(tx, issuer, user, method as AuthMethod)) };
			});
		}
		throw new AuthApiError(
			400,
			'validation_failed',
			`The grant type ${grantType ?? '(none)'} is not supported by the local stack; use password, refresh_token or pkce.`
		);
	}

	async function getUser(request: Request): Promise<Outcome> {
		return transaction(async (tx) => {
			const { user } = await requireUser(tx, request);
			return { response: json(await userJson(tx, user)) };
		});
	}

	async function putUser(request: Request, body: Body): Promise<Outcome> {
		const params = parseBody(updateUserBody, body);
		if (params.password) checkPassword(params.password);
		const newHash = params.password ? await hashPassword(params.password) : undefined;
		return transaction(async (tx) => {
			const { user, sessionId } = await requireUser(tx, request, true);
			const changes: UserChanges = {};
			if (params.data) changes.userMetadata = mergeMetadata(user.raw_user_meta_data, params.data);
			if (params.email && params.email.toLowerCase() !== user.email) {
				const email = validEmail(params.email);
				if (await findUserByEmail(tx, email)) {
					throw new AuthApiError(
						422,
						'email_exists',
						'A user with this email address has already been registered'
					);
				}
				// With mailer_autoconfirm GoTrue changes the address at once instead of mailing both addresses.
				changes.email = email;
				changes.userMetadata = mergeMetadata(changes.userMetadata ?? user.raw_user_meta_data, {
					email
				});
			}
			if (
				params.phone !== undefined &&
				params.phone !== null &&
				params.phone !== (user.phone ?? '')
			) {
				changes.phone = params.phone;
			}
			let endedSessions: string[] = [];
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
			const updated = await updateUser(tx, user.id, changes);
			if (changes.email) await syncEmailIdentity(tx, updated);
			if (changes.passwordHash) {
				// GoTrue signs every other session out after a password change (User.UpdatePassword).
				endedSessions = await endSessions(tx, user.id, 'others', sessionId);
				await tx.query('delete from auth.one_time_tokens where user_id = $1', [user.id]);
			}
			return {
				response: json(await userJson(tx, updated)),
				afterCommit: revoked(user.id, endedSessions)
			};
		});
	}

	async function logout(request: Request): Promise<Outcome> {
		const scopeParam = new URL(request.url).searchParams.get('scope') ?? 'global';
		if (!['global', 'local', 'others'].includes(scopeParam)) {
			throw new AuthApiError(
				400,
				'validation_failed',
				'Unsupported logout scope; use global, local or others'
			);
		}
		return transaction(async (tx) => {
			const { user, sessionId } = await requireUser(tx, request);
			const ended = await endSessions(tx, user.id, scopeParam as SignOutScope, sessionId);
			return {
				response: new Response(null, { status: 204 }),
				afterCommit: revoked(user.id, ended)
			};
		});
	}

	async function otp(request: Request, body: Body): Promise<Outcome> {
		if (typeof body.email !== 'string') {
			throw new AuthApiError(
				400,
				'validation_failed',
				'Only email one-time links are supported by the local stack'
			);
		}
		const email = validEmail(body.email);
		const pkce = readCodeChallenge(body);
		const createUser = body.create_user !== false;
		const data = parseBody(z.looseObject({ data: metadata }), body).data;
		return transaction(async (tx) => {
			let user = await findUserByEmail(tx, email);
			let type: LinkType = 'magiclink';
			if (!user) {
				if (!createUser || !config.enableSignup) {
					throw new AuthApiError(422, 'otp_disabled', 'Signups not allowed for otp');
				}
				user = await insertUser(tx, { email, userMetadata: data ?? {} });
				type = 'signup';
			} else if (!user.email_confirmed_at) {
				type = 'signup';
			}
			const send = await mailLink(
				tx,
				user,
				type,
				pickRedirect(config, redirectParam(request)),
				pkce
			);
			return { response: json({}), afterCommit: send };
		});
	}

	async function recover(request: Request, body: Body): Promise<Outcome> {
		const email = validEmail(typeof body.email === 'string' ? body.email : '');
		const pkce = readCodeChallenge(body);
		return transaction(async (tx) => {
			const user = await findUserByEmail(tx, email);
			// GoTrue answers alike whether or not the address is known, so accounts cannot be probed.
			if (!user) return { response: json({}) };
			const send = await mailLink(
				tx,
				user,
				'recovery',
				pickRedirect(config, redirectParam(request)),
				pkce
			);
			return { response: json({}), afterCommit: send };
		});
	}

	/** GET /verify: the link in a mail. Confirms, then sends the browser on with tokens or a code. */
	async function verifyLink(request: Request): Promise<Outcome> {
		const query = new URL(request.url).searchParams;
		const redirectTo = pickRedirect(config, query.get('redirect_to'));
		try {
			return await transaction(async (tx) => {
				const { user, authCode } = await redeemEmailLink(tx, config, {
					type: query.get('type') ?? '',
					token: query.get('token') ?? ''
				});
				const target = new URL(redirectTo);
				if (authCode) {
					target.searchParams.set('code', authCode);
				} else {
					const session = await startSession(tx, issuer, user, 'otp');
					target.hash = new URLSearchParams({
						access_token: session.access_token,
						expires_at: String(session.expires_at),
						expires_in: String(session.expires_in),
						refresh_token: session.refresh_token,
						token_type: 'bearer',
						type: query.get('type') ?? ''
					}).toString();
				}
				return {
					response: new Response(null, { status: 303, headers: { location: target.toString() } })
				};
			});
		} catch (error) {
			if (!(error instanceof AuthApiError)) throw error;
			const target = new URL(redirectTo);
			const details = new URLSearchParams({
				error: error.status === 403 ? 'access_denied' : 'server_error',
				error_code: error.code,
				error_description: error.message
			}).toString();
			target.hash = details;
			return {
				response: new Response(null, { status: 303, headers: { location: target.toString() } })
			};
		}
	}

	/** POST /verify: verifyOtp with a token hash or an emailed code; answers with a session. */
	async function verifyOtp(body: Body): Promise<Outcome> {
		const type = typeof body.type === 'string' ? body.type : '';
		const tokenHash = typeof body.token_hash === 'string' ? body.token_hash : undefined;
		const email = typeof body.email === 'string' ? body.email : undefined;
		const code = typeof body.token === 'string' ? body.token : undefined;
		if (!tokenHash && !(email && code)) {
			throw new AuthApiError(
				400,
				'validation_failed',
				'Verify requires either a token_hash or an email and token'
			);
		}
		return transaction(async (tx) => {
			const { user } = await redeemEmailLink(tx, config, {
				type,
				token: tokenHash,
				email,
				otp: code
			});
			return { response: json(await startSession(tx, issuer, user, 'otp')) };
		});
	}

	function settings(): Outcome {
		const providers = [
			'anonymous_users',
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
		return {
			response: json({
				external: { ...Object.fromEntries(providers.map((name) => [name, false])), email: true },
				disable_signup: !config.enableSignup,
				mailer_autoconfirm: config.mailerAutoconfirm,
				phone_autoconfirm: false,
				sms_provider: 'twilio',
				saml_enabled: false
			})
		};
	}

	// ------------------------------------------------------------------ admin endpoints

	async function invite(request: Request, body: Body): Promise<Outcome> {
		await requireAdmin(request);
		const email = validEmail(typeof body.email === 'string' ? body.email : '');
		const data = parseBody(z.looseObject({ data: metadata }), body).data;
		const pkce = readCodeChallenge(body);
		return transaction(async (tx) => {
			let user = await findUserByEmail(tx, email);
			if (user?.email_confirmed_at) {
				throw new AuthApiError(
					422,
					'email_exists',
					'A user with this email address has already been registered'
				);
			}
			user ??= await insertUser(tx, { email, userMetadata: data ?? {}, invited: true });
			const send = await mailLink(
				tx,
				user,
				'invite',
				pickRedirect(config, redirectParam(request)),
				pkce
			);
			const invited = (await findUserById(tx, user.id)) as UserRow;
			return { response: json(await userJson(tx, invited)), afterCommit: send };
		});
	}

	async function generateLink(request: Request, body: Body): Promise<Outcome> {
		await requireAdmin(request);
		const params = parseBody(generateLinkBody, body);
		const type = params.type as LinkType;
		if (!['signup', 'invite', 'magiclink', 'recovery'].includes(type)) {
			throw new AuthApiError(
				400,
				'validation_failed',
				`Invalid email action link type requested: ${params.type}; the local stack makes signup, invite, magiclink and recovery links`
			);
		}
		const email = validEmail(params.email);
		const redirectTo = pickRedirect(
			config,
			redirectParam(request),
			params.redirect_to,
			params.redirectTo
		);
		// Not in GoTrue's admin API: a code challenge here makes a PKCE link, as signInWithOtp would.
		const pkce = readCodeChallenge(body);
		let passwordHash: string | undefined;
		if (type === 'signup') {
			if (!params.password)
				throw new AuthApiError(422, 'validation_failed', 'Signup requires a valid password');
			checkPassword(params.password);
			passwordHash = await hashPassword(params.password);
		}
		return transaction(async (tx) => {
			let user = await findUserByEmail(tx, email);
			let linkType = type;
			if (!user) {
				if (type === 'recovery')
					throw new AuthApiError(404, 'user_not_found', 'User with this email not found');
				// A magic link for an unknown address signs the user up, as GoTrue does.
				if (type === 'magiclink') linkType = 'signup';
				user = await insertUser(tx, {
					email,
					passwordHash,
					userMetadata: params.data ?? {},
					invited: type === 'invite'
				});
			} else if ((type === 'invite' || type === 'signup') && user.email_confirmed_at) {
				throw new AuthApiError(
					422,
					'email_exists',
					'A user with this email address has already been registered'
				);
			} else if (type === 'signup' && params.data) {
				user = await updateUser(tx, user.id, {
					userMetadata: mergeMetadata(user.raw_user_meta_data, params.data)
				});
			}
			const link: EmailLink = await createEmailLink(tx, {
				user,
				type: linkType,
				redirectTo,
				authUrl,
				config,
				pkce
			});
			const fresh = (await findUserById(tx, user.id)) as UserRow;
			return {
				response: json({
					...(await userJson(tx, fresh)),
					action_link: link.actionLink,
					email_otp: link.emailOtp,
					hashed_token: link.hashedToken,
					verification_type: linkType,
					redirect_to: link.redirectTo
				})
			};
		});
	}

	async function adminCreateUser(request: Request, body: Body): Promise<Outcome> {
		await requireAdmin(request);
		const params = parseBody(adminUserBody, body);
		const email = params.email ? validEmail(params.email) : null;
		if (!email && !params.phone) {
			throw new AuthApiError(
				400,
				'validation_failed',
				'Creating a user requires an email or a phone number'
			);
		}
		if (params.password) checkPassword(params.password);
		const passwordHash = params.password ? await hashPassword(params.password) : null;
		const banMs =
			params.ban_duration && params.ban_duration !== 'none'
				? parseBanDuration(params.ban_duration)
				: 0;
		return transaction(async (tx) => {
			if (email && (await findUserByEmail(tx, email))) {
				throw new AuthApiError(
					422,
					'email_exists',
					'A user with this email address has already been registered'
				);
			}
			if (params.phone && (await findUserByPhone(tx, params.phone))) {
				throw new AuthApiError(
					422,
					'phone_exists',
					'A user with this phone number has already been registered'
				);
			}
			const user = await insertUser(tx, {
				id: params.id ?? undefined,
				email,
				phone: params.phone ?? null,
				passwordHash,
				role: params.role ?? null,
				emailConfirmed: Boolean(params.email_confirm),
				phoneConfirmed: Boolean(params.phone_confirm),
				appMetadata: mergeMetadata({}, params.app_metadata),
				userMetadata: mergeMetadata({}, params.user_metadata),
				bannedUntil: banMs ? new Date(Date.now() + banMs) : null
			});
			return { response: json(await userJson(tx, user)) };
		});
	}

	async function adminListUsers(request: Request): Promise<Outcome> {
		await requireAdmin(request);
		const query = new URL(request.url).searchParams;
		const page = Math.max(1, Number.parseInt(query.get('page') || '1', 10) || 1);
		const perPage = Math.min(
			1000,
			Math.max(1, Number.parseInt(query.get('per_page') || '50', 10) || 50)
		);
		return transaction(async (tx) => {
			const total = Number(
				(
					await tx.query<{ count: string | number }>(
						"select count(*) as count from auth.users where aud = 'authenticated'"
					)
				).rows[0].count
			);
			const { rows } = await tx.query<UserRow>(
				`select * from auth.users where aud = 'authenticated' order by created_at desc, id limit $1 offset $2`,
				[perPage, (page - 1) * perPage]
			);
			const users = [];
			for (const row of rows) users.push(await userJson(tx, row));
			const lastPage = Math.ceil(total / perPage);
			const pageLink = (n: number) => `</admin/users?page=${n}&per_page=${perPage}>`;
			const links = [
				...(lastPage > page ? [`${pageLink(page + 1)}; rel="next"`] : []),
				`${pageLink(lastPage)}; rel="last"`
			];
			return {
				response: json({ aud: 'authenticated', users }, 200, {
					'x-total-count': String(total),
					link: links.join(', ')
				})
			};
		});
	}

	async function adminGetUser(request: Request, id: string): Promise<Outcome> {
		await requireAdmin(request);
		return transaction(async (tx) => {
			const user = await findUserById(tx, id);
			if (!user) throw new AuthApiError(404, 'user_not_found', 'User not found');
			return { response: json(await userJson(tx, user)) };
		});
	}

	async function adminUpdateUser(request: Request, id: string, body: Body): Promise<Outcome> {
		await requireAdmin(request);
		const params = parseBody(adminUserBody, body);
		if (params.password) checkPassword(params.password);
		const passwordHash = params.password ? await hashPassword(params.password) : undefined;
		const banMs =
			params.ban_duration && params.ban_duration !== 'none'
				? parseBanDuration(params.ban_duration)
				: null;
		return transaction(async (tx) => {
			const user = await findUserById(tx, id, true);
			if (!user) throw new AuthApiError(404, 'user_not_found', 'User not found');
			const changes: UserChanges = { passwordHash };
			if (params.email && params.email.toLowerCase() !== user.email) {
				const email = validEmail(params.email);
				if (await findUserByEmail(tx, email)) {
					throw new AuthApiError(
						422,
						'email_exists',
						'A user with this email address has already been registered'
					);
				}
				changes.email = email;
			}
			if (params.phone !== undefined && params.phone !== null) changes.phone = params.phone;
			if (params.role) changes.role = params.role;
			if (params.email_confirm) changes.emailConfirmed = true;
			if (params.phone_confirm) changes.phoneConfirmed = true;
			if (params.user_metadata)
				changes.userMetadata = mergeMetadata(user.raw_user_meta_data, params.user_metadata);
			if (params.app_metadata)
				changes.appMetadata = mergeMetadata(user.raw_app_meta_data, params.app_metadata);
			if (params.ban_duration === 'none') changes.bannedUntil = null;
			else if (banMs) changes.bannedUntil = new Date(Date.now() + banMs);
			const updated = await updateUser(tx, id, changes);
			if (changes.email || changes.emailConfirmed) await syncEmailIdentity(tx, updated);
			// A banned user's sessions end now, so realtime and every client drop them.
			const ended = banMs ? await endSessions(tx, id, 'global', null) : [];
			return { response: json(await userJson(tx, updated)), afterCommit: revoked(id, ended) };
		});
	}

	async function adminDeleteUser(request: Request, id: string): Promise<Outcome> {
		await requireAdmin(request);
		return transaction(async (tx) => {
			const user = await findUserById(tx, id, true);
			if (!user) throw new AuthApiError(404, 'user_not_found', 'User not found');
			const sessions = await tx.query<{ id: string }>(
				'select id from auth.sessions where user_id = $1',
				[id]
			);
			// A real delete (never soft) so `on delete cascade` in the app's schema fires.
			await tx.query('delete from auth.users where id = $1', [id]);
			return {
				response: json({}),
				afterCommit: revoked(
					id,
					sessions.rows.map((row) => row.id)
				)
			};
		});
	}

	// ------------------------------------------------------------------ routing

	async function route(request: Request, path: string, body: Body): Promise<Outcome> {
		const method = request.method;
		const adminUser = /^\/admin\/users\/([^/]+)$/.exec(path);
		if (method === 'GET' && (path === '/settings' || path === '/health')) {
			return path === '/settings'
				? settings()
				: {
						response: json({
							version: 'parley-local',
							name: 'GoTrue',
							description: 'Local Supabase Auth'
						})
					};
		}
		if (method === 'GET' && path === '/.well-known/jwks.json')
			return { response: json({ keys: [] }) };
		if (method === 'POST' && path === '/signup') return signUp(request, body);
		if (method === 'POST' && path === '/token') return token(request, body);
		if (method === 'GET' && path === '/user') return getUser(request);
		if (method === 'PUT' && path === '/user') return putUser(request, body);
		if (method === 'POST' && path === '/logout') return logout(request);
		if (method === 'POST' && (path === '/otp' || path === '/magiclink')) return otp(request, body);
		if (method === 'POST' && path === '/recover') return recover(request, body);
		if (method === 'GET' && path === '/verify') return verifyLink(request);
		if (method === 'POST' && path === '/verify') return verifyOtp(body);
		if (method === 'POST' && path === '/invite') return invite(request, body);
		if (method === 'POST' && path === '/admin/generate_link') return generateLink(request, body);
		if (method === 'GET' && path === '/admin/users') return adminListUsers(request);
		if (method === 'POST' && path === '/admin/users') return adminCreateUser(request, body);
		if (adminUser && method === 'GET') return adminGetUser(request, adminUser[1]);
		if (adminUser && method === 'PUT') return adminUpdateUser(request, adminUser[1], body);
		if (adminUser && method === 'DELETE') return adminDeleteUser(request, adminUser[1]);
		throw new AuthApiError(
			404,
			'not_found',
			`${method} /auth/v1${path} is not supported by the local stack`
		);
	}

	async function readBody(request: Request): Promise<Body> {
		if (request.method === 'GET' || request.method === 'HEAD') return {};
		const text = await request.text();
		if (!text.trim()) return {};
		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch (error) {
			throw new AuthApiError(
				400,
				'bad_json',
				`Could not parse request body as JSON: ${(error as Error).message}`
			);
		}
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
			throw new AuthApiError(400, 'bad_json', 'The request body must be a JSON object');
		}
		return parsed as Body;
	}

	return {
		async fetch(request, subpath) {
			try {
				const outcome = await route(request, subpath, await readBody(request));
				outcome.afterCommit?.();
				const version = requestedApiVersion(request);
				if (version) outcome.response.headers.set('x-supabase-api-version', version);
				return outcome.response;
			} catch (error) {
				if (error instanceof AuthApiError) return authErrorResponse(request, error);
				console.error('[auth]', error);
				return authErrorResponse(
					request,
					new AuthApiError(
						500,
						'unexpected_failure',
						'The local Auth server failed unexpectedly; see the stack log'
					)
				);
			}
		}
	};
}
