import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
	DEMO_CREDENTIALS,
	sandboxFunctionSecrets,
	startSandbox,
	twilioSignature,
	type Sandbox
} from '../../sandbox/index.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { commitAs, createUser, rowsOf } from '../db/support.ts';

// Behind a proxy Twilio signs the public URL it called, not the one the function sees:
// PARLEY_PUBLIC_FUNCTIONS_URL names it, and the status callback Parley gives Twilio uses it too.

const publicBase = 'https://parley.example.com/functions/v1';
const twilioDemo = DEMO_CREDENTIALS.twilio;

let sandbox: Sandbox;
let stack: TestStack;

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0, settings: { statusDelayMs: 5 } });
	stack = await startTestStack({
		functionSecrets: {
			...sandboxFunctionSecrets(sandbox),
			PARLEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
			PARLEY_PUBLIC_FUNCTIONS_URL: publicBase
		}
	});
}, 180_000);
afterAll(async () => {
	await stack?.close();
	await sandbox?.close();
});

it('a Twilio webhook is checked against the configured public URL, with its query string', async () => {
	const owner = await createUser(stack.db, 'proxy-owner@example.test');
	const [tenant] = rowsOf(
		await commitAs<{ id: string }>(stack.db, owner, 'select * from public.create_tenant($1, $2)', [
			'Proxy team',
			'proxy-team'
		])
	);
	const client = stack.client();
	await client.auth.signInWithPassword({ email: owner.email!, password: 'secret-password' });
	const connected = await client.functions.invoke(`twilio-integration/${tenant.id}`, {
		body: { accountSid: twilioDemo.accountSid, authToken: twilioDemo.authToken }
	});
	expect(connected.error).toBeNull();
	const number = await client.functions.invoke(`whatsapp-numbers/${tenant.id}`, {
		body: { provider: 'twilio', displayName: 'Store', address: 'whatsapp:+15550100001' }
	});
	expect(number.error).toBeNull();
	expect(number.data.number.webhook.callbackUrl).toBe(`${publicBase}/twilio-webhook#rc=3&rp=all`);

	const params = {
		MessageSid: 'SMproxy000000000000000000000000a',
		AccountSid: twilioDemo.accountSid,
		From: 'whatsapp:+14155550123',
		To: 'whatsapp:+15550100001',
		Body: 'Through the proxy',
		WaId: '14155550123',
		ProfileName: 'Ana'
	};
	const post = (signedUrl: string) =>
		fetch(`${stack.url}/functions/v1/twilio-webhook?source=proxy`, {
			method: 'POST',
			headers: {
				'Content-Type': 'application/x-www-form-urlencoded',
				'X-Twilio-Signature': twilioSignature(twilioDemo.authToken, signedUrl, params)
			},
			body: new URLSearchParams(params).toString()
		});
	// Signed for the address the function sees: not what Twilio called.
	expect((await post(`${stack.url}/functions/v1/twilio-webhook?source=proxy`)).status).toBe(403);
	expect((await post(`${publicBase}/twilio-webhook`)).status).toBe(403);
	expect((await post(`${publicBase}/twilio-webhook?source=proxy`)).status).toBe(200);
	const { rows } = await stack.db.query(
		'select body from public.messages where provider_message_id = $1',
		[params.MessageSid]
	);
	expect(rows).toEqual([{ body: 'Through the proxy' }]);
}, 60_000);
