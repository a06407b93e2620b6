import type { ServerResponse } from 'node:http';

/** Headers every local-stack answer carries so browsers on another origin can call it. */
export const corsHeaders: Record<string, string> = {
	'access-control-allow-origin': '*',
	'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
	'access-control-expose-headers':
		'Content-Range, Content-Location, Preference-Applied, X-Total-Count, Link, X-Supabase-Api-Version, x-sb-error-code',
	'access-control-max-age': '86400'
};

/** Writes a JSON answer to a Node response, for services served on Node's own streams. */
export function writeJson(response: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	response.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text)
	});
	response.end(text);
}

/** A JSON response with the given status and extra headers. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
	return new Response(body === undefined ? null : JSON.stringify(body), {
		status,
		headers: { 'content-type': 'application/json; charset=utf-8', ...headers }
	});
}
