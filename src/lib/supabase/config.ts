/** Where the app finds Supabase: the public URL and the anon key, nothing secret. */
export interface SupabasePublicConfig {
	url: string;
	anonKey: string;
}

/** The public Supabase variables as SvelteKit's `$env/dynamic/public` exposes them. */
export interface SupabasePublicEnv {
	PUBLIC_SUPABASE_URL?: string;
	PUBLIC_SUPABASE_ANON_KEY?: string;
}

/** Thrown when neither the environment nor a running local stack says where Supabase is. */
export class SupabaseNotConfiguredError extends Error {
	constructor(detail?: string) {
		super(
			'Supabase is not configured. Set PUBLIC_SUPABASE_URL and PUBLIC_SUPABASE_ANON_KEY, ' +
				'or start the local stack with `npm run dev`.' +
				(detail ? ` (${detail})` : '')
		);
		this.name = 'SupabaseNotConfiguredError';
	}
}

/**
 * Picks the Supabase URL and anon key: the environment wins (a hosted project or `supabase start`);
 * otherwise the local stack's stack.json, so a plain `vite dev` next to `npm run stack` also works.
 * Only the public fields are taken from stack.json, so the service role key cannot leak through here.
 */
export function resolveSupabaseConfig(
	env: SupabasePublicEnv,
	readStackInfo: () => string | undefined
): SupabasePublicConfig {
	if (env.PUBLIC_SUPABASE_URL && env.PUBLIC_SUPABASE_ANON_KEY) {
		return { url: env.PUBLIC_SUPABASE_URL, anonKey: env.PUBLIC_SUPABASE_ANON_KEY };
	}
	const text = readStackInfo();
	if (text === undefined) throw new SupabaseNotConfiguredError();
	let info: unknown;
	try {
		info = JSON.parse(text);
	} catch {
		throw new SupabaseNotConfiguredError('the local stack file is not valid JSON');
	}
	const { supabaseUrl, anonKey } = (info ?? {}) as Record<string, unknown>;
	if (typeof supabaseUrl !== 'string' || typeof anonKey !== 'string') {
		throw new SupabaseNotConfiguredError('the local stack file lacks supabaseUrl or anonKey');
	}
	return { url: supabaseUrl, anonKey };
}
