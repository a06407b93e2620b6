/**
 * HTTP plumbing shared by the Edge Functions: CORS, JSON answers, and errors that carry a stable
 * `code` and a sentence a person can act on. Handlers are plain `(Request) => Response` functions,
 * so they run unchanged in Deno, Node and on the edge.
 */
import type { z } from 'zod';
import type { FunctionErrorBody, FunctionErrorDetails } from './contracts.ts';

/** Any 8-4-4-4-12 hex id, as Postgres' uuid type accepts (not only RFC 4122 versions). */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A function handler: one request in, one response out. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** CORS headers for browser calls through supabase-js (`functions.invoke`). */
export const corsHeaders: Record<string, string> = {
	'Access-Control-Allow-Origin': '*',
	'Access-Control-Allow-Headers': 'authorization, x-client-info, apikey, content-type',
	'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE, OPTIONS',
	'Access-Control-Max-Age': '86400'
};

/**
 * An error meant for the caller: HTTP status (4xx for what the user can fix, 502 when a provider
 * fails), a stable machine `code`, and a message that is a sentence.
 */
export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly details?: FunctionErrorDetails
	) {
		super(message);
		this.name = 'HttpError';
	}
}

/** A JSON response with the CORS headers. */
export function jsonResponse(body: unknown, status = 200): Response {
	return new Response(JSON.stringify(body), {
		status,
		headers: { ...corsHeaders, 'Content-Type': 'application/json' }
	});
}

/** The error body (contracts.ts: `{code, message, details?}`) for an error; unexpected errors become a 500 without internals. */
export function errorResponse(error: unknown): Response {
	if (error instanceof HttpError) {
		const body: FunctionErrorBody = {
			code: error.code,
			message: error.message,
			...(error.details === undefined ? {} : { details: error.details })
		};
		return jsonResponse(body, error.status);
	}
	console.error(error);
	const body: FunctionErrorBody = {
		code: 'internal_error',
		message: 'Something went wrong on our side. Try again, and tell us if it keeps happening.'
	};
	return jsonResponse(body, 500);
}

/** Answers CORS preflights, adds CORS headers, and turns thrown errors into error answers. */
export function withCors(handler: Handler): Handler {
	return async (request) => {
		if (request.method === 'OPTIONS') return new Response('ok', { headers: corsHeaders });
		try {
			return await handler(request);
		} catch (error) {
			return errorResponse(error);
		}
	};
}

/** The path segments after the function's own name: `/whatsapp-numbers/a/b` → `['a', 'b']`. */
export function routeSegments(request: Request, slug: string): string[] {
	const segments = new URL(request.url).pathname.split('/').filter(Boolean).map(decodeURIComponent);
	const at = segments.indexOf(slug);
	return at === -1 ? segments : segments.slice(at + 1);
}

/** The request body as JSON, or a 400 that says the body is not JSON. */
export async function readJson(request: Request): Promise<unknown> {
	const text = await request.text();
	if (!text.trim()) return {};
	try {
		return JSON.parse(text);
	} catch {
		throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
	}
}

/** Validates with zod; the first issue's message (a sentence) becomes a 400 `invalid_request`. */
export function parseWith<Schema extends z.ZodType>(
	schema: Schema,
	value: unknown
): z.output<Schema> {
	const parsed = schema.safeParse(value);
	if (parsed.success) return parsed.data;
	const issues = parsed.error.issues.map((issue) => ({
		path: issue.path.join('.'),
		message: issue.message
	}));
	throw new HttpError(400, 'invalid_request', issues[0]?.message ?? 'The request is not valid.', {
		issues
	});
}

/** A 405 for a method this route does not serve. */
export function methodNotAllowed(request: Request): HttpError {
	return new HttpError(405, 'method_not_allowed', `${request.method} is not supported here.`);
}
