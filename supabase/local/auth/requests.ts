import { z } from 'zod';
import { AuthApiError } from './errors.ts';

/** A request body as Auth reads it: a JSON object (an empty body reads as `{}`). */
export type Body = Record<string, unknown>;

/** A handler's answer plus what must happen only once its transaction has committed. */
export interface Outcome {
	response: Response;
	afterCommit?: () => void;
}

/** What a route handler is given: the request, its parsed body and the path's captured parts. */
export interface AuthCall {
	request: Request;
	body: Body;
	params: string[];
}

/** One line of the route table: a method and path (exact, or a pattern with captures) and its handler. */
export interface AuthRoute {
	method: 'GET' | 'POST' | 'PUT' | 'DELETE';
	path: string | RegExp;
	handle(call: AuthCall): Promise<Outcome> | Outcome;
}

export const metadata = z.record(z.string(), z.unknown()).nullish();
export const optionalText = z.string().nullish();

const emailFormat = z.email();

/** Validates an address the way GoTrue words it, lower-cased as GoTrue stores it. */
export function validEmail(email: string): string {
	if (email.length > 255 || !emailFormat.safeParse(email).success) {
		throw new AuthApiError(
			400,
			'validation_failed',
			'Unable to validate email address: invalid format'
		);
	}
	return email.toLowerCase();
}

/** Parses a body with a schema, answering GoTrue's 400 in words when it does not fit. */
export function parseBody<T>(schema: z.ZodType<T>, body: Body): T {
	const result = schema.safeParse(body);
	if (!result.success) {
		const issue = result.error.issues[0];
		throw new AuthApiError(
			400,
			'validation_failed',
			`The request body is not valid: ${issue.path.join('.') || 'body'} ${issue.message.toLowerCase()}.`
		);
	}
	return result.data;
}

/** Go's time.ParseDuration for ban_duration ("24h", "1h30m", "876000h"), in milliseconds. */
export function parseBanDuration(value: string): number {
	const units: Record<string, number> = {
		ns: 1e-6,
		us: 1e-3,
		µs: 1e-3,
		ms: 1,
		s: 1000,
		m: 60_000,
		h: 3_600_000
	};
	const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
	if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) {
		throw new AuthApiError(
			400,
			'validation_failed',
			'invalid format for ban duration: use a duration such as "24h" or "none"'
		);
	}
	return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit], 0);
}

/** The `redirect_to` query parameter auth-js adds to link-sending calls. */
export const redirectParam = (request: Request) =>
	new URL(request.url).searchParams.get('redirect_to');

/** Reads the JSON object body of a request; GoTrue answers 400 bad_json for anything else. */
export async function readBody(request: Request): Promise<Body> {
	if (request.method === 'GET' || request.method === 'HEAD') return {};
	const text = await request.text();
	if (!text.trim()) return {};
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		throw new AuthApiError(
			400,
			'bad_json',
			`Could not parse request body as JSON: ${(error as Error).message}`
		);
	}
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new AuthApiError(400, 'bad_json', 'The request body must be a JSON object');
	}
	return parsed as Body;
}

/** Finds the route for a method and path; the captures of a pattern become `params`. */
export function matchRoute(
	routes: AuthRoute[],
	method: string,
	path: string
): { route: AuthRoute; params: string[] } | null {
	for (const route of routes) {
		if (route.method !== method) continue;
		if (typeof route.path === 'string') {
			if (route.path === path) return { route, params: [] };
			continue;
		}
		const match = route.path.exec(path);
		if (match) return { route, params: match.slice(1) };
	}
	return null;
}
