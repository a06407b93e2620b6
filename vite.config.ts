import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vitest/config';
import { sveltekit } from '@sveltejs/kit/vite';

// The kit's own options (adapter, aliases, CSP, runes) are in svelte.config.js, where svelte-check,
// the Svelte language tools and eslint-plugin-svelte read them.

/** The pages a person opens first: sign-in, the app shell, the WhatsApp inbox and a chat. */
const warmFiles = [
	'./src/routes/+layout.svelte',
	'./src/routes/[(]auth[)]/login/+page.svelte',
	'./src/routes/app/+layout.svelte',
	'./src/routes/app/*/+layout.svelte',
	'./src/routes/app/*/whatsapp/+page.svelte',
	'./src/routes/app/*/whatsapp/*/+page.svelte'
];

/** What every test project requires of its tests (inline projects do not inherit root options). */
const testRequirements = { expect: { requireAssertions: true } };

export default defineConfig({
	plugins: [tailwindcss(), sveltekit()],
	server: {
		// Transformed as the server starts, so a fresh checkout's first sign-in and first inbox page
		// do not wait on vite compiling them module by module.
		warmup: {
			clientFiles: warmFiles,
			ssrFiles: [
				'./src/hooks.server.ts',
				...warmFiles,
				...warmFiles.map((file) => file.replace(/\.svelte$/, '.server.ts'))
			]
		},
		watch: {
			// Written while the app runs (Deno's npm cache, the local database, storage, test and
			// bench output): watching them reloads every open tab for nothing.
			ignored: [
				'**/.parley/**',
				'**/.scratch/**',
				'**/test-results/**',
				'**/playwright-report/**',
				'**/build/**',
				'**/bench/results/**'
			]
		}
	},
	test: {
		...testRequirements,
		projects: [
			{
				extends: './vite.config.ts',
				test: {
					...testRequirements,
					name: 'unit',
					environment: 'node',
					include: ['src/**/*.test.ts', 'tests/unit/**/*.test.ts']
				}
			},
			{
				// Everything that talks to a database: runs on PGlite, and in CI on PostgreSQL 15 too.
				// App modules these suites import reach the functions' import-free contracts as the kit does.
				resolve: {
					alias: { $shared: fileURLToPath(new URL('supabase/functions/_shared', import.meta.url)) }
				},
				test: {
					...testRequirements,
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
