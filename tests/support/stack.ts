import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { startStack, type Stack, type StackOptions } from '../../supabase/local/stack.ts';

/**
 * Where database-facing suites run: in-memory PGlite by default, or a fresh database on the
 * PostgreSQL server of PARLEY_TEST_DATABASE_URL (CI runs the suites both ways).
 */
export const testDatabaseServer = process.env.PARLEY_TEST_DATABASE_URL || undefined;

export interface TestStack extends Stack {
	/** A supabase-js client on this stack (anon key unless another key is given). */
	client(key?: string): SupabaseClient;
}

/** Starts a stack on a free port over a database of its own; `close()` drops that database. */
export async function startTestStack(options: StackOptions = {}): Promise<TestStack> {
	let dropDatabase = async () => {};
	let databaseUrl: string | undefined;
	if (testDatabaseServer) {
		const name = `parley_test_${randomBytes(6).toString('hex')}`;
		const admin = new pg.Client({ connectionString: testDatabaseServer });
		await admin.connect();
		await admin.query(`create database ${name}`);
		await admin.end();
		const url = new URL(testDatabaseServer);
		url.pathname = `/${name}`;
		databaseUrl = url.toString();
		dropDatabase = async () => {
			const client = new pg.Client({ connectionString: testDatabaseServer });
			await client.connect();
			await client.query(`drop database if exists ${name} with (force)`);
			await client.end();
		};
	}
	const stack = await startStack({ port: 0, seed: false, databaseUrl, ...options });
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
			await dropDatabase();
		}
	};
}
