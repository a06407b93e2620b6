import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { providerFunctionConfig } from '../../../supabase/functions/_shared/config.ts';
import { createWhatsAppSendHandler } from '../../../supabase/functions/_shared/whatsapp-send.ts';
import { createWhatsAppNumbersHandler } from '../../../supabase/functions/_shared/whatsapp-numbers.ts';
import type { FunctionErrorBody } from '../../../supabase/functions/_shared/contracts.ts';

// The user-facing handlers' refusals that come before any database call, in-process.

// supabase-js wants a WebSocket class even for clients that never subscribe; Node 20 has none.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
const config = providerFunctionConfig({
	SUPABASE_URL: 'http://127.0.0.1:9',
	SUPABASE_ANON_KEY: 'anon',
	SUPABASE_SERVICE_ROLE_KEY: 'service'
});
const send = createWhatsAppSendHandler(config);
const numbers = createWhatsAppNumbersHandler(config);

/** A token with the claims the gateway would have verified (the handlers only read them). */
function signedInToken(): string {
	const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
	return `${encode({ alg: 'HS256' })}.${encode({ sub: crypto.randomUUID(), role: 'authenticated' })}.x`;
}

async function answer(response: Response): Promise<{ status: number; body: FunctionErrorBody }> {
	return { status: response.status, body: (await response.json()) as FunctionErrorBody };
}

const sendUrl = 'https://example.test/functions/v1/whatsapp-send';

describe('whatsapp-send', () => {
	const post = (body: string, path = '', token: string | null = signedInToken()) =>
		send(
			new Request(sendUrl + path, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					...(token ? { authorization: `Bearer ${token}` } : {})
				},
				body
			})
		);

	it('asks someone not signed in to sign in', async () => {
		const { status, body } = await answer(await post('{}', '', null));
		expect(status).toBe(401);
		expect(body.code).toBe('not_signed_in');
		expect(body.message).toMatch(/^Sign in/);
	});

	it('refuses GET', async () => {
		const response = await send(new Request(sendUrl));
		expect((await answer(response)).status).toBe(405);
	});

	it('says when the body is not JSON', async () => {
		expect((await answer(await post('{'))).body.code).toBe('invalid_json');
	});

	it('refuses text and a template together, naming what it takes', async () => {
		const { status, body } = await answer(
			await post(
				JSON.stringify({
					conversationId: crypto.randomUUID(),
					text: 'hi',
					template: { name: 'hello' }
				})
			)
		);
		expect(status).toBe(400);
		expect(body.code).toBe('invalid_request');
		expect(body.message).toContain('{ conversationId, text }');
	});

	it('refuses an empty message in words', async () => {
		const { body } = await answer(
			await post(JSON.stringify({ conversationId: crypto.randomUUID(), text: '   ' }))
		);
		expect(body.details?.issues?.[0]?.message).toBe('Write a message before sending.');
	});

	it('answers 404 for a route it does not have', async () => {
		expect((await answer(await post('{}', '/elsewhere'))).status).toBe(404);
	});
});

describe('whatsapp-numbers', () => {
	const base = 'https://example.test/functions/v1/whatsapp-numbers';

	it('asks someone not signed in to sign in', async () => {
		const response = await numbers(new Request(`${base}/${crypto.randomUUID()}`));
		expect((await answer(response)).body.code).toBe('not_signed_in');
	});

	it('answers 404 for a workspace id that cannot exist', async () => {
		const response = await numbers(
			new Request(`${base}/not-a-workspace`, {
				headers: { authorization: `Bearer ${signedInToken()}` }
			})
		);
		const { status, body } = await answer(response);
		expect(status).toBe(404);
		expect(body.message).toBe('There is no such workspace. Check the address.');
	});

	it('answers 404 for a path deeper than its routes', async () => {
		const response = await numbers(new Request(`${base}/${crypto.randomUUID()}/a/b`));
		expect((await answer(response)).status).toBe(404);
	});
});
