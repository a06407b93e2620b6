import { z } from 'zod';
import { json } from '../http.ts';
import { pickRedirect } from './config.ts';
import type { AuthEnv } from './env.ts';
import { AuthApiError } from './errors.ts';
import { readCodeChallenge, redeemEmailLink, type LinkType } from './links.ts';
import {
	metadata,
	parseBody,
	redirectParam,
	validEmail,
	type AuthCall,
	type AuthRoute,
	type Outcome
} from './requests.ts';
import { startSession } from './sessions.ts';
import { findUserByEmail, insertUser } from './users.ts';

/**
 * The emailed-link endpoints: magic links and one-time codes, password recovery, and /verify, which
 * redeems a link (GET, from the mail) or a token hash or code (POST, verifyOtp).
 */
export function linkRoutes(env: AuthEnv): AuthRoute[] {
	const { config, issuer, limits } = env;

	async function otp({ request, body }: AuthCall): Promise<Outcome> {
		if (typeof body.email !== 'string') {
			throw new AuthApiError(
				422,
				'phone_provider_disabled',
				'One-time codes by SMS are not supported by the local stack; use an email address'
			);
		}
		const email = validEmail(body.email);
		const pkce = readCodeChallenge(body);
		const createUser = body.create_user !== false;
		const data = parseBody(z.looseObject({ data: metadata }), body).data;
		return env.transaction(async (tx) => {
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
			const send = await env.mailLink(
				tx,
				user,
				type,
				pickRedirect(config, redirectParam(request)),
				pkce
			);
			return { response: json({}), afterCommit: send };
		});
	}

	async function recover({ request, body }: AuthCall): Promise<Outcome> {
		const email = validEmail(typeof body.email === 'string' ? body.email : '');
		const pkce = readCodeChallenge(body);
		return env.transaction(async (tx) => {
			const user = await findUserByEmail(tx, email);
			// GoTrue answers alike whether or not the address is known, so accounts cannot be probed.
			if (!user) return { response: json({}) };
			const send = await env.mailLink(
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
	async function verifyLink({ request }: AuthCall): Promise<Outcome> {
		limits.verify.take(request);
		const query = new URL(request.url).searchParams;
		const redirectTo = pickRedirect(config, query.get('redirect_to'));
		try {
			return await env.transaction(async (tx) => {
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
	async function verifyOtp({ request, body }: AuthCall): Promise<Outcome> {
		limits.verify.take(request);
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
		return env.transaction(async (tx) => {
			const { user } = await redeemEmailLink(tx, config, {
				type,
				token: tokenHash,
				email,
				otp: code
			});
			return { response: json(await startSession(tx, issuer, user, 'otp')) };
		});
	}

	return [
		{ method: 'POST', path: '/otp', handle: otp },
		{ method: 'POST', path: '/magiclink', handle: otp },
		{ method: 'POST', path: '/recover', handle: recover },
		{ method: 'GET', path: '/verify', handle: verifyLink },
		{ method: 'POST', path: '/verify', handle: verifyOtp }
	];
}
