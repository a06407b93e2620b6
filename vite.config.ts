import tailwindcss from '@tailwindcss/vite';
import { loadEnv } from 'vite';
import { defineConfig } from 'vitest/config';
import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import type { KitConfig } from '@sveltejs/kit';

type CspSource = NonNullable<
	NonNullable<NonNullable<KitConfig['csp']>['directives']>['connect-src']
>[number];

// Vite sets NODE_ENV before it loads this file: 'production' for `vite build`.
const production = process.env.NODE_ENV === 'production';
const { PUBLIC_SUPABASE_URL } = loadEnv(production ? 'production' : 'development', '.', 'PUBLIC_');

/**
 * Where the browser may connect besides the app: the Supabase project (REST, Auth, functions over
 * http(s); Realtime over ws(s)). Read when the app is built, as the CSP is; a build that is not told
 * its project allows hosted Supabase projects. In dev the local stack's port changes from run to
 * run (and a plain `vite dev` finds it in stack.json), so any loopback port is allowed there.
 */
function supabaseSources(): CspSource[] {
	const sources: CspSource[] = [];
	if (PUBLIC_SUPABASE_URL) {
		const { origin, protocol, host } = new URL(PUBLIC_SUPABASE_URL);
		sources.push(
			origin as CspSource,
			`${protocol === 'https:' ? 'wss' : 'ws'}://${host}` as CspSource
		);
	} else if (production) {
		sources.push('https://*.supabase.co', 'wss://*.supabase.co');
	}
	if (!production) {
		sources.push(
			'http://127.0.0.1:*',
			'ws://127.0.0.1:*',
			'http://localhost:*',
			'ws://localhost:*'
		);
	}
	return sources;
}

export default defineConfig({
	plugins: [
		tailwindcss(),
		sveltekit({
			compilerOptions: {
				// Runes everywhere but in dependencies.
				runes: ({ filename }) =>
					filename.split(/[/\\]/).includes('node_modules') ? undefined : true
			},
			adapter: adapter(),
			alias: { $shared: 'supabase/functions/_shared' },
			// Scripts only from the app (SvelteKit adds a nonce or hash to its own inline script), so
			// nothing a customer wrote can run here; attachments are blobs, shown only when inert.
			csp: {
				mode: 'auto',
				directives: {
					'default-src': ['self'],
					'script-src': ['self'],
					// Svelte and Tailwind write style attributes; style cannot run script.
					'style-src': ['self', 'unsafe-inline'],
					'img-src': ['self', 'data:', 'blob:'],
					'media-src': ['self', 'blob:'],
					'font-src': ['self'],
					'connect-src': ['self', ...supabaseSources()],
					'object-src': ['none'],
					'base-uri': ['self'],
					'form-action': ['self'],
					'frame-ancestors': ['none']
				}
			}
		})
	],
	test: {
		expect: { requireAssertions: true },
		projects: [
			{
				extends: './vite.config.ts',
				test: {
					name: 'unit',
					environment: 'node',
					include: ['src/**/*.test.ts', 'tests/unit/**/*.test.ts']
				}
			},
			{
				// Everything that talks to a database: runs on PGlite, and in CI on PostgreSQL 15 too.
				test: {
					name: 'stack',
					environment: 'node',
					include: ['tests/{stack,db,functions,sandbox}/**/*.test.ts', 'tests/bench/*.test.ts'],
					testTimeout: 30_000,
					hookTimeout: 120_000
				}
			}
		]
	}
});
