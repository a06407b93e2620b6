/**
 * Supabase Auth documentation, "Error codes" and "Rate limits", and the API gateway in front of it:
 * the error body by API version, `[auth.rate_limit]` per client address, the refusal of what the
 * local stack does not do, and hosted Supabase's 401 for a request without an apikey.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TestStack } from '../../support/stack.ts';
import {
	authFetch,
	clientFrom,
	PASSWORD,
	signedUp,
	startAuthStack,
	uniqueEmail
} from './gotrue-stack.ts';

let stack: TestStack;

beforeAll(async () => {
	stack = await startAuthStack({
		rate_limit: { sign_in_sign_ups: 3, token_refresh: 2, token_verifications: 2 }
	});
});

afterAll(async () => {
	await stack?.close();
});

describe('error bodies', () => {
	it('with X-Supabase-Api-Version 2024-01-01 an error is {code, message} and the header is echoed', async () => {
		const response = await authFetch(stack, '/token?grant_type=password', {
			body: { email: uniqueEmail('nobody'), password: PASSWORD }
		});
		expect(response.status).toBe(400);
		expect(response.headers.get('x-supabase-api-version')).toBe('2024-01-01');
		expect(await response.json()).toEqual({
			code: 'invalid_credentials',
			message: 'Invalid login credentials'
		});
	});

	it('without an API version an error keeps the legacy {code: status, error_code, msg} and x-sb-error-code', async () => {
		const response = await authFetch(stack, '/token?grant_type=password', {
			body: { email: uniqueEmail('legacy'), password: PASSWORD },
			headers: { 'x-supabase-api-version': '' }
		});
		expect(response.headers.get('x-sb-error-code')).toBe('invalid_credentials');
		expect(await response.json()).toEqual({
			code: 400,
			error_code: 'invalid_credentials',
			msg: 'Invalid login credentials'
		});
	});

	it('a body that is not JSON fails with 400 bad_json', async () => {
		const response = await fetch(`${stack.url}/auth/v1/signup`, {
			method: 'POST',
			headers: {
				apikey: stack.anonKey,
				'content-type': 'application/json',
				'x-supabase-api-version': '2024-01-01'
			},
			body: '{not json'
		});
		expect(response.status).toBe(400);
		expect((await response.json()).code).toBe('bad_json');
	});
});

describe('rate limits per client address', () => {
	it('sign_in_sign_ups counts sign-ups and password sign-ins together: past it, 429 over_request_rate_limit', async () => {
		const address = '198.51.100.10';
		const client = clientFrom(stack, address);
		const email = uniqueEmail('limited');
		expect((await client.auth.signUp({ email, password: PASSWORD })).error).toBeNull();
		expect((await client.auth.signInWithPassword({ email, password: PASSWORD })).error).toBeNull();
		expect((await client.auth.signInWithPassword({ email, password: PASSWORD })).error).toBeNull();
		const refused = await client.auth.signInWithPassword({ email, password: PASSWORD });
		expect(refused.error?.status).toBe(429);
		expect(refused.error?.code).toBe('over_request_rate_limit');
		const elsewhere = await clientFrom(stack, '198.51.100.11').auth.signInWithPassword({
			email,
			password: PASSWORD
		});
		expect(elsewhere.error).toBeNull();
	});

	it('token_refresh limits refreshes from one address', async () => {
		const { session } = await signedUp(stack, 'refresh-limit');
		const client = clientFrom(stack, '198.51.100.20');
		let token = session.refresh_token;
		for (let i = 0; i < 2; i++) {
			const { data, error } = await client.auth.refreshSession({ refresh_token: token });
			expect(error).toBeNull();
			token = data.session!.refresh_token;
		}
		const refused = await client.auth.refreshSession({ refresh_token: token });
		expect(refused.error?.status).toBe(429);
		expect(refused.error?.code).toBe('over_request_rate_limit');
	});

	it('token_verifications limits one-time code checks from one address', async () => {
		const client = clientFrom(stack, '198.51.100.30');
		const email = uniqueEmail('verify-limit');
		const tries = [];
		for (let i = 0; i < 3; i++) {
			tries.push((await client.auth.verifyOtp({ email, token: '123456', type: 'email' })).error);
		}
		expect(tries.slice(0, 2).map((error) => error?.code)).toEqual(['otp_expired', 'otp_expired']);
		expect(tries[2]?.status).toBe(429);
		expect(tries[2]?.code).toBe('over_request_rate_limit');
	});
});

describe('what the local stack does not do', () => {
	it("an Auth endpoint it does not serve answers in GoTrue's shape that it is not supported by the local stack", async () => {
		const { session } = await signedUp(stack, 'mfa');
		const response = await authFetch(stack, '/factors', {
			token: session.access_token,
			body: { factor_type: 'totp' }
		});
		expect(response.status).toBe(404);
		const body = await response.json();
		expect(body.code).toBe('not_found');
		expect(body.message).toContain('not supported by the local stack');
	});

	it('a grant type it does not serve (id_token) is refused in words', async () => {
		const { error } = await stack
			.client()
			.auth.signInWithIdToken({ provider: 'google', token: 'a.b.c' });
		expect(error?.status).toBe(400);
		expect(error?.message).toContain('not supported by the local stack');
	});
});

describe('the API gateway', () => {
	for (const path of [
		'/auth/v1/settings',
		'/rest/v1/',
		'/storage/v1/bucket',
		'/realtime/v1/api/broadcast'
	]) {
		it(`a request to ${path} without an apikey answers 401 "No API key found in request"`, async () => {
			const response = await fetch(`${stack.url}${path}`);
			expect(response.status).toBe(401);
			expect(await response.json()).toEqual({
				message: 'No API key found in request',
				hint: 'No `apikey` request header or url param was found.'
			});
		});
	}

	it('an apikey in the query string is accepted like the header', async () => {
		const response = await fetch(`${stack.url}/auth/v1/settings?apikey=${stack.anonKey}`);
		expect(response.status).toBe(200);
	});

	it('a realtime socket opened without an apikey is refused with the same 401', async () => {
		const socket = new WebSocket(
			`${stack.url.replace('http', 'ws')}/realtime/v1/websocket?vsn=2.0.0`
		);
		const refusal = await new Promise<{ status: number; body: string }>((resolve, reject) => {
			socket.on('open', () => reject(new Error('the socket opened without an apikey')));
			socket.on('unexpected-response', (_request, response) => {
				let body = '';
				response.on('data', (chunk: Buffer) => (body += chunk.toString()));
				response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
			});
		});
		expect(refusal.status).toBe(401);
		expect(JSON.parse(refusal.body).message).toBe('No API key found in request');
	});

	it('the link in a mail (GET /auth/v1/verify) opens without an apikey', async () => {
		const response = await fetch(
			`${stack.url}/auth/v1/verify?token=unknown&type=magiclink&redirect_to=http://localhost:5173/`,
			{ redirect: 'manual' }
		);
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toContain('error_code=otp_expired');
	});

	it('Edge Functions are left to verify_jwt: a keyless call reaches the functions router', async () => {
		const response = await fetch(`${stack.url}/functions/v1/no-such-function`, { method: 'POST' });
		expect(response.status).toBe(404);
	});
});
