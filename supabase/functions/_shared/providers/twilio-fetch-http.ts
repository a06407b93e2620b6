/**
 * The `httpClient` Parley gives the official `twilio` SDK, in production as in tests: plain fetch,
 * so it runs unchanged in Deno (Edge Functions) and Node. The SDK's own client is axios with a
 * keep-alive https.Agent, which has failed inside Supabase's Edge Runtime before
 * (supabase/edge-runtime#369); with this one, the path tests exercise against the sandbox is the
 * path production takes, but for the host. Given the sandbox's URL, requests for *.twilio.com go
 * there instead.
 */

/** The request the `twilio` SDK hands its http client (the fields we use of RequestClient.RequestOptions). */
export interface TwilioHttpRequest {
	method: string;
	uri: string;
	username?: string;
	password?: string;
	authStrategy?: { getAuthString(): Promise<string> };
	headers?: Record<string, string>;
	params?: Record<string, unknown>;
	data?: Record<string, unknown>;
	timeout?: number;
}

/** The response shape the `twilio` SDK expects back (what its RequestClient returns). */
export interface TwilioHttpResponse {
	statusCode: number;
	body: unknown;
	headers: Record<string, string>;
}

/** What `twilio(sid, token, { httpClient })` needs; cast to RequestClient where the SDK's types insist. */
export interface TwilioFetchHttpClient {
	request(options: TwilioHttpRequest): Promise<TwilioHttpResponse>;
}

/** Rewrites https://<anything>.twilio.com/<path> to <sandboxUrl>/<path>; other URLs pass through. */
export function rewriteTwilioUrl(uri: string, sandboxUrl: string): string {
	const target = new URL(uri);
	if (target.hostname !== 'twilio.com' && !target.hostname.endsWith('.twilio.com')) return uri;
	const base = new URL(sandboxUrl);
	const basePath = base.pathname.replace(/\/+$/, '');
	return `${base.origin}${basePath}${target.pathname}${target.search}`;
}

/** Form-encodes like the SDK does (qs with arrayFormat "repeat": `MediaUrl=a&MediaUrl=b`). */
export function encodeTwilioParams(values: Record<string, unknown>): URLSearchParams {
	const encoded = new URLSearchParams();
	for (const [name, value] of Object.entries(values)) {
		if (value === undefined || value === null) continue;
		for (const item of Array.isArray(value) ? value : [value]) {
			encoded.append(name, item instanceof Date ? item.toISOString() : String(item));
		}
	}
	return encoded;
}

function base64(text: string): string {
	let binary = '';
	for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
	return btoa(binary);
}

/** Creates the http client for `twilio(accountSid, authToken, { httpClient })`; `sandboxUrl` only in dev and tests. */
export function createTwilioFetchHttpClient(
	sandboxUrl?: string,
	fetchImpl: typeof fetch = fetch
): TwilioFetchHttpClient {
	return {
		async request(options) {
			const headers = new Headers();
			for (const [name, value] of Object.entries(options.headers ?? {})) {
				// The runtime sets these itself; Deno refuses some of them.
				if (['connection', 'user-agent', 'accept-charset'].includes(name.toLowerCase())) continue;
				headers.set(name, value);
			}
			if (options.username && options.password) {
				headers.set('Authorization', `Basic ${base64(`${options.username}:${options.password}`)}`);
			} else if (options.authStrategy) {
				headers.set('Authorization', await options.authStrategy.getAuthString());
			}

			const url = new URL(sandboxUrl ? rewriteTwilioUrl(options.uri, sandboxUrl) : options.uri);
			if (options.params) {
				for (const [name, value] of encodeTwilioParams(options.params))
					url.searchParams.append(name, value);
			}

			let body: string | undefined;
			if (options.data) {
				const contentType = headers.get('Content-Type') ?? 'application/x-www-form-urlencoded';
				body = contentType.startsWith('application/json')
					? JSON.stringify(options.data)
					: encodeTwilioParams(options.data).toString();
				headers.set('Content-Type', contentType);
			}

			const response = await fetchImpl(url, {
				method: options.method.toUpperCase(),
				headers,
				body,
				signal: AbortSignal.timeout(options.timeout ?? 30_000)
			});
			const text = await response.text();
			const responseHeaders: Record<string, string> = {};
			response.headers.forEach((value, name) => (responseHeaders[name] = value));
			let parsed: unknown = text;
			if ((response.headers.get('Content-Type') ?? '').includes('json') && text) {
				try {
					parsed = JSON.parse(text);
				} catch {
					parsed = text;
				}
			}
			return { statusCode: response.status, body: parsed, headers: responseHeaders };
		}
	};
}
