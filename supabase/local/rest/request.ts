import { JwtError, effectiveToken, verifyJwt, type JwtClaims } from '../jwt.ts';
import { RestError } from './errors.ts';
import type { RequestSettings } from './execute.ts';
import type { SchemaCache } from './model.ts';
import { parsePrefer, type Preferences } from './prefer.ts';
import type { RestSettings } from './settings.ts';

/** The body format a request negotiated with its Accept header. */
export type Media =
	| { kind: 'json' | 'object'; stripNulls: boolean }
	| { kind: 'csv' }
	| { kind: 'plan'; format: 'json' | 'text'; options: string[]; single: boolean };

/** What one request asked for, after authentication and header parsing. */
export interface RestRequest {
	method: string;
	url: URL;
	head: boolean;
	schema: string;
	single: boolean;
	media: Media;
	prefer: Preferences;
	config: RestSettings;
	settings: RequestSettings;
	cache: SchemaCache;
	request: Request;
}

async function authenticate(request: Request): Promise<JwtClaims> {
	const token = effectiveToken(request.headers.get('authorization'), request.headers.get('apikey'));
	if (!token) return { role: 'anon' };
	try {
		return await verifyJwt(token);
	} catch (error) {
		if (!(error instanceof JwtError)) throw error;
		const expired = error.reason === 'expired';
		const message = expired ? 'JWT expired' : error.message;
		throw new RestError(401, expired ? 'PGRST303' : 'PGRST301', message, null, null, {
			'www-authenticate': `Bearer error="invalid_token", error_description="${message.replaceAll('"', "'")}"`
		});
	}
}

function parseCookies(header: string | null): Record<string, string> {
	const cookies: Record<string, string> = {};
	for (const part of (header ?? '').split(';')) {
		const at = part.indexOf('=');
		if (at > 0) cookies[part.slice(0, at).trim()] = part.slice(at + 1).trim();
	}
	return cookies;
}

function mediaParameters(parameters: string[]): Map<string, string> {
	const found = new Map<string, string>();
	for (const parameter of parameters) {
		const at = parameter.indexOf('=');
		if (at > 0)
			found.set(
				parameter.slice(0, at).trim(),
				parameter
					.slice(at + 1)
					.trim()
					.replace(/^"|"$/g, '')
			);
	}
	return found;
}

const planOptions = ['analyze', 'verbose', 'settings', 'buffers', 'wal'];

/**
 * The first media type of the Accept header the local stack can answer with, as PostgREST
 * negotiates it; a list with none of them is refused with 406 PGRST107.
 */
export function negotiateMedia(accept: string | null, config: RestSettings): Media {
	if (!accept) return { kind: 'json', stripNulls: false };
	for (const entry of accept.split(',')) {
		const [type, ...rest] = entry.split(';').map((p) => p.trim());
		const parameters = mediaParameters(rest);
		const stripNulls = parameters.get('nulls') === 'stripped';
		if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object')
			return { kind: 'object', stripNulls };
		if (type === 'application/vnd.pgrst.array+json' || type === 'application/vnd.pgrst.array')
			return { kind: 'json', stripNulls };
		if (['application/json', '*/*', 'application/*'].includes(type))
			return { kind: 'json', stripNulls: false };
		if (type === 'text/csv') return { kind: 'csv' };
		const plan = /^application\/vnd\.pgrst\.plan(?:\+(json|text))?$/.exec(type);
		if (plan && config.planEnabled) {
			const options = (parameters.get('options') ?? '').split('|').filter(Boolean);
			const unknown = options.find((o) => !planOptions.includes(o));
			if (unknown) continue;
			return {
				kind: 'plan',
				format: plan[1] === 'text' ? 'text' : 'json',
				options,
				single: (parameters.get('for') ?? '').startsWith('application/vnd.pgrst.object')
			};
		}
	}
	throw new RestError(
		406,
		'PGRST107',
		`None of these media types are available: ${accept}`,
		null,
		null
	);
}

/** Authenticates a request and reads its headers into what the handlers need. */
export async function prepare(
	request: Request,
	cache: SchemaCache,
	config: RestSettings
): Promise<RestRequest> {
	const method = request.method;
	const claims = await authenticate(request);
	if (!cache.roles.has(claims.role)) {
		throw new RestError(401, '22023', `role "${claims.role}" does not exist`, null, null, {
			'www-authenticate': 'Bearer'
		});
	}
	const readOnly = method === 'GET' || method === 'HEAD';
	const profile = request.headers.get(readOnly ? 'accept-profile' : 'content-profile');
	const schema = profile ?? config.schemas[0];
	if (!config.schemas.includes(schema)) {
		throw new RestError(
			406,
			'PGRST106',
			`Invalid schema: ${schema}`,
			null,
			`Only the following schemas are exposed: ${config.schemas.join(', ')}`
		);
	}
	const media = negotiateMedia(request.headers.get('accept'), config);
	const prefer = parsePrefer(request.headers.get('prefer'));
	const url = new URL(request.url);
	const headers: Record<string, string> = {};
	request.headers.forEach((value, key) => (headers[key] = value));
	return {
		method,
		url,
		head: method === 'HEAD',
		schema,
		single: media.kind === 'object' || (media.kind === 'plan' && media.single),
		media,
		prefer,
		config,
		cache,
		request,
		settings: {
			role: claims.role,
			claims,
			method,
			path: url.pathname.replace(/^\/rest\/v1/, '') || '/',
			headers,
			cookies: parseCookies(request.headers.get('cookie')),
			searchPath: [...new Set([schema, ...config.extraSearchPath])]
				.map((name) => `"${name.replaceAll('"', '""')}"`)
				.join(', '),
			timezone: prefer.timezone,
			readOnly
		}
	};
}
