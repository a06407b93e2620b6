/**
 * Supabase Auth documentation, "Password-based Auth" → sign-up, with email confirmation off (the
 * local default, `[auth.email] enable_confirmations = false`) and on, and `enable_signup`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../../support/stack.ts';
import { authFetch, lastMailTo, PASSWORD, startAuthStack, uniqueEmail } from './gotrue-stack.ts';

let autoconfirm: TestStack;
let confirming: TestStack;
let closed: TestStack;

beforeAll(async () => {
	[autoconfirm, confirming, closed] = await Promise.all([
		startAuthStack(),
		// Both confirmations on: the documented case where a repeated sign-up is not told apart.
		startAuthStack({
			email: { enable_confirmations: true },
			sms: { enable_confirmations: true },
			password_requirements: 'lower_upper_letters_digits'
		}),
		startAuthStack({ enable_signup: false })
	]);
});

afterAll(async () => {
	await Promise.all([autoconfirm?.close(), confirming?.close(), closed?.close()]);
});

describe('sign-up with email confirmation off', () => {
	it('signUp answers with a session and a confirmed user at once', async () => {
		const email = uniqueEmail('auto');
		const { data, error } = await autoconfirm.client().auth.signUp({ email, password: PASSWORD });
		expect(error).toBeNull();
		expect(data.session?.access_token).toBeTruthy();
		expect(data.user?.email).toBe(email);
		expect(data.user?.email_confirmed_at).toBeTruthy();
		expect(data.user?.identities?.map((identity) => identity.provider)).toEqual(['email']);
	});

	it('signing up again with a registered address fails with 422 user_already_exists', async () => {
		const email = uniqueEmail('twice');
		await autoconfirm.client().auth.signUp({ email, password: PASSWORD });
		const { error } = await autoconfirm.client().auth.signUp({ email, password: PASSWORD });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('user_already_exists');
	});

	it('a password shorter than minimum_password_length fails with 422 weak_password', async () => {
		const { error } = await autoconfirm
			.client()
			.auth.signUp({ email: uniqueEmail('weak'), password: '12345' });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('weak_password');
	});

	it('an address that is not one fails with 400 validation_failed', async () => {
		const { error } = await autoconfirm
			.client()
			.auth.signUp({ email: 'not-an-address', password: PASSWORD });
		expect(error?.status).toBe(400);
		expect(error?.code).toBe('validation_failed');
	});

	it('GET /settings reports mailer_autoconfirm as config.toml sets it', async () => {
		const settings = await (await authFetch(autoconfirm, '/settings')).json();
		expect(settings).toMatchObject({ mailer_autoconfirm: true, disable_signup: false });
		expect(settings.external.email).toBe(true);
	});
});

describe('sign-up with email confirmation on', () => {
	it('signUp answers with the user and no session, and mails a confirmation link', async () => {
		const email = uniqueEmail('confirm');
		const { data, error } = await confirming.client().auth.signUp({ email, password: PASSWORD });
		expect(error).toBeNull();
		expect(data.session).toBeNull();
		expect(data.user?.email).toBe(email);
		expect(data.user?.email_confirmed_at).toBeUndefined();
		expect(lastMailTo(confirming, email).subject).toBe('Confirm your signup');
	});

	it('password sign-in before confirming fails with 400 email_not_confirmed', async () => {
		const email = uniqueEmail('unconfirmed');
		await confirming.client().auth.signUp({ email, password: PASSWORD });
		const { error } = await confirming
			.client()
			.auth.signInWithPassword({ email, password: PASSWORD });
		expect(error?.status).toBe(400);
		expect(error?.code).toBe('email_not_confirmed');
	});

	it('verifying the mailed code confirms the address and signs the user in', async () => {
		const email = uniqueEmail('verified');
		await confirming.client().auth.signUp({ email, password: PASSWORD });
		const code = /code: (\d+)/.exec(lastMailTo(confirming, email).text)?.[1];
		expect(code).toMatch(/^\d{6}$/);
		const client = confirming.client();
		const { data, error } = await client.auth.verifyOtp({ email, token: code!, type: 'signup' });
		expect(error).toBeNull();
		expect(data.user?.email_confirmed_at).toBeTruthy();
		const signIn = await confirming.client().auth.signInWithPassword({ email, password: PASSWORD });
		expect(signIn.error).toBeNull();
	});

	it('a repeated sign-up for a confirmed address answers an unconfirmed stand-in user with no identities', async () => {
		const email = uniqueEmail('probe');
		const admin = confirming.client(confirming.serviceRoleKey).auth.admin;
		const created = await admin.createUser({ email, password: PASSWORD, email_confirm: true });
		const { data, error } = await confirming.client().auth.signUp({ email, password: PASSWORD });
		expect(error).toBeNull();
		expect(data.session).toBeNull();
		expect(data.user?.identities).toEqual([]);
		expect(data.user?.id).not.toBe(created.data.user?.id);
	});

	it('GET /settings reports mailer_autoconfirm false', async () => {
		const settings = await (await authFetch(confirming, '/settings')).json();
		expect(settings.mailer_autoconfirm).toBe(false);
	});
});

describe('password_requirements (lower_upper_letters_digits on the confirming stack)', () => {
	it('a password without an upper-case letter fails with 422 weak_password for its characters', async () => {
		const { error } = await confirming
			.client()
			.auth.signUp({ email: uniqueEmail('chars'), password: 'lowercase-only-1' });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('weak_password');
		expect(error).toMatchObject({ reasons: ['characters'] });
		expect(error?.message).toContain('Password should contain at least one character of each');
	});

	it('a password with each kind of character is accepted', async () => {
		const { error } = await confirming
			.client()
			.auth.signUp({ email: uniqueEmail('strong'), password: 'Mixed-Case-1' });
		expect(error).toBeNull();
	});
});

describe('sign-ups turned off (enable_signup = false)', () => {
	it('signUp fails with 422 signup_disabled and /settings says disable_signup', async () => {
		const { error } = await closed
			.client()
			.auth.signUp({ email: uniqueEmail('closed'), password: PASSWORD });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('signup_disabled');
		expect((await (await authFetch(closed, '/settings')).json()).disable_signup).toBe(true);
	});

	it('an administrator can still create users', async () => {
		const { data, error } = await closed
			.client(closed.serviceRoleKey)
			.auth.admin.createUser({ email: uniqueEmail('admin-made'), email_confirm: true });
		expect(error).toBeNull();
		expect(data.user?.id).toBeTruthy();
	});
});
