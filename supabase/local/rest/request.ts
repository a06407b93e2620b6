import { JwtError, effectiveToken, verifyJwt, type JwtClaims } from '../jwt.ts';
import { RestError, unsupported } from './errors.ts';
import type { RequestSettings } from './execute.ts';
import { parsePrefer, type Preferences } from './parse.ts';
import { exposedSchemas, type SchemaCache } from './schema-cache.ts';

/** What one request asked for, after authentication and header parsing. */
export interface RestRequest {
	method: string;
	url: URL;
	head: boolean;
	schema: string;
	single: boolean;
	prefer: Preferences;
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

/** Whether the client wants one object; other media types are refused rather than misanswered. */
function wantsSingleObject(accept: string | null): boolean {
	if (!accept) return false;
	for (const entry of accept.split(',')) {
		const [type, ...parameters] = entry.split(';').map((p) => p.trim());
		if (
			parameters.some((p) => p.startsWith('nulls=')) ||
			type.startsWith('application/vnd.pgrst.plan')
		) {
			throw unsupported(`The media type ${entry.trim()}`);
		}
		if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object')
			return true;
		if (
			['application/json', 'application/vnd.pgrst.array+json', '*/*', 'application/*'].includes(
				type
			)
		)
			return false;
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
export async function prepare(request: Request, cache: SchemaCache): Promise<RestRequest> {
	const method = request.method;
	const claims = await authenticate(request);
	if (!cache.roles.has(claims.role)) {
		throw new RestError(401, '22023', `role "${claims.role}" does not exist`, null, null, {
			'www-authenticate': 'Bearer'
		});
	}
	const readOnly = method === 'GET' || method === 'HEAD';
	const profile = request.headers.get(readOnly ? 'accept-profile' : 'content-profile');
	const schema = profile ?? 'public';
	if (!exposedSchemas.includes(schema)) {
		throw new RestError(
			406,
			'PGRST106',
			`Invalid schema: ${schema}`,
			null,
			`Only the following schemas are exposed: ${exposedSchemas.join(', ')}`
		);
	}
	const url = new URL(request.url);
	const headers: Record<string, string> = {};
	request.headers.forEach((value, key) => (headers[key] = value));
	return {
		method,
		url,
		head: method === 'HEAD',
		schema,
		single: wantsSingleObject(request.headers.get('accept')),
		prefer: parsePrefer(request.headers.get('prefer')),
		cache,
		request,
		settings: {
			role: claims.role,
			claims,
			method,
			path: url.pathname.replace(/^\/rest\/v1/, '') || '/',
			headers,
			cookies: parseCookies(request.headers.get('cookie')),
			readOnly
		}
	};
}
