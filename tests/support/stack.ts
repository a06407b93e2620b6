import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../../supabase/functions/_shared/database.types.ts';
import { createScratchDatabase } from '../../supabase/local/scratch-database.ts';
import { startStack, type Stack, type StackOptions } from '../../supabase/local/stack.ts';

/**
 * Where database-facing suites run: in-memory PGlite by default, or a fresh database on the
 * PostgreSQL server of PARLEY_TEST_DATABASE_URL (CI runs the suites both ways).
 */
export const testDatabaseServer = process.env.PARLEY_TEST_DATABASE_URL || undefined;

/** A supabase-js client typed by the database types generated from the migrations. */
export type TestClient = SupabaseClient<Database>;

/** A test stack; its clients are typed by the generated types when it runs Parley's migrations. */
export interface TestStack<Client extends SupabaseClient = TestClient> extends Stack {
	/** A supabase-js client on this stack (anon key unless another key is given). */
	client(key?: string): Client;
}

/** Starts a stack on a free port over a database of its own; `close()` drops that database. */
export function startTestStack(
	options?: StackOptions & { supabaseDir?: undefined }
): Promise<TestStack>;
/** Over another supabase folder the schema is that folder's, which the generated types do not describe. */
export function startTestStack(
	options: StackOptions & { supabaseDir: string }
): Promise<TestStack<SupabaseClient>>;
export async function startTestStack(
	options: StackOptions = {}
): Promise<TestStack<SupabaseClient>> {
	const scratch = testDatabaseServer
		? await createScratchDatabase(testDatabaseServer, 'parley_test')
		: undefined;
	const stack = await startStack({ port: 0, seed: false, databaseUrl: scratch?.url, ...options });
	return {
		...stack,
		client(key = stack.anonKey) {
			return createClient(stack.url, key, {
				auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
				// Node 20 has no global WebSocket.
				realtime: { transport: WebSocket as never }
			});
		},
		async close() {
			await stack.close();
			await scratch?.drop();
		}
	};
}
