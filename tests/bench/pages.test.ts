import { describe, expect, it } from 'vitest';
import { supabaseClientChunks } from '../../bench/pages.ts';

// How the pages row counts JavaScript, on a made-up build manifest (no build needed).

const manifest = {
	'.svelte-kit/generated/client-optimized/nodes/21.js': {
		file: '_app/immutable/nodes/21.a.js',
		imports: ['_svelte.js']
	},
	'_svelte.js': { file: '_app/immutable/chunks/svelte.js' },
	'_shared.js': { file: '_app/immutable/chunks/shared.js' },
	'../../node_modules/@supabase/ssr/dist/module/index.js': {
		file: '_app/immutable/chunks/ssr.js',
		src: '../../node_modules/@supabase/ssr/dist/module/index.js',
		isDynamicEntry: true,
		imports: ['_supabase.js', '_svelte.js']
	},
	'_supabase.js': { file: '_app/immutable/chunks/supabase.js', imports: ['_shared.js'] }
};

describe('pages', () => {
	it('counts the Supabase client chunks a page fetches on first use, without those it already loaded', () => {
		const loaded = new Set(['_app/immutable/nodes/21.a.js', '_app/immutable/chunks/svelte.js']);
		expect(supabaseClientChunks(manifest, loaded).sort()).toEqual([
			'_app/immutable/chunks/shared.js',
			'_app/immutable/chunks/ssr.js',
			'_app/immutable/chunks/supabase.js'
		]);
	});

	it('says so when the build loads the Supabase client with the page instead of on first use', () => {
		const eager = { '_supabase.js': { file: '_app/immutable/chunks/supabase.js' } };
		expect(() => supabaseClientChunks(eager, new Set())).toThrow(
			'The build has no lazily loaded @supabase/ssr chunk.'
		);
	});
});
