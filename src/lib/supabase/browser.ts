import type { SupabasePublicConfig } from './config.ts';
import type { Database, ParleyClient } from './types.ts';

let ssr: Promise<typeof import('@supabase/ssr')> | undefined;

/**
 * The browser's Supabase client; it shares the session cookies the server writes, and
 * @supabase/ssr keeps one instance per page so every caller gets the same client.
 *
 * supabase-js is about 60 KB of gzipped JavaScript that nothing needs before the page, rendered on
 * the server, is interactive: it is fetched on first use (the root layout asks for it on mount) in
 * its own chunk instead of holding up every page's first load. Import it only through here.
 */
export function loadSupabaseBrowserClient(config: SupabasePublicConfig): Promise<ParleyClient> {
	ssr ??= import('@supabase/ssr');
	return ssr.then(({ createBrowserClient }) =>
		createBrowserClient<Database>(config.url, config.anonKey)
	);
}
