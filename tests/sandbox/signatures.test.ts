import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { createHmac } from 'node:crypto';
import {
	DEMO_CREDENTIALS,
	metaSignature,
	startSandbox,
	twilioSignature,
	type Sandbox
} from '../../sandbox/index.ts';
import { startReceiver, type Receiver } from './receiver.ts';

let sandbox: Sandbox;
let receiver: Receiver;

beforeAll(async () => {
	receiver = await startReceiver();
	sandbox = await startSandbox({ settings: { statusDelayMs: 2 } });
});
afterAll(async () => {
	await sandbox.close();
	await receiver.close();
});

describe('Twilio signatures', () => {
	it('match the documented test vector', () => {
		const signature = twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', {
			CallSid: 'CA1234567890ABCDE',
			Caller: '+12349013030',
			Digits: '1234',
			From: '+12349013030',
			To: '+18005551212'
		});
		expect(signature).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
	});

	it('on an inbound webhook verify with the twilio SDK validateRequest, and not with another token', async () => {
		const number = DEMO_CREDENTIALS.twilio.numbers[0].phoneNumber;
		sandbox.upsertTwilioNumber({
			accountSid: DEMO_CREDENTIALS.twilio.accountSid,
			phoneNumber: number,
			webhookUrl: `${receiver.url}/functions/v1/twilio-webhook?tenant=acme&number=1`
		});
		await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: number,
			from: '+5215512345678',
			text: 'Hola ¿qué tal? 👋'
		});
		const [request] = await receiver.waitFor(1, '/functions/v1/twilio-webhook');
		const signature = String(request.headers['x-twilio-signature']);
		expect(request.url).toBe(`${receiver.url}/functions/v1/twilio-webhook?tenant=acme&number=1`);
		expect(
			twilio.validateRequest(
				DEMO_CREDENTIALS.twilio.authToken,
				signature,
				request.url,
				request.form
			)
		).toBe(true);
		expect(
			twilio.validateRequest('another-token-entirely', signature, request.url, request.form)
		).toBe(false);
		expect(
			twilio.validateRequest(DEMO_CREDENTIALS.twilio.authToken, signature, request.url, {
				...request.form,
				Body: 'changed'
			})
		).toBe(false);
	});
});

describe('Meta signatures', () => {
	it('are sha256= and the hex HMAC-SHA256 of the raw body with the app secret', () => {
		const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
		const independent =
			'sha256=' + createHmac('sha256', 'secret').update(Buffer.from(body)).digest('hex');
		expect(metaSignature('secret', body)).toBe(independent);
		expect(metaSignature('other', body)).not.toBe(independent);
	});
});
