import { SignJWT, jwtVerify, errors } from 'jose';
import { ANON_KEY, JWT_SECRET, PUBLISHABLE_KEY, SECRET_KEY, SERVICE_ROLE_KEY } from './keys.ts';

const secret = new TextEncoder().encode(JWT_SECRET);

/** Claims of a Supabase JWT (anon/service keys and user access tokens). */
export interface JwtClaims {
	role: string;
	sub?: string;
	exp?: number;
	iat?: number;
	session_id?: string;
	email?: string;
	[claim: string]: unknown;
}

/** Why a token was refused, so each API can answer in its own error shape. */
export class JwtError extends Error {
	constructor(
		readonly reason: 'expired' | 'invalid',
		message: string
	) {
		super(message);
	}
}

/** Verifies an HS256 token signed with the stack's secret. */
export async function verifyJwt(token: string): Promise<JwtClaims> {
	try {
		const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
		if (typeof payload.role !== 'string') throw new JwtError('invalid', 'JWT has no role claim');
		return payload as JwtClaims;
	} catch (error) {
		if (error instanceof JwtError) throw error;
		if (error instanceof errors.JWTExpired) throw new JwtError('expired', 'JWT expired');
		throw new JwtError('invalid', (error as Error).message || 'invalid JWT');
	}
}

/** Signs claims with the stack's secret (HS256, as `supabase start` does by default). */
export function signJwt(claims: JwtClaims): Promise<string> {
	return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

/**
 * The token a request acts with, as the CLI's local gateway picks it: a non-`sb_` bearer wins;
 * otherwise the apikey, with the new-style keys mapped to their JWT equivalents.
 */
export function effectiveToken(authorization: string | null, apikey: string | null): string | null {
	if (authorization && !authorization.startsWith('Bearer sb_')) {
		return authorization.replace(/^Bearer\s+/i, '');
	}
	const key = apikey ?? authorization?.replace(/^Bearer\s+/i, '') ?? null;
	if (key === SECRET_KEY) return SERVICE_ROLE_KEY;
	if (key === PUBLISHABLE_KEY) return ANON_KEY;
	return key;
}
