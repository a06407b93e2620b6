import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { actions as loginActions } from '../../src/routes/(auth)/login/+page.server.ts';
import { actions as signupActions } from '../../src/routes/(auth)/signup/+page.server.ts';
import { startStack, type Stack } from '../../supabase/local/stack.ts';

// The sign-in and sign-up form actions against the local Auth (no app migrations needed), whose
// config.toml allows two sign-ins or sign-ups per address per 5 minutes.

let stack: Stack;
const email = 'limited@example.test';
const password = 'correct-horse-1';

beforeAll(async () => {
	const supabaseDir = await mkdtemp(join(tmpdir(), 'parley-login-action-'));
	const config = await readFile('supabase/config.toml', 'utf8');
	await writeFile(
		join(supabaseDir, 'config.toml'),
		config.replace(/^sign_in_sign_ups = \d+$/m, 'sign_in_sign_ups = 2')
	);
	stack = await startStack({ port: 0, seed: false, supabaseDir });
	// Straight to Auth with no forwarded address: not counted against anyone's limit.
	const client = createClient(stack.url, stack.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	});
	const { error } = await client.auth.signUp({ email, password });
	expect(error).toBeNull();
}, 120_000);

afterAll(() => stack?.close());

/** A form post as SvelteKit hands it to an action (typed as the action's event), from `address`. */
function formPost<ActionEvent>(
	path: string,
	address: string,
	fields: Record<string, string>
): ActionEvent {
	const body = new FormData();
	for (const [name, value] of Object.entries(fields)) body.set(name, value);
	const cookies = new Map<string, string>();
	const event = {
		request: new Request(`http://app.test${path}`, { method: 'POST', body }),
		url: new URL(`http://app.test${path}`),
		locals: { supabaseConfig: { url: stack.url, anonKey: stack.anonKey } },
		cookies: {
			getAll: () => [...cookies].map(([name, value]) => ({ name, value })),
			set: (name: string, value: string) => cookies.set(name, value)
		},
		getClientAddress: () => address,
		setHeaders: () => {}
	};
	return event as unknown as ActionEvent;
}

/** What the visitor sees: the failure's status and sentence, or where a success sends them. */
async function outcome(run: unknown): Promise<{ status: number; message?: unknown }> {
	try {
		const failure = (await run) as { status: number; data: { message: unknown } };
		return { status: failure.status, message: failure.data.message };
	} catch (thrown) {
		const redirect = thrown as { status?: number; location?: string };
		if (redirect.status === 303) return { status: 303, message: redirect.location };
		throw thrown;
	}
}

describe('sign-in and sign-up actions under Auth rate limits', () => {
	it('a visitor past the limit reads that there were too many attempts; another visitor signs in', async () => {
		const guess = (address: string) =>
			outcome(
				loginActions.default(formPost('/login', address, { email, password: 'wrong-guess' }))
			);
		expect(await guess('198.51.100.7')).toEqual({
			status: 400,
			message: "That email and password don't match an account. Check them and try again."
		});
		expect((await guess('198.51.100.7')).status).toBe(400);
		expect(await guess('198.51.100.7')).toEqual({
			status: 429,
			message: 'Too many sign-in attempts. Wait a few minutes and try again.'
		});

		// The limit follows the visitor's address, not the app server's.
		expect(
			await outcome(loginActions.default(formPost('/login', '203.0.113.5', { email, password })))
		).toEqual({ status: 303, message: '/app' });
	});

	it('sign-ups past the limit say so in sign-up words', async () => {
		const signUp = (n: number) =>
			outcome(
				signupActions.default(
					formPost('/signup', '192.0.2.44', {
						displayName: 'New Person',
						email: `new-${n}@example.test`,
						password
					})
				)
			);
		expect((await signUp(1)).status).toBe(303);
		expect((await signUp(2)).status).toBe(303);
		expect(await signUp(3)).toEqual({
			status: 429,
			message: 'Too many sign-up attempts. Wait a few minutes and try again.'
		});
	});
});
