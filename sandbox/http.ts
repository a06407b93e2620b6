/**
 * Request plumbing shared by the stand-ins: one body parse per request (form or JSON), recorded
 * with the method, path and headers so tests can assert on exactly what Parley sent.
 */
import type { MiddlewareHandler } from 'hono';
import type { ZodType } from 'zod';
import type { SandboxCore } from './core.ts';
import type { RecordedRequest } from './state.ts';

export type FormFields = Record<string, string | string[]>;

export interface SandboxEnv {
	Variables: { body: unknown; rawBody: string };
}

/** Form fields with repeated names collected into arrays (`MediaUrl=a&MediaUrl=b`). */
export function parseForm(text: string): FormFields {
	const fields: FormFields = {};
	for (const [name, value] of new URLSearchParams(text)) {
		const existing = fields[name];
		if (existing === undefined) fields[name] = value;
		else fields[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
	}
	return fields;
}

function parseBody(text: string, contentType: string): unknown {
	if (!text) return undefined;
	if (contentType.includes('application/x-www-form-urlencoded')) return parseForm(text);
	if (contentType.includes('json')) {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	return text;
}

/** Parses the body once (form or JSON) into `body`, keeping the text in `rawBody`. */
export function parseBodies(): MiddlewareHandler<SandboxEnv> {
	return async (c, next) => {
		const raw = ['GET', 'HEAD'].includes(c.req.method) ? '' : await c.req.text();
		c.set('rawBody', raw);
		c.set('body', parseBody(raw, c.req.header('content-type') ?? ''));
		await next();
	};
}

/** Records every request to a provider stand-in (not sandbox control or the phone page). */
export function recordRequests(core: SandboxCore): MiddlewareHandler {
	let nextId = 0;
	return async (c, next) => {
		const provider = providerOf(c.req.path);
		if (!provider) return next();
		const raw = ['GET', 'HEAD'].includes(c.req.method) ? '' : await c.req.raw.clone().text();
		const url = new URL(c.req.url);
		const record: RecordedRequest = {
			id: ++nextId,
			provider,
			method: c.req.method,
			path: url.pathname,
			query: parseForm(url.search.slice(1)),
			headers: Object.fromEntries(
				Object.entries(c.req.header()).map(([name, value]) => [name.toLowerCase(), value])
			),
			body: parseBody(raw, c.req.header('content-type') ?? ''),
			at: core.now()
		};
		core.state.requests.push(record);
		await next();
		record.status = c.res.status;
	};
}

/** Which stand-in a path belongs to; undefined for sandbox control and the phone page. */
export function providerOf(path: string): RecordedRequest['provider'] | undefined {
	if (
		path.startsWith('/2010-04-01/') ||
		/^\/v1\/Content|^\/v1\/ContentAndApprovals|^\/v2\/(?:Channels|Indicators)\//.test(path)
	) {
		return 'twilio';
	}
	if (/^\/v\d+\.\d+\//.test(path)) return 'meta';
	if (path.startsWith('/v1/')) return 'openai';
	if (path.startsWith('/_media/')) return 'media';
	return undefined;
}

/** Validates a parsed body with zod, with the issues as one line when it does not fit. */
export function bodyOf<T>(
	body: unknown,
	schema: ZodType<T>
): { ok: true; value: T } | { ok: false; issues: string } {
	const result = schema.safeParse(body ?? {});
	if (result.success) return { ok: true, value: result.data };
	return {
		ok: false,
		issues: result.error.issues
			.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
			.join('; ')
	};
}

/** RFC 2822 dates, as Twilio's 2010-04-01 API writes them. */
export function rfc2822(date: Date): string {
	return date.toUTCString().replace('GMT', '+0000');
}
