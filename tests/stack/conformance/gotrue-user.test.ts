/**
 * Supabase Auth documentation, "Users" and "Passwords": reading and updating the signed-in user,
 * resetting a password through a recovery code, and one-time codes by email (magic links), as far
 * as the local stack does them (mails land in its mailbox; no SMS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../../support/stack.ts';
import {
	authFetch,
	lastMailTo,
	PASSWORD,
	signedUp,
	startAuthStack,
	uniqueEmail
} from './gotrue-stack.ts';

let stack: TestStack;

beforeAll(async () => {
	stack = await startAuthStack();
});

afterAll(async () => {
	await stack?.close();
});

const codeIn = (text: string) => /code: (\d+)/.exec(text)?.[1] ?? '';

describe('the signed-in user', () => {
	it('getUser answers the user behind the access token', async () => {
		const { client, user } = await signedUp(stack, 'get');
		const { data, error } = await client.auth.getUser();
		expect(error).toBeNull();
		expect(data.user).toMatchObject({ id: user.id, email: user.email, aud: 'authenticated' });
	});

	it('updateUser merges data into user_metadata and a null value removes a key', async () => {
		const { client } = await signedUp(stack, 'meta');
		await client.auth.updateUser({ data: { plan: 'pro', nickname: 'Ana' } });
		const { data } = await client.auth.updateUser({ data: { nickname: null, locale: 'pt' } });
		expect(data.user?.user_metadata).toMatchObject({ plan: 'pro', locale: 'pt' });
		expect(data.user?.user_metadata).not.toHaveProperty('nickname');
	});

	it('a new password equal to the old one fails with 422 same_password', async () => {
		const { client } = await signedUp(stack, 'same');
		const { error } = await client.auth.updateUser({ password: PASSWORD });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('same_password');
	});

	it('with confirmations off, an email change takes effect at once', async () => {
		const { client } = await signedUp(stack, 'move');
		const email = uniqueEmail('moved');
		const { data, error } = await client.auth.updateUser({ email });
		expect(error).toBeNull();
		expect(data.user?.email).toBe(email);
		const signIn = await stack.client().auth.signInWithPassword({ email, password: PASSWORD });
		expect(signIn.error).toBeNull();
	});

	it('the anon key is not a user: GET /user answers 403 bad_jwt', async () => {
		const response = await authFetch(stack, '/user');
		expect(response.status).toBe(403);
		expect((await response.json()).code).toBe('bad_jwt');
	});
});

describe('password recovery', () => {
	it('resetPasswordForEmail mails a code that verifyOtp (type recovery) turns into a session for setting a new password', async () => {
		const { email } = await signedUp(stack, 'recover');
		const client = stack.client();
		expect((await client.auth.resetPasswordForEmail(email)).error).toBeNull();
		const mail = lastMailTo(stack, email);
		expect(mail.subject).toBe('Reset your password');
		const verified = await client.auth.verifyOtp({
			email,
			token: codeIn(mail.text),
			type: 'recovery'
		});
		expect(verified.error).toBeNull();
		expect((await client.auth.updateUser({ password: 'a-new-password-2' })).error).toBeNull();
		const signIn = await stack
			.client()
			.auth.signInWithPassword({ email, password: 'a-new-password-2' });
		expect(signIn.error).toBeNull();
	});

	it('an unknown address is answered alike and gets no mail, so addresses cannot be probed', async () => {
		const email = uniqueEmail('nobody');
		expect((await stack.client().auth.resetPasswordForEmail(email)).error).toBeNull();
		expect(stack.context.mailbox.some((mail) => mail.to === email)).toBe(false);
	});

	it('a wrong code fails with 403 otp_expired', async () => {
		const { email } = await signedUp(stack, 'wrongcode');
		await stack.client().auth.resetPasswordForEmail(email);
		const { error } = await stack
			.client()
			.auth.verifyOtp({ email, token: '000000', type: 'recovery' });
		expect(error?.status).toBe(403);
		expect(error?.code).toBe('otp_expired');
	});
});

describe('one-time codes by email', () => {
	it('signInWithOtp mails a code that verifyOtp (type email) redeems once', async () => {
		const { email } = await signedUp(stack, 'otp');
		expect((await stack.client().auth.signInWithOtp({ email })).error).toBeNull();
		const token = codeIn(lastMailTo(stack, email).text);
		const first = await stack.client().auth.verifyOtp({ email, token, type: 'email' });
		expect(first.error).toBeNull();
		expect(first.data.session?.access_token).toBeTruthy();
		const again = await stack.client().auth.verifyOtp({ email, token, type: 'email' });
		expect(again.error?.code).toBe('otp_expired');
	});

	it('signInWithOtp with shouldCreateUser false for an unknown address fails with 422 otp_disabled', async () => {
		const { error } = await stack
			.client()
			.auth.signInWithOtp({ email: uniqueEmail('stranger'), options: { shouldCreateUser: false } });
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('otp_disabled');
	});

	it('a code by SMS is refused in words: the local stack sends no SMS', async () => {
		const { error } = await stack.client().auth.signInWithOtp({ phone: '+15555550100' });
		expect(error?.message).toContain('not supported by the local stack');
	});
});
