import { json } from '../http.ts';

/** A refusal Auth answers with, in GoTrue's error codes (auth-js branches on `code`). */
export class AuthApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		/** Extra fields of the body, e.g. `weak_password: {reasons}`. */
		readonly extra: Record<string, unknown> = {}
	) {
		super(message);
	}
}

const API_VERSION_HEADER = 'x-supabase-api-version';
const FIRST_VERSIONED_API = Date.parse('2024-01-01T00:00:00Z');

/** The API version the client asked for, if it is one that gets `{code, message}` errors. */
export function requestedApiVersion(request: Request): string | null {
	const version = request.headers.get(API_VERSION_HEADER);
	if (!version || !/^\d{4}-\d{2}-\d{2}$/.test(version)) return null;
	const time = Date.parse(`${version}T00:00:00Z`);
	return Number.isFinite(time) && time >= FIRST_VERSIONED_API ? version : null;
}

/** Serialises an error in the shape the client's API version expects. */
export function authErrorResponse(request: Request, error: AuthApiError): Response {
	const version = requestedApiVersion(request);
	if (version) {
		return json({ code: error.code, message: error.message, ...error.extra }, error.status, {
			'x-supabase-api-version': version
		});
	}
	return json(
		{ code: error.status, error_code: error.code, msg: error.message, ...error.extra },
		error.status,
		{ 'x-sb-error-code': error.code }
	);
}

/** Postgres error codes, read the same way from PGlite and node-postgres errors. */
export function sqlState(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' ? code : undefined;
}
