/**
 * Supabase Auth documentation, "User sessions" and "JWTs": password sign-in, the access token's
 * claims, refresh-token rotation and reuse detection, and signing out with each scope.
 * refresh_token_reuse_interval is 0 here so a replay is always outside it; jwt_expiry is 600 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../../support/stack.ts';
import { authFetch, claimsOf, PASSWORD, signedUp, startAuthStack } from './gotrue-stack.ts';

let stack: TestStack;

beforeAll(async () => {
	stack = await startAuthStack({ refresh_token_reuse_interval: 0, jwt_expiry: 600 });
});

afterAll(async () => {
	await stack?.close();
});

describe('password sign-in', () => {
	it('signInWithPassword with the right password starts a new session', async () => {
		const { email, session } = await signedUp(stack, 'signin');
		const { data, error } = await stack
			.client()
			.auth.signInWithPassword({ email, password: PASSWORD });
		expect(error).toBeNull();
		expect(claimsOf(data.session!.access_token).session_id).not.toBe(
			claimsOf(session.access_token).session_id
		);
	});

	it('a wrong password and an unknown address both fail with 400 invalid_credentials', async () => {
		const { email } = await signedUp(stack, 'wrong');
		const wrong = await stack.client().auth.signInWithPassword({ email, password: 'not-it-1234' });
		const unknown = await stack
			.client()
			.auth.signInWithPassword({ email: `nobody-${email}`, password: PASSWORD });
		for (const { error } of [wrong, unknown]) {
			expect(error?.status).toBe(400);
			expect(error?.code).toBe('invalid_credentials');
			expect(error?.message).toBe('Invalid login credentials');
		}
	});
});

describe('access token claims', () => {
	it('carry role and aud "authenticated", aal1, the session id, is_anonymous false and the password amr', async () => {
		const { session, user } = await signedUp(stack, 'claims');
		const claims = claimsOf(session.access_token);
		expect(claims).toMatchObject({
			sub: user.id,
			role: 'authenticated',
			aud: 'authenticated',
			aal: 'aal1',
			is_anonymous: false,
			email: user.email,
			iss: `${stack.url}/auth/v1`
		});
		expect(claims.session_id).toMatch(/^[0-9a-f-]{36}$/);
		expect(claims.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }]);
	});

	it('expire jwt_expiry seconds after they are issued, as expires_in says', async () => {
		const { session } = await signedUp(stack, 'expiry');
		const { exp, iat } = claimsOf(session.access_token);
		expect(exp! - iat!).toBe(600);
		expect(session.expires_in).toBe(600);
		expect(session.expires_at).toBe(exp);
	});
});

describe('refresh tokens', () => {
	it('a refresh answers a new refresh token for the same session', async () => {
		const { client, session } = await signedUp(stack, 'rotate');
		const { data, error } = await client.auth.refreshSession();
		expect(error).toBeNull();
		expect(data.session!.refresh_token).not.toBe(session.refresh_token);
		expect(claimsOf(data.session!.access_token).session_id).toBe(
			claimsOf(session.access_token).session_id
		);
	});

	it('replaying the parent of the current token answers the current token (a client that lost the answer)', async () => {
		const { client, session } = await signedUp(stack, 'parent');
		const current = (await client.auth.refreshSession()).data.session!.refresh_token;
		const replay = await stack
			.client()
			.auth.refreshSession({ refresh_token: session.refresh_token });
		expect(replay.error).toBeNull();
		expect(replay.data.session!.refresh_token).toBe(current);
	});

	it('reusing an older token fails with 400 refresh_token_already_used, and so does every token of that session afterwards', async () => {
		const { client, session } = await signedUp(stack, 'reuse');
		const second = (await client.auth.refreshSession()).data.session!.refresh_token;
		const third = (await client.auth.refreshSession()).data.session!.refresh_token;
		const reuse = await stack
			.client()
			.auth.refreshSession({ refresh_token: session.refresh_token });
		expect(reuse.error?.status).toBe(400);
		expect(reuse.error?.code).toBe('refresh_token_already_used');
		expect(reuse.error?.message).toBe('Invalid Refresh Token: Already Used');
		for (const token of [second, third]) {
			const { error } = await stack.client().auth.refreshSession({ refresh_token: token });
			expect(error?.code).toBe('refresh_token_already_used');
		}
	});

	it('an unknown refresh token fails with 400 refresh_token_not_found', async () => {
		const { error } = await stack.client().auth.refreshSession({ refresh_token: 'never-issued' });
		expect(error?.status).toBe(400);
		expect(error?.code).toBe('refresh_token_not_found');
		expect(error?.message).toBe('Invalid Refresh Token: Refresh Token Not Found');
	});
});

describe('sign out', () => {
	async function twoSessions(label: string) {
		const first = await signedUp(stack, label);
		const second = stack.client();
		await second.auth.signInWithPassword({ email: first.email, password: PASSWORD });
		return { first, second };
	}

	it('scope local ends this session only; its refresh token then fails with refresh_token_not_found', async () => {
		const { first, second } = await twoSessions('local');
		expect((await first.client.auth.signOut({ scope: 'local' })).error).toBeNull();
		const refresh = await stack
			.client()
			.auth.refreshSession({ refresh_token: first.session.refresh_token });
		expect(refresh.error?.status).toBe(400);
		expect(refresh.error?.code).toBe('refresh_token_not_found');
		expect((await second.auth.getUser()).error).toBeNull();
	});

	it('scope others keeps this session and ends the rest', async () => {
		const { first, second } = await twoSessions('others');
		expect((await first.client.auth.signOut({ scope: 'others' })).error).toBeNull();
		expect((await first.client.auth.getUser()).error).toBeNull();
		const token = (await second.auth.getSession()).data.session!.access_token;
		const answer = await authFetch(stack, '/user', { token });
		expect(answer.status).toBe(403);
		expect((await answer.json()).code).toBe('session_not_found');
	});

	it('scope global (the default) ends every session; their access tokens fail with 403 session_not_found', async () => {
		const { first, second } = await twoSessions('global');
		const secondToken = (await second.auth.getSession()).data.session!.access_token;
		expect((await first.client.auth.signOut()).error).toBeNull();
		const answer = await authFetch(stack, '/user', { token: secondToken });
		expect(answer.status).toBe(403);
		expect(await answer.json()).toEqual({
			code: 'session_not_found',
			message: 'Session from session_id claim in JWT does not exist'
		});
		const refresh = await stack
			.client()
			.auth.refreshSession({ refresh_token: first.session.refresh_token });
		expect(refresh.error?.code).toBe('refresh_token_not_found');
	});
});
