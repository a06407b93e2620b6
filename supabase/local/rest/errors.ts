import { json } from '../http.ts';

/** An error in PostgREST's shape, carrying the HTTP status it answers with. */
export class RestError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly details: unknown = null,
		readonly hint: string | null = null,
		readonly headers: Record<string, string> = {}
	) {
		super(message);
	}

	/** The response PostgREST would send for this error. */
	toResponse(head = false): Response {
		const body = { code: this.code, details: this.details, hint: this.hint, message: this.message };
		const response = json(body, this.status, this.headers);
		return head
			? new Response(null, { status: response.status, headers: response.headers })
			: response;
	}
}

/** A query string PostgREST could not parse (PGRST100). */
export function parseError(message: string, details: string | null = null): RestError {
	return new RestError(400, 'PGRST100', message, details);
}

/** A feature the local stack does not implement, answered as an error rather than a wrong result. */
export function unsupported(what: string): RestError {
	return new RestError(
		400,
		'PGRST000',
		`${what} is not supported by the local stack.`,
		null,
		'Use a hosted Supabase project or `supabase start` for this feature, or rewrite the query.'
	);
}

interface PgErrorLike {
	code: string;
	message: string;
	detail?: string;
	hint?: string;
}

function isPgError(error: unknown): error is PgErrorLike {
	return (
		typeof error === 'object' &&
		error !== null &&
		typeof (error as { code?: unknown }).code === 'string' &&
		/^[0-9A-Z]{5}$/.test((error as { code: string }).code)
	);
}

/** The HTTP status PostgREST gives an SQLSTATE (LOCAL_SUPABASE.md §1.10). */
export function statusForSqlState(code: string, message: string, role: string): number {
	if (code.startsWith('PT') && /^PT\d{3}$/.test(code)) return Number(code.slice(2));
	if (code === '23503' || code === '23505') return 409;
	if (code === '25006') return 405;
	if (code === 'P0001') return 400;
	if (code === '42883' || code === '42P01') return 404;
	if (code === '42P17') return 500;
	if (code === '42501') return role === 'anon' ? 401 : 403;
	if (code === '21000') return /requires a WHERE clause/.test(message) ? 400 : 500;
	if (code === '22023') return /role .* does not exist/.test(message) ? 401 : 400;
	// The server is shutting down, crashed or starting up: a connection problem, worth a retry.
	if (code === '57P01' || code === '57P02' || code === '57P03') return 503;
	if (code === '53400') return 500;
	const prefix = code.slice(0, 2);
	if (prefix === '08') return 503;
	if (prefix === '53') return 503;
	if (
		[
			'09',
			'25',
			'2D',
			'38',
			'39',
			'3B',
			'40',
			'54',
			'55',
			'57',
			'58',
			'F0',
			'HV',
			'XX',
			'P0'
		].includes(prefix)
	)
		return 500;
	if (prefix === '0L' || prefix === '0P' || prefix === '28') return 403;
	return 400;
}

/** Turns anything thrown while serving a request into a PostgREST-shaped error. */
export function toRestError(error: unknown, role: string): RestError {
	if (error instanceof RestError) return error;
	if (isPgError(error)) {
		const status = statusForSqlState(error.code, error.message, role);
		const headers: Record<string, string> =
			status === 401
				? { 'www-authenticate': 'Bearer' }
				: status === 503
					? // supabase-js retries a GET answered 503 after this many seconds.
						{ 'retry-after': '1' }
					: {};
		return new RestError(
			status,
			error.code,
			error.message,
			error.detail ?? null,
			error.hint ?? null,
			headers
		);
	}
	console.error('[rest]', error);
	return new RestError(
		500,
		'PGRST000',
		'The local REST service failed unexpectedly; see the stack log.'
	);
}
