import { isDatabaseUnavailable } from '../db.ts';
import { json } from '../http.ts';

/**
 * An error in storage-api's shape: `{statusCode, code, error, message}` with the HTTP status.
 * storage-js reads `message` for the error text, `statusCode` (a string) and `code` (for exists()).
 */
export class StorageError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly error: string,
		message: string
	) {
		super(message);
	}

	toResponse(head = false): Response {
		const body = {
			statusCode: String(this.status),
			code: this.code,
			error: this.error,
			message: this.message
		};
		return head
			? new Response(null, { status: this.status, headers: { 'x-sb-error-code': this.code } })
			: json(body, this.status);
	}
}

export const objectNotFound = () =>
	new StorageError(404, 'NoSuchKey', 'not_found', 'Object not found');

export const bucketNotFound = () =>
	new StorageError(404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found');

export const duplicateObject = () =>
	new StorageError(409, 'Duplicate', 'Duplicate', 'The resource already exists');

export const invalidRequest = (message: string) =>
	new StorageError(400, 'InvalidRequest', 'invalid_request', message);

/** A part of storage-api the local stack does not implement, said plainly rather than misanswered. */
export function unsupported(what: string): StorageError {
	return new StorageError(
		501,
		'NotSupported',
		'not_supported',
		`${what} is not supported by the local stack. Use a hosted Supabase project or \`supabase start\` for it.`
	);
}

interface PgErrorLike {
	code: string;
	message: string;
}

function isPgError(error: unknown): error is PgErrorLike {
	return (
		typeof error === 'object' &&
		error !== null &&
		typeof (error as { code?: unknown }).code === 'string' &&
		typeof (error as { message?: unknown }).message === 'string'
	);
}

/** What a database error means to a Storage API caller (RLS refusals are 403s, as storage-api says). */
export function toStorageError(error: unknown): StorageError {
	if (error instanceof StorageError) return error;
	// Lost connections are the stack's to answer (503, try again), not a storage error.
	if (!isPgError(error) || isDatabaseUnavailable(error)) throw error;
	if (error.code === '42501') {
		return new StorageError(
			403,
			'AccessDenied',
			'Unauthorized',
			error.message.startsWith('new row violates row-level security policy')
				? 'new row violates row-level security policy'
				: error.message
		);
	}
	if (error.code === '23505') return duplicateObject();
	if (error.code === '23503') {
		return new StorageError(
			409,
			'InvalidRequest',
			'invalid_request',
			'The bucket you tried to delete is not empty'
		);
	}
	if (error.code === '22P02' || error.code === '23502' || error.code === '22001') {
		return invalidRequest(error.message);
	}
	if (error.code === '57014') {
		return new StorageError(544, 'DatabaseTimeout', 'timeout', 'The database query timed out.');
	}
	return new StorageError(500, 'DatabaseError', 'internal', error.message);
}
