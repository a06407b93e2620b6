/**
 * The two Supabase clients a function uses: one acting as the signed-in caller (RLS decides what it
 * sees) and one with the service role (bypasses RLS: only for the security definer RPCs of the
 * pipeline and for secrets, after the caller was checked).
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { ProviderFunctionConfig } from './config.ts';
import type { Database } from './database.ts';

/** A client typed by the generated schema: rows, inserts and RPC answers carry their column types. */
export type DatabaseClient = SupabaseClient<Database>;

/** A function keeps no session: every request brings its own JWT. */
const clientOptions = {
	auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
};

/** A client that bypasses RLS. */
export function serviceClient(config: ProviderFunctionConfig): DatabaseClient {
	return createClient<Database>(config.supabaseUrl, config.serviceRoleKey, clientOptions);
}

/** A client acting as the holder of `token`: every query goes through RLS. */
export function callerClient(config: ProviderFunctionConfig, token: string): DatabaseClient {
	return createClient<Database>(config.supabaseUrl, config.anonKey, {
		...clientOptions,
		global: { headers: { Authorization: `Bearer ${token}` } }
	});
}
