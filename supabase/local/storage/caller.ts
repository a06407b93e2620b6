import { JwtError, effectiveToken, verifyJwt, type JwtClaims } from '../jwt.ts';
import type { Db, Tx } from '../db.ts';
import { inRequestTransaction } from '../rest/execute.ts';
import { StorageError } from './errors.ts';

/** Who a Storage API request acts as: the JWT's role and claims (anon without a token). */
export interface StorageCaller {
	role: string;
	claims: JwtClaims;
	/** The user id, when the token is a user's (`owner` of what they upload). */
	userId: string | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const apiRoles = new Set(['anon', 'authenticated', 'service_role']);

/** The caller from `Authorization` / `apikey`, as the gateway picks the token; bad tokens are refused. */
export async function storageCaller(request: Request): Promise<StorageCaller> {
	const token = effectiveToken(request.headers.get('authorization'), request.headers.get('apikey'));
	if (!token) return { role: 'anon', claims: { role: 'anon' }, userId: null };
	let claims: JwtClaims;
	try {
		claims = await verifyJwt(token);
	} catch (error) {
		if (!(error instanceof JwtError)) throw error;
		// storage-api answers bad tokens with 400 and statusCode 403.
		throw new StorageError(
			400,
			'InvalidJWT',
			'Unauthorized',
			error.reason === 'expired' ? 'jwt expired' : error.message
		);
	}
	if (!apiRoles.has(claims.role)) {
		throw new StorageError(
			400,
			'InvalidJWT',
			'Unauthorized',
			`role "${claims.role}" is not allowed`
		);
	}
	const userId = typeof claims.sub === 'string' && uuidPattern.test(claims.sub) ? claims.sub : null;
	return { role: claims.role, claims, userId };
}

/**
 * Runs metadata work in one transaction as the caller (role and `request.jwt.claims` set locally,
 * exactly as REST does), so the policies on storage.objects and storage.buckets decide.
 */
export function asCaller<T>(
	db: Db,
	caller: StorageCaller,
	request: Request,
	work: (tx: Tx) => Promise<T>
): Promise<T> {
	return inRequestTransaction(
		db,
		{
			role: caller.role,
			claims: caller.claims,
			method: request.method,
			path: new URL(request.url).pathname,
			headers: {},
			cookies: {},
			readOnly: false
		},
		work
	);
}

/** The stack itself, past RLS (bucket limits, signed URLs), as storage-api's superuser queries are. */
export function asStorageAdmin<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
	return db.transaction(work);
}
