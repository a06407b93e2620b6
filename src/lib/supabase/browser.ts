import { createBrowserClient } from '@supabase/ssr';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { SupabasePublicConfig } from './config.ts';

/**
 * The browser's Supabase client; it shares the session cookies the server writes, and
 * @supabase/ssr keeps one instance per page so every caller gets the same client.
 */
export function getSupabaseBrowserClient(config: SupabasePublicConfig): SupabaseClient {
	return createBrowserClient(config.url, config.anonKey);
}
