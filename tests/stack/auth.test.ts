import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	createClient,
	isAuthSessionMissingError,
	type SupabaseClient
} from '@supabase/supabase-js';
import { jwtVerify, SignJWT } from 'jose';
import WebSocket from 'ws';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { JWT_SECRET } from '../../supabase/local/keys.ts';

const secret = new TextEncoder().encode(JWT_SECRET);
let stack: TestStack;
let counter = 0;
const uniqueEmail = (label: string) => `${label}-${Date.now()}-${counter++}@example.com`;

/** Signs up a fresh user through supabase-js and returns their client and credentials. */
async function signedUpUser(label: string, data: Record<string, unknown> = {}) {
	const client = stack.client();
	const email = uniqueEmail(label);
	const password = 'correct-horse-1';
	const { data: result, error } = await client.auth.signUp({ email, password, options: { data } });
	if (error || !result.session) throw error ?? new Error('sign-up gave no session');
	return { client, email, password, session: result.session, user: result.user! };
}

/** A client in the PKCE flow, as @supabase/ssr runs it. */
function pkceClient(): SupabaseClient {
	return createClient(stack.url, stack.anonKey, {
		auth: {
			flowType: 'pkce',
			persistSession: false,
			autoRefreshToken: false,
			detectSessionInUrl: false
		},
		// Node 20 has no global WebSocket.
		realtime: { transport: WebSocket as never }
	});
}

async function signedInClient(email: string, password: string): Promise<SupabaseClient> {
	const client = stack.client();
	const { error } = await client.auth.signInWithPassword({ email, password });
	if (error) throw error;
	return client;
}

beforeAll(async () => {
	// The project's config.toml without its migrations, so only this file's trigger runs on auth.users.
	const supabaseDir = await mkdtemp(join(tmpdir(), 'parley-auth-'));
	await copyFile('supabase/config.toml', join(supabaseDir, 'config.toml'));
	stack = await startTestStack({ supabaseDir });
	// An app-style trigger: every new auth user is logged; some addresses are refused.
	await stack.db.exec(`
		create table public.signup_log (
			id uuid primary key references auth.users (id) on delete cascade,
			email text,
			display_name text
		);
		create function public.log_signup() returns trigger language plpgsql security definer set search_path = '' as $$
		begin
			if new.email like 'refused-%' then
				raise exception 'profiles refuse %', new.email;
			end if;
			insert into public.signup_log (id, email, display_name)
				values (new.id, new.email, new.raw_user_meta_data ->> 'display_name');
			return new;
		end $$;
		create trigger log_signup after insert on auth.users
			for each row execute function public.log_signup();
	`);
});

afterAll(async () => {
	await stack?.close();
});

describe('sign up and sign in', () => {
	it('a sign-up answers with a session whose access token carries the GoTrue claims', async () => {
		const { session, user, email } = await signedUpUser('claims', { display_name: 'Ada' });
		expect(session.token_type).toBe('bearer');
		expect(session.expires_in).toBe(3600);
		expect(user.email).toBe(email);
		expect(user.email_confirmed_at).toBeTruthy();
		expect(user.app_metadata).toEqual({ provider: 'email', providers: ['email'] });
		expect(user.user_metadata).toMatchObject({
			display_name: 'Ada',
			email,
			email_verified: true,
			sub: user.id
		});
		expect(user.identities?.[0]).toMatchObject({ provider: 'email', user_id: user.id });

		const { payload } = await jwtVerify(session.access_token, secret, {
			issuer: `${stack.url}/auth/v1`,
			audience: 'authenticated'
		});
		expect(payload).toMatchObject({
			sub: user.id,
			email,
			phone: '',
			role: 'authenticated',
			aal: 'aal1',
			is_anonymous: false,
			app_metadata: { provider: 'email', providers: ['email'] },
			user_metadata: { display_name: 'Ada' }
		});
		expect(payload.exp! - payload.iat!).toBe(3600);
		expect(payload.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }]);
		const { rows } = await stack.db.query('select id from auth.sessions where id = $1', [
			payload.session_id
		]);
		expect(rows).toHaveLength(1);
	});

	it('a sign-up inserts a real auth.users row whose insert trigger sees the sign-up data', async () => {
		const { user, email } = await signedUpUser('trigger', { display_name: 'Lin' });
		const { rows } = await stack.db.query(
			'select email, display_name from public.signup_log where id = $1',
			[user.id]
		);
		expect(rows).toEqual([{ email, display_name: 'Lin' }]);
	});

	it('a failing trigger on auth.users refuses the sign-up with 500 "Database error saving new user"', async () => {
		const email = uniqueEmail('refused');
		const { data, error } = await stack
			.client()
			.auth.signUp({ email, password: 'correct-horse-1' });
		expect(data.session).toBeNull();
		expect(error?.status).toBe(500);
		expect(error?.message).toBe('Database error saving new user');
		const { rows } = await stack.db.query('select 1 from auth.users where email = $1', [email]);
		expect(rows).toHaveLength(0);
	});

	it('signing up twice with one address is refused with 422 user_already_exists', async () => {
		const { email } = await signedUpUser('twice');
		const { error } = await stack.client().auth.signUp({ email, password: 'another-pass-2' });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('user_already_exists');
		expect(error?.message).toBe('User already registered');
	});

	it('a password shorter than minimum_password_length is refused with 422 weak_password and its reasons', async () => {
		const { error } = await stack
			.client()
			.auth.signUp({ email: uniqueEmail('weak'), password: '12345' });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('weak_password');
		expect((error as unknown as { reasons: string[] }).reasons).toEqual(['length']);
	});

	it('a malformed email is refused with 400 validation_failed', async () => {
		const { error } = await stack
			.client()
			.auth.signUp({ email: 'not-an-email', password: 'correct-horse-1' });
		expect(error?.status).toBe(400);
		expect(error?.code).toBe('validation_failed');
	});

	it('signing in with the right password gives a new session; a wrong one gives 400 invalid_credentials', async () => {
		const { email, password, session } = await signedUpUser('signin');
		const client = stack.client();
		const good = await client.auth.signInWithPassword({ email, password });
		expect(good.error).toBeNull();
		expect(good.data.session?.refresh_token).not.toBe(session.refresh_token);
		expect(good.data.user?.last_sign_in_at).toBeTruthy();

		const bad = await stack.client().auth.signInWithPassword({ email, password: 'wrong-password' });
		expect(bad.error?.status).toBe(400);
		expect(bad.error?.code).toBe('invalid_credentials');
		expect(bad.error?.message).toBe('Invalid login credentials');

		const unknown = await stack
			.client()
			.auth.signInWithPassword({ email: uniqueEmail('nobody'), password });
		expect(unknown.error?.code).toBe('invalid_credentials');
	});
});

describe('the signed-in user', () => {
	it('getUser and getClaims answer for the session the client holds', async () => {
		const { client, user } = await signedUpUser('getuser');
		const fetched = await client.auth.getUser();
		expect(fetched.error).toBeNull();
		expect(fetched.data.user?.id).toBe(user.id);
		const claims = await client.auth.getClaims();
		expect(claims.error).toBeNull();
		expect(claims.data?.claims.sub).toBe(user.id);
		expect(claims.data?.claims.role).toBe('authenticated');
	});

	it('updateUser merges data into user_metadata and a null deletes a key', async () => {
		const { client } = await signedUpUser('metadata', { theme: 'dark', locale: 'en' });
		const { data, error } = await client.auth.updateUser({ data: { locale: null, team: 'blue' } });
		expect(error).toBeNull();
		expect(data.user?.user_metadata).toMatchObject({ theme: 'dark', team: 'blue' });
		expect(data.user?.user_metadata).not.toHaveProperty('locale');
		const again = await client.auth.getUser();
		expect(again.data.user?.user_metadata).not.toHaveProperty('locale');
	});

	it('a password change lets the new password sign in, refuses the old, and ends the other sessions', async () => {
		const { client, email, password } = await signedUpUser('password');
		const other = await signedInClient(email, password);
		const changed = await client.auth.updateUser({ password: 'brand-new-pass-9' });
		expect(changed.error).toBeNull();

		expect((await stack.client().auth.signInWithPassword({ email, password })).error?.code).toBe(
			'invalid_credentials'
		);
		expect(
			(await stack.client().auth.signInWithPassword({ email, password: 'brand-new-pass-9' })).error
		).toBeNull();
		expect((await client.auth.getUser()).error).toBeNull();
		const otherUser = await other.auth.getUser();
		expect(isAuthSessionMissingError(otherUser.error)).toBe(true);
	});

	it('a forged access token is refused with 403 bad_jwt', async () => {
		const { session } = await signedUpUser('forged');
		const [header, payload] = session.access_token.split('.');
		const forgedWithOtherKey = await new SignJWT(
			JSON.parse(Buffer.from(payload, 'base64url').toString())
		)
			.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
			.sign(new TextEncoder().encode('not-the-local-secret-not-the-local-secret'));
		const { error } = await stack.client().auth.getUser(forgedWithOtherKey);
		expect(error?.status).toBe(403);
		expect(error?.code).toBe('bad_jwt');
		expect(header).toBeTruthy();
	});

	it('a request without an apikey never reaches Auth: the gateway answers 401 "No API key found in request"', async () => {
		const response = await fetch(`${stack.url}/auth/v1/user`, {
			headers: { 'x-supabase-api-version': '2024-01-01' }
		});
		expect(response.status).toBe(401);
		expect(await response.json()).toMatchObject({ message: 'No API key found in request' });
	});

	it('the anon key is not a user: /user answers 403 bad_jwt for a missing sub', async () => {
		const { error } = await stack.client().auth.getUser(stack.anonKey);
		expect(error?.status).toBe(403);
		expect(error?.code).toBe('bad_jwt');
	});

	it('errors keep the legacy shape for clients that send no API version', async () => {
		const response = await fetch(`${stack.url}/auth/v1/token?grant_type=password`, {
			method: 'POST',
			headers: { apikey: stack.anonKey, 'content-type': 'application/json' },
			body: JSON.stringify({ email: uniqueEmail('legacy'), password: 'whatever-1' })
		});
		expect(response.status).toBe(400);
		expect(response.headers.get('x-sb-error-code')).toBe('invalid_credentials');
		expect(await response.json()).toEqual({
			code: 400,
			error_code: 'invalid_credentials',
			msg: 'Invalid login credentials'
		});
	});

	it('settings report email sign-up on and autoconfirm as config.toml sets them', async () => {
		const response = await fetch(`${stack.url}/auth/v1/settings`, {
			headers: { apikey: stack.anonKey }
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({
			external: { email: true, phone: false },
			disable_signup: false,
			mailer_autoconfirm: true
		});
	});
});

describe('refresh tokens', () => {
	it('refreshing rotates the refresh token and keeps the session', async () => {
		const { client, session } = await signedUpUser('rotate');
		const { data, error } = await client.auth.refreshSession();
		expect(error).toBeNull();
		expect(data.session?.refresh_token).not.toBe(session.refresh_token);
		const before = (await jwtVerify(session.access_token, secret)).payload;
		const after = (await jwtVerify(data.session!.access_token, secret)).payload;
		expect(after.session_id).toBe(before.session_id);
		expect(after.amr).toEqual(before.amr);
	});

	it('a rotated token replayed outside the reuse interval fails with refresh_token_already_used and revokes every token of its session', async () => {
		const { client, session } = await signedUpUser('reuse');
		const first = session.refresh_token;
		const second = (await client.auth.refreshSession()).data.session!.refresh_token;
		const third = (await client.auth.refreshSession()).data.session!.refresh_token;
		expect(new Set([first, second, third]).size).toBe(3);
		// Age the revocation past refresh_token_reuse_interval (10 s in config.toml).
		const age = (token: string) =>
			stack.db.query(
				`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = $1`,
				[token]
			);
		await age(first);

		const replay = await stack.client().auth.refreshSession({ refresh_token: first });
		expect(replay.error?.status).toBe(400);
		expect(replay.error?.code).toBe('refresh_token_already_used');
		// The newest token was revoked with its family; once its own interval has passed it is refused too.
		await age(third);
		const current = await stack.client().auth.refreshSession({ refresh_token: third });
		expect(current.error?.code).toBe('refresh_token_already_used');
	});

	it('the parent of the current token may be replayed and gets the current token back', async () => {
		const { client, session } = await signedUpUser('parent');
		const next = (await client.auth.refreshSession()).data.session!.refresh_token;
		const replay = await stack
			.client()
			.auth.refreshSession({ refresh_token: session.refresh_token });
		expect(replay.error).toBeNull();
		expect(replay.data.session?.refresh_token).toBe(next);
	});

	it('an unknown refresh token and one of a signed-out session both fail with refresh_token_not_found', async () => {
		const unknown = await stack
			.client()
			.auth.refreshSession({ refresh_token: 'no-such-token-anywhere' });
		expect(unknown.error?.status).toBe(400);
		expect(unknown.error?.code).toBe('refresh_token_not_found');

		const { client, session } = await signedUpUser('ended');
		await client.auth.signOut();
		const ended = await stack
			.client()
			.auth.refreshSession({ refresh_token: session.refresh_token });
		expect(ended.error?.status).toBe(400);
		expect(ended.error?.code).toBe('refresh_token_not_found');
	});
});

describe('sign out', () => {
	async function threeSessions(label: string) {
		const { client, email, password, user } = await signedUpUser(label);
		return {
			user,
			a: client,
			b: await signedInClient(email, password),
			c: await signedInClient(email, password)
		};
	}

	function revocations() {
		const seen: { userId: string; sessionIds?: string[] }[] = [];
		stack.context.events.on('sessions-revoked', (event) => seen.push(event));
		return seen;
	}

	it('scope local ends only this session', async () => {
		const { a, b, user } = await threeSessions('local');
		const seen = revocations();
		const sessionId = (
			await jwtVerify((await a.auth.getSession()).data.session!.access_token, secret)
		).payload.session_id;
		expect((await a.auth.signOut({ scope: 'local' })).error).toBeNull();
		expect((await a.auth.getSession()).data.session).toBeNull();
		expect((await b.auth.getUser()).error).toBeNull();
		expect(seen).toContainEqual({ userId: user.id, sessionIds: [sessionId] });
	});

	it('scope others ends every other session and keeps this one', async () => {
		const { a, b, c } = await threeSessions('others');
		expect((await a.auth.signOut({ scope: 'others' })).error).toBeNull();
		expect((await a.auth.getUser()).error).toBeNull();
		expect(isAuthSessionMissingError((await b.auth.getUser()).error)).toBe(true);
		expect(isAuthSessionMissingError((await c.auth.getUser()).error)).toBe(true);
	});

	it('scope global ends every session of the user, and a revoked access token no longer works', async () => {
		const { a, b, user } = await threeSessions('global');
		const seen = revocations();
		const bToken = (await b.auth.getSession()).data.session!.access_token;
		expect((await a.auth.signOut()).error).toBeNull();
		const { error } = await stack.client().auth.getUser(bToken);
		// auth-js turns 403 session_not_found into AuthSessionMissingError.
		expect(isAuthSessionMissingError(error)).toBe(true);
		const { rows } = await stack.db.query('select 1 from auth.sessions where user_id = $1', [
			user.id
		]);
		expect(rows).toHaveLength(0);
		expect(seen.find((event) => event.userId === user.id)?.sessionIds).toHaveLength(3);
	});

	it('logout answers 204 with no body', async () => {
		const { session } = await signedUpUser('logout204');
		const response = await fetch(`${stack.url}/auth/v1/logout?scope=local`, {
			method: 'POST',
			headers: { apikey: stack.anonKey, authorization: `Bearer ${session.access_token}` }
		});
		expect(response.status).toBe(204);
		expect(await response.text()).toBe('');
	});
});

describe('PKCE', () => {
	it('a magic link asked for with a code challenge redirects with ?code= that exchangeCodeForSession turns into a session', async () => {
		const email = uniqueEmail('pkce');
		await signedUpUser('pkce-other');
		const client = pkceClient();
		const redirectTo = 'http://127.0.0.1:5173/auth/callback?next=%2Fapp';
		const sent = await client.auth.signInWithOtp({
			email,
			options: { emailRedirectTo: redirectTo }
		});
		expect(sent.error).toBeNull();

		const mail = stack.context.mailbox.findLast((m) => m.to === email);
		expect(mail?.link).toContain('token=pkce_');
		const response = await fetch(mail!.link!, { redirect: 'manual' });
		expect(response.status).toBe(303);
		const location = new URL(response.headers.get('location')!);
		expect(location.origin + location.pathname).toBe('http://127.0.0.1:5173/auth/callback');
		expect(location.searchParams.get('next')).toBe('/app');
		const code = location.searchParams.get('code');
		expect(code).toBeTruthy();

		const { data, error } = await client.auth.exchangeCodeForSession(code!);
		expect(error).toBeNull();
		expect(data.session?.user.email).toBe(email);
		expect(data.session?.user.email_confirmed_at).toBeTruthy();
		const payload = (await jwtVerify(data.session!.access_token, secret)).payload;
		expect(payload.sub).toBe(data.user?.id);

		const again = await client.auth.exchangeCodeForSession(code!);
		expect(again.error).not.toBeNull();
	});

	it('an exchange with the wrong verifier is refused with bad_code_verifier', async () => {
		const email = uniqueEmail('pkce-bad');
		const client = pkceClient();
		await client.auth.signInWithOtp({ email });
		const mail = stack.context.mailbox.findLast((m) => m.to === email);
		const location = new URL(
			(await fetch(mail!.link!, { redirect: 'manual' })).headers.get('location')!
		);
		const response = await fetch(`${stack.url}/auth/v1/token?grant_type=pkce`, {
			method: 'POST',
			headers: {
				apikey: stack.anonKey,
				'content-type': 'application/json',
				'x-supabase-api-version': '2024-01-01'
			},
			body: JSON.stringify({
				auth_code: location.searchParams.get('code'),
				code_verifier: 'x'.repeat(50)
			})
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ code: 'bad_code_verifier' });
	});

	it('a PKCE sign-up with autoconfirm still answers with a session at once', async () => {
		const client = pkceClient();
		const { data, error } = await client.auth.signUp({
			email: uniqueEmail('pkce-signup'),
			password: 'correct-horse-1'
		});
		expect(error).toBeNull();
		expect(data.session?.access_token).toBeTruthy();
	});
});

describe('rate limits', () => {
	// A stack whose config.toml allows 3 sign-ins and sign-ups per address per 5 minutes.
	let limited: TestStack;

	beforeAll(async () => {
		const supabaseDir = await mkdtemp(join(tmpdir(), 'parley-auth-limits-'));
		const config = await readFile('supabase/config.toml', 'utf8');
		expect(config).toMatch(/^sign_in_sign_ups = \d+$/m);
		await writeFile(
			join(supabaseDir, 'config.toml'),
			config.replace(/^sign_in_sign_ups = \d+$/m, 'sign_in_sign_ups = 3')
		);
		limited = await startTestStack({ supabaseDir });
	});

	afterAll(async () => {
		await limited?.close();
	});

	/** A client whose requests come, as a proxy or the app's server says, from `address`. */
	const clientFrom = (address: string) =>
		createClient(limited.url, limited.anonKey, {
			auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
			global: { headers: { 'x-forwarded-for': address } },
			realtime: { transport: WebSocket as never }
		});

	it('an address past sign_in_sign_ups gets 429 over_request_rate_limit; another address does not', async () => {
		const email = uniqueEmail('limited');
		const { error: signUpError } = await clientFrom('203.0.113.9').auth.signUp({
			email,
			password: 'correct-horse-1'
		});
		expect(signUpError).toBeNull();

		const attacker = clientFrom('198.51.100.7');
		const outcomes: (string | undefined)[] = [];
		for (let attempt = 0; attempt < 4; attempt++) {
			const { error } = await attacker.auth.signInWithPassword({ email, password: 'wrong-guess' });
			outcomes.push(error?.code);
		}
		expect(outcomes).toEqual([
			'invalid_credentials',
			'invalid_credentials',
			'invalid_credentials',
			'over_request_rate_limit'
		]);
		const { error: limitedError } = await attacker.auth.signUp({
			email: uniqueEmail('limited-signup'),
			password: 'correct-horse-1'
		});
		expect({
			status: limitedError?.status,
			code: limitedError?.code,
			message: limitedError?.message
		}).toEqual({
			status: 429,
			code: 'over_request_rate_limit',
			message: 'Request rate limit reached'
		});

		// The account owner, elsewhere, still signs in.
		const { data, error } = await clientFrom('203.0.113.9').auth.signInWithPassword({
			email,
			password: 'correct-horse-1'
		});
		expect(error).toBeNull();
		expect(data.session?.access_token).toBeTruthy();
	});

	it('ten wrong passwords for one account refuse it from every address, even with the right password', async () => {
		const email = uniqueEmail('locked');
		const password = 'correct-horse-1';
		expect((await clientFrom('192.0.2.1').auth.signUp({ email, password })).error).toBeNull();
		// Each guess from a new address, so only the per-account count can stop them.
		const codes: (string | undefined)[] = [];
		for (let guess = 0; guess < 11; guess++) {
			const { error } = await clientFrom(`192.0.2.${10 + guess}`).auth.signInWithPassword({
				email: guess % 2 ? email.toUpperCase() : email,
				password: `wrong-${guess}`
			});
			codes.push(error?.code);
		}
		expect(codes).toEqual([...Array(10).fill('invalid_credentials'), 'over_request_rate_limit']);
		const { error } = await clientFrom('192.0.2.99').auth.signInWithPassword({ email, password });
		expect({ status: error?.status, code: error?.code }).toEqual({
			status: 429,
			code: 'over_request_rate_limit'
		});
		// Other accounts are untouched.
		const other = uniqueEmail('unlocked');
		expect(
			(await clientFrom('192.0.2.2').auth.signUp({ email: other, password })).error
		).toBeNull();
		expect(
			(await clientFrom('192.0.2.3').auth.signInWithPassword({ email: other, password })).error
		).toBeNull();
	});
});
