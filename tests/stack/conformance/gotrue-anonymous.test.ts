/**
 * Supabase Auth documentation, "Anonymous Sign-Ins": off by default (`enable_anonymous_sign_ins`),
 * an authenticated user marked by the is_anonymous claim when on, limited per address per hour by
 * `[auth.rate_limit] anonymous_users`, and made permanent by linking an email address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../../support/stack.ts';
import {
	authFetch,
	claimsOf,
	clientFrom,
	PASSWORD,
	startAuthStack,
	uniqueEmail
} from './gotrue-stack.ts';

let disabled: TestStack;
let enabled: TestStack;

beforeAll(async () => {
	[disabled, enabled] = await Promise.all([
		startAuthStack(),
		startAuthStack({ enable_anonymous_sign_ins: true, rate_limit: { anonymous_users: 2 } })
	]);
});

afterAll(async () => {
	await Promise.all([disabled?.close(), enabled?.close()]);
});

describe('anonymous sign-ins disabled (the default)', () => {
	it('signInAnonymously fails with 422 anonymous_provider_disabled', async () => {
		const { data, error } = await disabled.client().auth.signInAnonymously();
		expect(data.session).toBeNull();
		expect(error?.status).toBe(422);
		expect(error?.code).toBe('anonymous_provider_disabled');
		expect(error?.message).toBe('Anonymous sign-ins are disabled');
	});

	it('GET /settings reports the anonymous provider off', async () => {
		const settings = await (await authFetch(disabled, '/settings')).json();
		expect(settings.external.anonymous_users).toBe(false);
	});
});

describe('anonymous sign-ins enabled', () => {
	it('signInAnonymously answers a session for a new user with no email and no identities', async () => {
		const { data, error } = await enabled
			.client()
			.auth.signInAnonymously({ options: { data: { theme: 'dark' } } });
		expect(error).toBeNull();
		expect(data.user).toMatchObject({
			is_anonymous: true,
			email: '',
			role: 'authenticated',
			identities: [],
			user_metadata: { theme: 'dark' },
			app_metadata: { provider: 'anonymous', providers: ['anonymous'] }
		});
		const claims = claimsOf(data.session!.access_token);
		expect(claims).toMatchObject({
			role: 'authenticated',
			aud: 'authenticated',
			is_anonymous: true,
			sub: data.user!.id
		});
		expect(claims.amr).toEqual([{ method: 'anonymous', timestamp: expect.any(Number) }]);
	});

	it('an anonymous user who sets an email address becomes a permanent user', async () => {
		const client = enabled.client();
		await client.auth.signInAnonymously();
		const email = uniqueEmail('linked');
		const updated = await client.auth.updateUser({ email });
		expect(updated.error).toBeNull();
		expect(updated.data.user).toMatchObject({ email, is_anonymous: false });
		expect(updated.data.user?.identities?.map((identity) => identity.provider)).toEqual(['email']);
		expect((await client.auth.updateUser({ password: PASSWORD })).error).toBeNull();

		const refreshed = await client.auth.refreshSession();
		expect(claimsOf(refreshed.data.session!.access_token).is_anonymous).toBe(false);
		const signIn = await enabled.client().auth.signInWithPassword({ email, password: PASSWORD });
		expect(signIn.error).toBeNull();
	});

	it('GET /settings reports the anonymous provider on', async () => {
		const settings = await (await authFetch(enabled, '/settings')).json();
		expect(settings.external.anonymous_users).toBe(true);
	});

	it('an address past anonymous_users sign-ins gets 429 over_request_rate_limit; another address does not', async () => {
		const busy = clientFrom(enabled, '203.0.113.40');
		expect((await busy.auth.signInAnonymously()).error).toBeNull();
		expect((await busy.auth.signInAnonymously()).error).toBeNull();
		const refused = await busy.auth.signInAnonymously();
		expect(refused.error?.status).toBe(429);
		expect(refused.error?.code).toBe('over_request_rate_limit');
		const other = await clientFrom(enabled, '203.0.113.41').auth.signInAnonymously();
		expect(other.error).toBeNull();
	});
});
