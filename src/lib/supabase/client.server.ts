import { createServerClient } from '@supabase/ssr';
import type { RequestEvent } from '@sveltejs/kit';
import WebSocket from 'ws';
import type { SupabasePublicConfig } from './config.ts';
import type { Database, ParleyClient } from './types.ts';

/**
 * One Supabase client for one request: it reads the session from the request's cookies and writes
 * refreshed or cleared sessions back to the response, as @supabase/ssr requires.
 * `forwardClientAddress` tells Auth whose request this is (`X-Forwarded-For`), so its per-address
 * rate limits hold back one visitor rather than everyone behind this server; sign-in and sign-up
 * use it.
 */
export function createSupabaseServerClient(
	event: RequestEvent,
	config: SupabasePublicConfig,
	{ forwardClientAddress = false }: { forwardClientAddress?: boolean } = {}
): ParleyClient {
	return createServerClient<Database>(config.url, config.anonKey, {
		global: forwardClientAddress
			? { headers: { 'x-forwarded-for': event.getClientAddress() } }
			: undefined,
		// Node 20 has no global WebSocket and supabase-js builds its realtime client eagerly.
		// ws's constructor accepts a URL as well as a string; only the parameter types differ.
		realtime: { transport: WebSocket as never },
		cookies: {
			getAll: () => event.cookies.getAll(),
			setAll: (cookiesToSet, headers) => {
				for (const { name, value, options } of cookiesToSet) {
					event.cookies.set(name, value, { ...options, path: '/' });
				}
				// Responses that change the session must never be cached for someone else.
				try {
					event.setHeaders(headers);
				} catch {
					// Headers were already set for this response (a second write in one request).
				}
			}
		}
	});
}
