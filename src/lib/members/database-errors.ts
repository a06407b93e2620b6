/** What we need from a PostgREST error (supabase-js `PostgrestError`) to explain it. */
export interface DatabaseErrorLike {
	code?: string;
	message?: string;
}

// The membership functions raise these with a sentence meant for people (see the tenancy migrations).
const SENTENCE_CODES: Record<string, number> = {
	'42501': 403,
	'22023': 400,
	P0002: 404,
	// "Not found" the caller could fix, answered 404 by PostgREST too (PTxyz means status xyz).
	PT404: 404,
	'23505': 409,
	P0001: 409
};

/** The HTTP status a refused membership change answers with. */
export function databaseErrorStatus(error: DatabaseErrorLike): number {
	return SENTENCE_CODES[error.code ?? ''] ?? 500;
}

/**
 * The sentence to show for a failed membership call: the database's own when it wrote one for
 * people, otherwise a generic one (internal details stay in the server log).
 */
export function databaseErrorSentence(error: DatabaseErrorLike): string {
	if (error.code && error.code in SENTENCE_CODES && error.message) return error.message;
	return 'Something went wrong on our side. Try again in a moment.';
}
