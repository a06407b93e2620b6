import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { Tx } from '../db.ts';
import type { Mail } from '../context.ts';
import type { AuthConfig } from './config.ts';
import { AuthApiError } from './errors.ts';
import {
	findUserById,
	mergeMetadata,
	syncEmailIdentity,
	updateUser,
	type UserRow
} from './users.ts';

/** The kinds of emailed link Auth makes (GoTrue's verification types). */
export type LinkType = 'signup' | 'invite' | 'magiclink' | 'recovery';

/** What the client sent to start a PKCE flow. */
export interface CodeChallenge {
	challenge: string;
	method: 's256' | 'plain';
}

/** A link ready to be mailed or handed to an admin. */
export interface EmailLink {
	actionLink: string;
	emailOtp: string;
	hashedToken: string;
	redirectTo: string;
	type: LinkType;
}

const tokenColumn = (type: LinkType) =>
	type === 'signup' || type === 'invite' ? 'confirmation_token' : 'recovery_token';

/** GoTrue's token hash: hex SHA-224 of email + OTP, so a typed code and a clicked link find the same row. */
function tokenHash(email: string, otp: string): string {
	return createHash('sha224')
		.update(email.toLowerCase() + otp)
		.digest('hex');
}

/** Reads a PKCE challenge from a request body; half a challenge is refused as GoTrue does. */
export function readCodeChallenge(body: Record<string, unknown>): CodeChallenge | null {
	const challenge = typeof body.code_challenge === 'string' ? body.code_challenge : '';
	const method =
		typeof body.code_challenge_method === 'string' ? body.code_challenge_method.toLowerCase() : '';
	if (!challenge && !method) return null;
	if (!challenge || !method) {
		throw new AuthApiError(
			400,
			'validation_failed',
			'PKCE flow requires code_challenge_method and code_challenge'
		);
	}
	if (method !== 's256' && method !== 'plain') {
		throw new AuthApiError(
			400,
			'validation_failed',
			`Code challenge method ${method} is not supported`
		);
	}
	if (challenge.length < 43 || challenge.length > 128) {
		throw new AuthApiError(
			400,
			'validation_failed',
			'Code challenge has to be between 43 and 128 characters'
		);
	}
	return { challenge, method };
}

/**
 * Creates a one-time token for an emailed link (one per user and kind, as GoTrue keeps it) and, for
 * PKCE, the flow state whose auth code the link will hand back instead of tokens.
 */
export async function createEmailLink(
	tx: Tx,
	options: {
		user: UserRow;
		type: LinkType;
		redirectTo: string;
		authUrl: string;
		config: AuthConfig;
		pkce?: CodeChallenge | null;
	}
): Promise<EmailLink> {
	const { user, type, pkce } = options;
	const email = user.email ?? '';
	const emailOtp = Array.from({ length: options.config.otpLength }, () => randomInt(10)).join('');
	const hashedToken = tokenHash(email, emailOtp);
	const token = pkce ? `pkce_${hashedToken}` : hashedToken;
	const column = tokenColumn(type);
	await tx.query('delete from auth.one_time_tokens where user_id = $1 and token_type = $2', [
		user.id,
		column
	]);
	await tx.query(
		'insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to) values ($1, $2, $3, $4)',
		[user.id, column, token, email]
	);
	const sentAt = column === 'confirmation_token' ? 'confirmation_sent_at' : 'recovery_sent_at';
	await tx.query(
		`update auth.users set ${column} = $2, ${sentAt} = now()${type === 'invite' ? ', invited_at = now()' : ''}
		where id = $1`,
		[user.id, token]
	);
	if (pkce) {
		await tx.query(
			`insert into auth.flow_state (user_id, auth_code, code_challenge_method, code_challenge, authentication_method)
			values ($1, $2, $3, $4, $5)`,
			[user.id, randomUUID(), pkce.method, pkce.challenge, type]
		);
	}
	const link = new URL(`${options.authUrl}/verify`);
	link.searchParams.set('token', token);
	link.searchParams.set('type', type);
	link.searchParams.set('redirect_to', options.redirectTo);
	return {
		actionLink: link.toString(),
		emailOtp,
		hashedToken,
		redirectTo: options.redirectTo,
		type
	};
}

/** The mail a link goes out in; it only ever reaches the stack's local mailbox. */
export function linkMail(to: string, link: EmailLink): Mail {
	const subjects: Record<LinkType, string> = {
		invite: 'You have been invited',
		signup: 'Confirm your signup',
		magiclink: 'Your magic link',
		recovery: 'Reset your password'
	};
	const actions: Record<LinkType, string> = {
		invite: 'You have been invited to create a user. Follow this link to accept the invite:',
		signup: 'Follow this link to confirm your email address:',
		magiclink: 'Follow this link to sign in:',
		recovery: 'Follow this link to reset the password for your user:'
	};
	return {
		id: randomUUID(),
		to,
		subject: subjects[link.type],
		text: `${actions[link.type]}\n\n${link.actionLink}\n\nOr enter this code: ${link.emailOtp}\n`,
		link: link.actionLink,
		sentAt: new Date().toISOString()
	};
}

/** A verified link: the (now confirmed) user and, for PKCE links, the auth code to redirect with. */
export interface VerifiedLink {
	user: UserRow;
	authCode: string | null;
}

/**
 * Redeems a link token (or an emailed code with its address): confirms the email, spends every
 * one-time token of the user, and finds the PKCE flow it belongs to.
 */
export async function redeemEmailLink(
	tx: Tx,
	config: AuthConfig,
	request: { type: string; token?: string; email?: string; otp?: string }
): Promise<VerifiedLink> {
	const types: LinkType[] =
		request.type === 'email'
			? ['signup', 'invite', 'magiclink', 'recovery']
			: [request.type as LinkType];
	if (['sms', 'phone_change', 'email_change'].includes(request.type)) {
		throw new AuthApiError(
			400,
			'validation_failed',
			`Verifying a ${request.type} code is not supported by the local stack; it sends no SMS and changes addresses at once`
		);
	}
	if (!types.every((type) => ['signup', 'invite', 'magiclink', 'recovery'].includes(type))) {
		throw new AuthApiError(
			400,
			'validation_failed',
			`Verify requires a verification type, got ${request.type}`
		);
	}
	const candidates = request.token
		? [request.token]
		: request.email && request.otp
			? [tokenHash(request.email, request.otp), `pkce_${tokenHash(request.email, request.otp)}`]
			: [];
	const { rows } = await tx.query<{
		id: string;
		user_id: string;
		token_hash: string;
		created_at: Date;
	}>(
		`select id, user_id, token_hash, created_at from auth.one_time_tokens
		where token_hash = any($1::text[]) and token_type = any($2::text[]) limit 1`,
		[candidates, [...new Set(types.map(tokenColumn))]]
	);
	const found = rows[0];
	const expired =
		found && new Date(found.created_at).getTime() + config.otpExpiry * 1000 < Date.now();
	if (!found || expired) {
		throw new AuthApiError(403, 'otp_expired', 'Email link is invalid or has expired');
	}
	let user = await findUserById(tx, found.user_id, true);
	if (!user) throw new AuthApiError(403, 'otp_expired', 'Email link is invalid or has expired');
	if (request.email && user.email?.toLowerCase() !== request.email.toLowerCase()) {
		throw new AuthApiError(403, 'otp_expired', 'Email link is invalid or has expired');
	}

	let authCode: string | null = null;
	if (found.token_hash.startsWith('pkce_')) {
		const flow = await tx.query<{ auth_code: string }>(
			`select auth_code from auth.flow_state where user_id = $1 and authentication_method = any($2::text[])
			order by created_at desc limit 1`,
			[user.id, types]
		);
		if (!flow.rows[0]) {
			throw new AuthApiError(
				404,
				'flow_state_not_found',
				'invalid flow state, no valid flow state found'
			);
		}
		authCode = flow.rows[0].auth_code;
	}

	const wasConfirmed = user.email_confirmed_at !== null;
	user = await updateUser(tx, user.id, {
		emailConfirmed: true,
		userMetadata: wasConfirmed
			? undefined
			: mergeMetadata(user.raw_user_meta_data, { email_verified: true })
	});
	await tx.query(
		`update auth.users set confirmation_token = '', recovery_token = '' where id = $1`,
		[user.id]
	);
	await tx.query('delete from auth.one_time_tokens where user_id = $1', [user.id]);
	await syncEmailIdentity(tx, user);
	return { user, authCode };
}

/** Checks a PKCE verifier against its flow state and spends the flow; returns the user and method. */
export async function redeemAuthCode(
	tx: Tx,
	authCode: string,
	codeVerifier: string
): Promise<{ user: UserRow; method: string }> {
	if (!authCode || !codeVerifier) {
		throw new AuthApiError(
			400,
			'validation_failed',
			'invalid request: both auth code and code verifier should be non-empty'
		);
	}
	const { rows } = await tx.query<{
		id: string;
		user_id: string | null;
		code_challenge: string;
		code_challenge_method: string;
		authentication_method: string;
		created_at: Date;
	}>('select * from auth.flow_state where auth_code = $1 for update', [authCode]);
	const flow = rows[0];
	if (!flow)
		throw new AuthApiError(
			404,
			'flow_state_not_found',
			'invalid flow state, no valid flow state found'
		);
	// GoTrue expires a flow five minutes after it started; a mailed link is often read later than that,
	// so the local stack gives the flow the link's own lifetime (an hour).
	if (new Date(flow.created_at).getTime() + 3600 * 1000 < Date.now()) {
		throw new AuthApiError(
			400,
			'flow_state_expired',
			'Flow state has expired; please start the sign-in again'
		);
	}
	const expected =
		flow.code_challenge_method === 's256'
			? createHash('sha256').update(codeVerifier).digest('base64url')
			: codeVerifier;
	if (expected !== flow.code_challenge) {
		throw new AuthApiError(
			400,
			'bad_code_verifier',
			'code challenge does not match previously saved code verifier'
		);
	}
	await tx.query('delete from auth.flow_state where id = $1', [flow.id]);
	const user = flow.user_id ? await findUserById(tx, flow.user_id) : null;
	if (!user) throw new AuthApiError(404, 'user_not_found', 'User not found');
	return { user, method: flow.authentication_method };
}
