import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { env } from '$env/dynamic/public';
import { resolveSupabaseConfig, type SupabasePublicConfig } from './config.ts';

/** Reads the local stack's stack.json, or nothing when no local stack has run here. */
export function readLocalStackInfo(): string | undefined {
	const stateDir = process.env.PARLEY_DATA_DIR || '.parley';
	try {
		return readFileSync(resolve(stateDir, 'stack.json'), 'utf8');
	} catch {
		return undefined;
	}
}

/** The Supabase URL and anon key for this server; read per call so a restarted local stack is picked up. */
export function getSupabaseConfig(): SupabasePublicConfig {
	return resolveSupabaseConfig(env, readLocalStackInfo);
}
