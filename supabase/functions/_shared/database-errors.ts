/**
 * What a failed database call means, said truthfully: "could not reach" only when the database was
 * out of reach, "busy" when a retry will do, the database's own sentence when it refused the
 * request (our SQL raises sentences), and a plain 500 for the rest. Import-free but for HttpError.
 */
import { HttpError } from './http.ts';

/** The error supabase-js hands back (PostgREST's `{code, message, details, hint}`). */
export interface DatabaseCallError {
	code?: string;
	message?: string;
	details?: string | null;
}

/** The database could not be reached: connection failures, restarts, no connection to spare. */
export function databaseUnreachable(error: DatabaseCallError): boolean {
	const code = error.code ?? '';
	if (code.startsWith('08') || code.startsWith('53')) return true;
	if (['57P01', '57P02', '57P03'].includes(code) || /^PGRST00[0-3]$/.test(code)) return true;
	// supabase-js reports a failed fetch with an empty code.
	return code === '' && /fetch failed|network|connect|socket|ECONN/i.test(error.message ?? '');
}

/** The database refused for now and the same call may succeed at once: deadlock, serialization, lock or statement timeouts. */
export function databaseBusy(error: DatabaseCallError): boolean {
	return ['40001', '40P01', '55P03', '57014'].includes(error.code ?? '');
}

/** A failed database call as the HttpError its caller answers with. */
export function databaseFailure(error: DatabaseCallError): HttpError {
	const code = error.code ?? '';
	if (databaseUnreachable(error)) {
		console.error('database unreachable', code, error.message);
		return new HttpError(
			503,
			'database_unavailable',
			'Parley could not reach its database. Try again in a moment.'
		);
	}
	if (databaseBusy(error)) {
		return new HttpError(
			503,
			'database_busy',
			'Parley’s database was too busy to finish this. Try again in a moment.'
		);
	}
	if (code === 'P0001') return new HttpError(400, 'invalid_request', error.message ?? '');
	if (code === 'P0002' || code === 'PGRST116') {
		return new HttpError(
			404,
			'not_found',
			'What this request names does not exist, or you cannot see it.'
		);
	}
	if (code === '42501') {
		return new HttpError(403, 'forbidden', 'Your role in this workspace does not allow this.');
	}
	if (code.startsWith('22') || code.startsWith('23')) {
		return new HttpError(
			400,
			'invalid_request',
			`Parley could not save this because the database refused its data: ${error.message ?? code}.`
		);
	}
	console.error('database call failed', code, error.message);
	return new HttpError(
		500,
		'database_error',
		'Parley’s database could not complete this request. Try again, and tell us if it keeps happening.'
	);
}
