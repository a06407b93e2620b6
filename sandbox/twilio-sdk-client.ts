/**
 * An `httpClient` for the official `twilio` SDK that sends every request to the sandbox: tests in
 * Node drive the sandbox through the SDK itself (`twilio(sid, token, { httpClient })`). The
 * sandbox's own small client, so the sandbox needs nothing from Parley's production code.
 */

/** The fields of the SDK's RequestClient.RequestOptions this client reads. */
export interface TwilioSdkRequest {
	method: string;
	uri: string;
	username?: string;
	password?: string;
	headers?: Record<string, string>;
	params?: Record<string, unknown>;
	data?: Record<string, unknown>;
}

/** What the SDK expects back from its client. */
export interface TwilioSdkResponse {
	statusCode: number;
	body: unknown;
	headers: Record<string, string>;
}

export interface TwilioSdkClient {
	request(options: TwilioSdkRequest): Promise<TwilioSdkResponse>;
}

/** Form encoding as the SDK sends it: a list repeats its name (`MediaUrl=a&MediaUrl=b`). */
function formOf(values: Record<string, unknown>): URLSearchParams {
	const form = new URLSearchParams();
	for (const [name, value] of Object.entries(values)) {
		for (const item of Array.isArray(value) ? value : [value]) {
			if (item === undefined || item === null) continue;
			form.append(name, item instanceof Date ? item.toISOString() : String(item));
		}
	}
	return form;
}

/** A client that keeps the path and query of `https://*.twilio.com/...` and sends them to `sandboxUrl`. */
export function twilioSdkClient(sandboxUrl: string): TwilioSdkClient {
	return {
		async request(options) {
			const original = new URL(options.uri);
			const url = new URL(original.pathname + original.search, sandboxUrl);
			for (const [name, value] of formOf(options.params ?? {}))
				url.searchParams.append(name, value);
			const headers = new Headers();
			for (const [name, value] of Object.entries(options.headers ?? {})) {
				if (!['connection', 'user-agent', 'accept-charset'].includes(name.toLowerCase()))
					headers.set(name, value);
			}
			if (options.username && options.password) {
				const credentials = Buffer.from(`${options.username}:${options.password}`).toString(
					'base64'
				);
				headers.set('authorization', `Basic ${credentials}`);
			}
			let body: string | undefined;
			if (options.data) {
				const type = headers.get('content-type') ?? 'application/x-www-form-urlencoded';
				headers.set('content-type', type);
				body = type.startsWith('application/json')
					? JSON.stringify(options.data)
					: formOf(options.data).toString();
			}
			const response = await fetch(url, { method: options.method.toUpperCase(), headers, body });
			const text = await response.text();
			const isJson = (response.headers.get('content-type') ?? '').includes('json') && text;
			return {
				statusCode: response.status,
				body: isJson ? JSON.parse(text) : text,
				headers: Object.fromEntries(response.headers)
			};
		}
	};
}
