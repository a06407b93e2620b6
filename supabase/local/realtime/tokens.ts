import { decodeJwt } from 'jose';
import { effectiveToken, JwtError, verifyJwt, type JwtClaims } from '../jwt.ts';

/** Why Realtime refused a token, worded as Supabase Realtime words it (`InvalidJWTToken: …`). */
export class RealtimeTokenError extends Error {}

/**
 * The JWT a token stands for: new-style `sb_` keys map to the JWTs they replace, as the local
 * gateway maps them; a missing token is undefined.
 */
export function tokenFromKey(key: unknown): string | undefined {
	if (typeof key !== 'string' || key === '') return undefined;
	return effectiveToken(null, key) ?? undefined;
}

/** Verifies a token for Realtime, which also requires an `exp` claim. */
export async function verifyRealtimeToken(token: string): Promise<JwtClaims> {
	let claims: JwtClaims;
	try {
		claims = await verifyJwt(token);
	} catch (error) {
		if (error instanceof JwtError && error.reason === 'expired') {
			throw new RealtimeTokenError(`Token has expired ${secondsSinceExpiry(token)} seconds ago`);
		}
		throw new RealtimeTokenError(
			`The token is not a valid JWT signed by this project (${(error as Error).message})`
		);
	}
	if (typeof claims.exp !== 'number')
		throw new RealtimeTokenError('Fields `role` and `exp` are required in JWT');
	return claims;
}

function secondsSinceExpiry(token: string): number {
	try {
		const { exp } = decodeJwt(token);
		return typeof exp === 'number' ? Math.max(0, Math.floor(Date.now() / 1000 - exp)) : 0;
	} catch {
		return 0;
	}
}

/** Whether claims have expired by now (checked before each delivery, so a late timer cannot leak). */
export function isExpired(claims: JwtClaims, now = Date.now()): boolean {
	return typeof claims.exp === 'number' && claims.exp * 1000 <= now;
}
