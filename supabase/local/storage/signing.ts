import { SignJWT, errors, jwtVerify } from 'jose';
import { JWT_SECRET } from '../keys.ts';
import { StorageError } from './errors.ts';

const secret = new TextEncoder().encode(JWT_SECRET);

/** A signed URL's token, as storage-api makes it: `{url: "<bucket>/<path>", iat, exp}`, HS256. */
export function signObjectUrl(url: string, expiresInSeconds: number): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	return new SignJWT({ url })
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.setIssuedAt(now)
		.setExpirationTime(now + expiresInSeconds)
		.sign(secret);
}

/** The `url` a signed URL's token grants; a bad or expired token is refused in storage-api's words. */
export async function verifiedObjectUrl(token: string): Promise<string> {
	try {
		const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
		if (typeof payload.url !== 'string') throw new Error('the token names no object');
		return payload.url;
	} catch (error) {
		const expired = error instanceof errors.JWTExpired;
		throw new StorageError(
			400,
			'InvalidJWT',
			'InvalidJWT',
			expired ? 'jwt expired' : `invalid signed URL token: ${(error as Error).message}`
		);
	}
}
