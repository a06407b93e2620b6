import adapter from '@sveltejs/adapter-node';
import { loadEnv } from 'vite';

/** @typedef {NonNullable<NonNullable<NonNullable<import('@sveltejs/kit').KitConfig['csp']>['directives']>['connect-src']>[number]} CspSource */

// Vite sets NODE_ENV before it loads its config (and so this file): 'production' for `vite build`.
const production = process.env.NODE_ENV === 'production';
const { PUBLIC_SUPABASE_URL } = loadEnv(production ? 'production' : 'development', '.', 'PUBLIC_');

/**
 * Where the browser may connect besides the app: the Supabase project (REST, Auth, functions over
 * http(s); Realtime over ws(s)). Read when the app is built, as the CSP is; a build that is not told
 * its project allows hosted Supabase projects. In dev the local stack's port changes from run to
 * run (and a plain `vite dev` finds it in stack.json), so any loopback port is allowed there.
 * @returns {CspSource[]}
 */
function supabaseSources() {
	/** @type {CspSource[]} */
	const sources = [];
	if (PUBLIC_SUPABASE_URL) {
		const { origin, protocol, host } = new URL(PUBLIC_SUPABASE_URL);
		sources.push(
			/** @type {CspSource} */ (origin),
			/** @type {CspSource} */ (`${protocol === 'https:' ? 'wss' : 'ws'}://${host}`)
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

/** @type {import('@sveltejs/kit').Config} */
const config = {
	compilerOptions: {
		// Runes everywhere but in dependencies.
		runes: ({ filename }) => (filename.split(/[/\\]/).includes('node_modules') ? undefined : true)
	},
	kit: {
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
	}
};

export default config;
