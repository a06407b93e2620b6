import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuthSessionMissingError, type SupabaseClient } from '@supabase/supabase-js';
import { jwtVerify } from 'jose';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { JWT_SECRET } from '../../supabase/local/keys.ts';

const secret = new TextEncoder().encode(JWT_SECRET);
let stack: TestStack;
let admin: SupabaseClient;
let counter = 0;
const uniqueEmail = (label: string) => `${label}-${Date.now()}-${counter++}@example.com`;

/** Follows an emailed link as a browser would, without following the final redirect. */
async function follow(link: string): Promise<URL> {
	const response = await fetch(link, { redirect: 'manual' });
	expect(response.status).toBe(303);
	return new URL(response.headers.get('location')!);
}

const fragment = (url: URL) => new URLSearchParams(url.hash.slice(1));

beforeAll(async () => {
	// The project's config.toml (site_url, redirect URLs) without its migrations.
	const supabaseDir = await mkdtemp(join(tmpdir(), 'parley-auth-admin-'));
	await copyFile('supabase/config.toml', join(supabaseDir, 'config.toml'));
	stack = await startTestStack({ supabaseDir });
	admin = stack.client(stack.serviceRoleKey);
	await stack.db.exec(`
		create table public.notes (
			id bigint generated always as identity primary key,
			owner uuid not null references auth.users (id) on delete cascade,
			body text
		);
	`);
});

afterAll(async () => {
	await stack?.close();
});

describe('admin users', () => {
	it('a caller without the service_role key is refused with 403 not_admin', async () => {
		const anon = await stack.client().auth.admin.listUsers();
		expect(anon.error?.status).toBe(403);
		expect(anon.error?.code).toBe('not_admin');

		const email = uniqueEmail('plain');
		const { data } = await stack.client().auth.signUp({ email, password: 'correct-horse-1' });
		const asUser = stack.client(data.session!.access_token);
		const created = await asUser.auth.admin.createUser({
			email: uniqueEmail('sneaky'),
			password: 'whatever-1'
		});
		expect(created.error?.code).toBe('not_admin');
	});

	it('createUser makes a confirmed user who can sign in, with metadata and a chosen id', async () => {
		const email = uniqueEmail('created');
		const id = crypto.randomUUID();
		const { data, error } = await admin.auth.admin.createUser({
			id,
			email,
			password: 'correct-horse-1',
			email_confirm: true,
			user_metadata: { display_name: 'Grace' },
			app_metadata: { plan: 'pro' }
		});
		expect(error).toBeNull();
		expect(data.user).toMatchObject({
			id,
			email,
			user_metadata: { display_name: 'Grace' },
			app_metadata: { provider: 'email', providers: ['email'], plan: 'pro' }
		});
		expect(data.user?.email_confirmed_at).toBeTruthy();
		const signIn = await stack
			.client()
			.auth.signInWithPassword({ email, password: 'correct-horse-1' });
		expect(signIn.error).toBeNull();
		const claims = (await jwtVerify(signIn.data.session!.access_token, secret)).payload;
		expect(claims.app_metadata).toMatchObject({ plan: 'pro' });

		const again = await admin.auth.admin.createUser({ email, password: 'correct-horse-1' });
		expect(again.error?.status).toBe(422);
		expect(again.error?.code).toBe('email_exists');
	});

	it('a user created without email_confirm cannot sign in until confirmed', async () => {
		const email = uniqueEmail('unconfirmed');
		const { data } = await admin.auth.admin.createUser({ email, password: 'correct-horse-1' });
		const refused = await stack
			.client()
			.auth.signInWithPassword({ email, password: 'correct-horse-1' });
		expect(refused.error?.code).toBe('email_not_confirmed');
		await admin.auth.admin.updateUserById(data.user!.id, { email_confirm: true });
		const allowed = await stack
			.client()
			.auth.signInWithPassword({ email, password: 'correct-horse-1' });
		expect(allowed.error).toBeNull();
	});

	it('listUsers pages with X-Total-Count and Link headers that auth-js reads', async () => {
		for (let i = 0; i < 3; i++) {
			await admin.auth.admin.createUser({ email: uniqueEmail('listed'), email_confirm: true });
		}
		const total = Number(
			(await stack.db.query<{ n: number }>('select count(*)::int as n from auth.users')).rows[0].n
		);
		const first = await admin.auth.admin.listUsers({ page: 1, perPage: 2 });
		expect(first.error).toBeNull();
		expect(first.data.users).toHaveLength(2);
		expect(first.data).toMatchObject({ total, nextPage: 2, lastPage: Math.ceil(total / 2) });

		const second = await admin.auth.admin.listUsers({ page: 2, perPage: 2 });
		const ids = new Set([...first.data.users, ...second.data.users].map((user) => user.id));
		expect(ids.size).toBe(4);

		const all = await admin.auth.admin.listUsers();
		expect(all.data.users).toHaveLength(total);
	});

	it('getUserById finds a user and answers 404 user_not_found for an unknown id', async () => {
		const { data } = await admin.auth.admin.createUser({
			email: uniqueEmail('found'),
			email_confirm: true
		});
		const found = await admin.auth.admin.getUserById(data.user!.id);
		expect(found.data.user?.email).toBe(data.user!.email);
		const missing = await admin.auth.admin.getUserById(crypto.randomUUID());
		expect(missing.error?.status).toBe(404);
		expect(missing.error?.code).toBe('user_not_found');
	});

	it('updateUserById merges metadata, deletes null keys, and changes the password', async () => {
		const email = uniqueEmail('updated');
		const { data } = await admin.auth.admin.createUser({
			email,
			password: 'correct-horse-1',
			email_confirm: true,
			user_metadata: { a: 1, b: 2 },
			app_metadata: { tenant: 't1', role_hint: 'x' }
		});
		const { data: updated, error } = await admin.auth.admin.updateUserById(data.user!.id, {
			user_metadata: { b: null, c: 3 },
			app_metadata: { role_hint: null },
			password: 'new-password-7'
		});
		expect(error).toBeNull();
		expect(updated.user?.user_metadata).toMatchObject({ a: 1, c: 3 });
		expect(updated.user?.user_metadata).not.toHaveProperty('b');
		expect(updated.user?.app_metadata).toEqual({
			provider: 'email',
			providers: ['email'],
			tenant: 't1'
		});
		expect(
			(await stack.client().auth.signInWithPassword({ email, password: 'new-password-7' })).error
		).toBeNull();
	});

	it('a ban ends the user sessions and refuses sign-in until lifted with ban_duration none', async () => {
		const email = uniqueEmail('banned');
		const password = 'correct-horse-1';
		const { data } = await admin.auth.admin.createUser({ email, password, email_confirm: true });
		const client = stack.client();
		await client.auth.signInWithPassword({ email, password });
		const revoked: string[] = [];
		stack.context.events.on('sessions-revoked', (event) => revoked.push(event.userId));

		const banned = await admin.auth.admin.updateUserById(data.user!.id, { ban_duration: '24h' });
		expect(new Date(banned.data.user!.banned_until!).getTime()).toBeGreaterThan(
			Date.now() + 23 * 3600_000
		);
		expect(revoked).toContain(data.user!.id);
		expect(isAuthSessionMissingError((await client.auth.getUser()).error)).toBe(true);
		const refused = await stack.client().auth.signInWithPassword({ email, password });
		expect(refused.error?.code).toBe('user_banned');

		await admin.auth.admin.updateUserById(data.user!.id, { ban_duration: 'none' });
		expect((await stack.client().auth.signInWithPassword({ email, password })).error).toBeNull();
	});

	it('deleteUser really deletes, so on delete cascade removes the user rows and sessions end', async () => {
		const email = uniqueEmail('deleted');
		const { data } = await admin.auth.admin.createUser({
			email,
			password: 'correct-horse-1',
			email_confirm: true
		});
		const id = data.user!.id;
		const client = stack.client();
		await client.auth.signInWithPassword({ email, password: 'correct-horse-1' });
		await stack.db.query('insert into public.notes (owner, body) values ($1, $2)', [id, 'hello']);
		const revoked: string[] = [];
		stack.context.events.on('sessions-revoked', (event) => revoked.push(event.userId));

		const deleted = await admin.auth.admin.deleteUser(id);
		expect(deleted.error).toBeNull();
		expect(deleted.data.user?.id).toBe(id);
		expect(
			(await stack.db.query('select 1 from public.notes where owner = $1', [id])).rows
		).toHaveLength(0);
		expect(
			(await stack.db.query('select 1 from auth.users where id = $1', [id])).rows
		).toHaveLength(0);
		expect((await admin.auth.admin.getUserById(id)).error?.code).toBe('user_not_found');
		expect(revoked).toContain(id);
		const after = await client.auth.getUser();
		expect(after.error?.status).toBe(403);
	});
});

describe('invitations and links', () => {
	it('inviteUserByEmail mails a link that confirms the user and lands on redirect_to with a session', async () => {
		const email = uniqueEmail('invited');
		const before = stack.context.mailbox.length;
		const { data, error } = await admin.auth.admin.inviteUserByEmail(email, {
			data: { tenant_hint: 'acme' },
			redirectTo: 'http://localhost:5173/invite/accept'
		});
		expect(error).toBeNull();
		expect(data.user?.invited_at).toBeTruthy();
		expect(data.user?.email_confirmed_at).toBeUndefined();
		expect(data.user?.user_metadata).toMatchObject({ tenant_hint: 'acme' });

		const mails = stack.context.mailbox.slice(before);
		expect(mails).toHaveLength(1);
		expect(mails[0]).toMatchObject({ to: email, subject: 'You have been invited' });
		expect(mails[0].text).toContain(mails[0].link);

		const landing = await follow(mails[0].link!);
		expect(`${landing.origin}${landing.pathname}`).toBe('http://localhost:5173/invite/accept');
		const params = fragment(landing);
		expect(params.get('type')).toBe('invite');
		expect(params.get('token_type')).toBe('bearer');
		expect(params.get('refresh_token')).toBeTruthy();
		const { payload } = await jwtVerify(params.get('access_token')!, secret, {
			issuer: `${stack.url}/auth/v1`
		});
		expect(payload.sub).toBe(data.user!.id);

		const me = await stack.client().auth.getUser(params.get('access_token')!);
		expect(me.data.user?.email_confirmed_at).toBeTruthy();

		const reused = await follow(mails[0].link!);
		expect(fragment(reused).get('error_code')).toBe('otp_expired');
	});

	it('a redirect_to outside site_url and additional_redirect_urls falls back to site_url', async () => {
		const email = uniqueEmail('elsewhere');
		await admin.auth.admin.inviteUserByEmail(email, {
			redirectTo: 'https://evil.example.com/steal'
		});
		const mail = stack.context.mailbox.findLast((m) => m.to === email)!;
		const landing = await follow(mail.link!);
		expect(landing.origin).toBe('http://localhost:5173');
		expect(fragment(landing).get('access_token')).toBeTruthy();
	});

	it('inviting an address that is already a confirmed user is refused with 422 email_exists', async () => {
		const email = uniqueEmail('member');
		await admin.auth.admin.createUser({ email, email_confirm: true });
		const { error } = await admin.auth.admin.inviteUserByEmail(email);
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('email_exists');
	});

	it('generateLink magiclink returns link properties whose action_link signs the user in', async () => {
		const email = uniqueEmail('magic');
		const { data: created } = await admin.auth.admin.createUser({ email, email_confirm: true });
		const { data, error } = await admin.auth.admin.generateLink({
			type: 'magiclink',
			email,
			options: { redirectTo: 'http://127.0.0.1:5173/auth/callback' }
		});
		expect(error).toBeNull();
		expect(data.user?.id).toBe(created.user!.id);
		expect(data.properties).toMatchObject({
			verification_type: 'magiclink',
			redirect_to: 'http://127.0.0.1:5173/auth/callback',
			email_otp: expect.stringMatching(/^\d{6}$/),
			hashed_token: expect.stringMatching(/^[0-9a-f]{56}$/)
		});
		const landing = await follow(data.properties!.action_link);
		expect(`${landing.origin}${landing.pathname}`).toBe('http://127.0.0.1:5173/auth/callback');
		expect(fragment(landing).get('access_token')).toBeTruthy();
	});

	it('verifyOtp redeems a generated token_hash, and an emailed code with its address', async () => {
		const email = uniqueEmail('otp');
		await admin.auth.admin.createUser({ email, email_confirm: true });
		const byHash = await admin.auth.admin.generateLink({ type: 'magiclink', email });
		const client = stack.client();
		const verified = await client.auth.verifyOtp({
			type: 'magiclink',
			token_hash: byHash.data.properties!.hashed_token
		});
		expect(verified.error).toBeNull();
		expect(verified.data.session?.user.email).toBe(email);

		const byCode = await admin.auth.admin.generateLink({ type: 'magiclink', email });
		const withCode = await stack.client().auth.verifyOtp({
			type: 'email',
			email,
			token: byCode.data.properties!.email_otp
		});
		expect(withCode.error).toBeNull();
		const spent = await stack
			.client()
			.auth.verifyOtp({ type: 'magiclink', token_hash: byCode.data.properties!.hashed_token });
		expect(spent.error?.code).toBe('otp_expired');
	});

	it('generateLink signup creates an unconfirmed user whose link confirms them', async () => {
		const email = uniqueEmail('signup-link');
		const { data, error } = await admin.auth.admin.generateLink({
			type: 'signup',
			email,
			password: 'correct-horse-1'
		});
		expect(error).toBeNull();
		expect(data.properties?.verification_type).toBe('signup');
		expect(
			(await stack.client().auth.signInWithPassword({ email, password: 'correct-horse-1' })).error
				?.code
		).toBe('email_not_confirmed');
		await follow(data.properties!.action_link);
		expect(
			(await stack.client().auth.signInWithPassword({ email, password: 'correct-horse-1' })).error
		).toBeNull();
	});

	it('generateLink recovery needs a known user and invite marks the user invited', async () => {
		const unknown = await admin.auth.admin.generateLink({
			type: 'recovery',
			email: uniqueEmail('nobody')
		});
		expect(unknown.error?.status).toBe(404);
		expect(unknown.error?.code).toBe('user_not_found');

		const email = uniqueEmail('recover');
		await admin.auth.admin.createUser({ email, password: 'correct-horse-1', email_confirm: true });
		const recovery = await admin.auth.admin.generateLink({ type: 'recovery', email });
		const landing = await follow(recovery.data.properties!.action_link);
		expect(fragment(landing).get('type')).toBe('recovery');

		const invited = await admin.auth.admin.generateLink({
			type: 'invite',
			email: uniqueEmail('link-invite')
		});
		expect(invited.error).toBeNull();
		expect(invited.data.user?.invited_at).toBeTruthy();
		expect(invited.data.properties?.verification_type).toBe('invite');
	});
});
