/**
 * Shared set-up of the GoTrue conformance suites: a stack over a database of its own (PGlite, or
 * PARLEY_TEST_DATABASE_URL's server) with the project's config.toml, changed where a suite needs
 * another `[auth]` setting, and without the app's migrations so only Auth's own tables matter.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { decodeJwt } from 'jose';
import { parse, stringify } from 'smol-toml';
import WebSocket from 'ws';
import { startTestStack, type TestStack } from '../../support/stack.ts';

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
	Boolean(value) && typeof value === 'object' && !Array.isArray(value);

/** Merges `patch` into `base` table by table; a patch value replaces what it names. */
function mergeTables(base: Table, patch: Table): Table {
	const merged: Table = { ...base };
	for (const [key, value] of Object.entries(patch)) {
		merged[key] = isTable(value) && isTable(base[key]) ? mergeTables(base[key], value) : value;
	}
	return merged;
}

/** Starts a stack whose config.toml is the project's with `authPatch` merged into `[auth]`. */
export async function startAuthStack(authPatch: Table = {}): Promise<TestStack> {
	const supabaseDir = await mkdtemp(join(tmpdir(), 'parley-gotrue-'));
	const project = parse(await readFile('supabase/config.toml', 'utf8')) as Table;
	const config = {
		...project,
		auth: mergeTables(isTable(project.auth) ? project.auth : {}, authPatch)
	};
	await writeFile(join(supabaseDir, 'config.toml'), stringify(config));
	return startTestStack({ supabaseDir });
}

let counter = 0;

/** An address no other test uses. */
export const uniqueEmail = (label: string) => `${label}-${Date.now()}-${counter++}@example.com`;

export const PASSWORD = 'Correct-Horse-1';

/** A supabase-js client whose requests come from `address`, as a proxy in front of Auth says. */
export function clientFrom(stack: TestStack, address: string): SupabaseClient {
	return createClient(stack.url, stack.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
		global: { headers: { 'x-forwarded-for': address } },
		realtime: { transport: WebSocket as never }
	});
}

/** Signs up a new email user through supabase-js (autoconfirm on) and returns the client and session. */
export async function signedUp(stack: TestStack, label: string) {
	const client = stack.client();
	const email = uniqueEmail(label);
	const { data, error } = await client.auth.signUp({ email, password: PASSWORD });
	if (error || !data.session || !data.user) throw error ?? new Error('sign-up gave no session');
	return { client, email, session: data.session, user: data.user };
}

/** The claims of an access token (the stack signs them; the suites read what clients read). */
export const claimsOf = (accessToken: string) => decodeJwt(accessToken);

/** A raw request to Auth with the anon key, as auth-js sends it (API version 2024-01-01). */
export function authFetch(
	stack: TestStack,
	path: string,
	init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}
): Promise<Response> {
	return fetch(`${stack.url}/auth/v1${path}`, {
		method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
		headers: {
			apikey: stack.anonKey,
			authorization: `Bearer ${init.token ?? stack.anonKey}`,
			'content-type': 'application/json',
			'x-supabase-api-version': '2024-01-01',
			...init.headers
		},
		body: init.body === undefined ? undefined : JSON.stringify(init.body)
	});
}

/** The newest mail the stack sent to `to` (the local stack keeps mails instead of sending them). */
export function lastMailTo(stack: TestStack, to: string) {
	const mails = stack.context.mailbox.filter((mail) => mail.to === to);
	const mail = mails.at(-1);
	if (!mail) throw new Error(`no mail was sent to ${to}`);
	return mail;
}
