import { createBrowserClient } from '@supabase/ssr';
import type { SupabasePublicConfig } from './config.ts';
import type { Database, ParleyClient } from './types.ts';

/**
 * The browser's Supabase client; it shares the session cookies the server writes, and
 * @supabase/ssr keeps one instance per page so every caller gets the same client.
 */
export function getSupabaseBrowserClient(config: SupabasePublicConfig): ParleyClient {
	return createBrowserClient<Database>(config.url, config.anonKey);
}
