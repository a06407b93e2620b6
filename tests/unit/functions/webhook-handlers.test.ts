import { describe, expect, it } from 'vitest';
import { providerFunctionConfig } from '../../../supabase/functions/_shared/config.ts';
import {
	createMetaWebhookHandler,
	createTwilioWebhookHandler
} from '../../../supabase/functions/_shared/ingest.ts';
import type { IngestedMessage } from '../../../supabase/functions/_shared/delivery-results.ts';
import { validTwilioSignature } from '../../../supabase/functions/_shared/providers/twilio-webhook.ts';
import { validMetaSignature } from '../../../supabase/functions/_shared/providers/meta-webhook.ts';

// The webhook handlers' refusals that come before any database call, run in-process: a request
// refused here never reaches Supabase (the URL below has nothing listening).
const config = providerFunctionConfig({
	SUPABASE_URL: 'http://127.0.0.1:9',
	SUPABASE_ANON_KEY: 'anon',
	SUPABASE_SERVICE_ROLE_KEY: 'service'
});
const scheduled: IngestedMessage[] = [];
const scheduleAiReply = async (message: IngestedMessage) => {
	scheduled.push(message);
};
const twilioWebhook = createTwilioWebhookHandler(config, scheduleAiReply);
const metaWebhook = createMetaWebhookHandler(config, scheduleAiReply);

const twilioUrl = 'https://example.test/functions/v1/twilio-webhook';
const metaUrl = 'https://example.test/functions/v1/meta-webhook';

async function errorOf(response: Response): Promise<{ status: number; code: unknown }> {
	const body = (await response.json()) as { code?: unknown };
	return { status: response.status, code: body.code };
}

describe('twilio-webhook', () => {
	it('refuses anything but POST', async () => {
		expect(await errorOf(await twilioWebhook(new Request(twilioUrl)))).toEqual({
			status: 405,
			code: 'method_not_allowed'
		});
	});

	it('refuses a delivery without X-Twilio-Signature and schedules nothing', async () => {
		const response = await twilioWebhook(
			new Request(twilioUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: 'MessageSid=SM1&From=whatsapp%3A%2B15550001111'
			})
		);
		expect(await errorOf(response)).toEqual({ status: 401, code: 'missing_signature' });
		expect(scheduled).toEqual([]);
	});

	it('refuses a body larger than any Twilio delivery unread', async () => {
		const response = await twilioWebhook(
			new Request(twilioUrl, {
				method: 'POST',
				headers: { 'x-twilio-signature': 'x' },
				body: 'Body=' + 'a'.repeat(200 * 1024)
			})
		);
		expect(response.status).toBe(413);
	});

	it('refuses a signed form that is not a Twilio WhatsApp delivery', async () => {
		const response = await twilioWebhook(
			new Request(twilioUrl, {
				method: 'POST',
				headers: { 'x-twilio-signature': 'x' },
				body: 'From=someone'
			})
		);
		expect((await errorOf(response)).status).toBe(400);
	});
});

describe('meta-webhook', () => {
	it('answers a subscription check without its fields with a sentence, not the challenge', async () => {
		const response = await metaWebhook(new Request(`${metaUrl}?hub.mode=subscribe`));
		expect(await errorOf(response)).toEqual({ status: 400, code: 'invalid_verification' });
	});

	it('refuses a delivery without X-Hub-Signature-256', async () => {
		const response = await metaWebhook(
			new Request(metaUrl, { method: 'POST', body: JSON.stringify({ object: 'x' }) })
		);
		expect(await errorOf(response)).toEqual({ status: 401, code: 'missing_signature' });
		expect(scheduled).toEqual([]);
	});

	it('refuses PUT', async () => {
		const response = await metaWebhook(new Request(metaUrl, { method: 'PUT', body: '{}' }));
		expect((await errorOf(response)).status).toBe(405);
	});
});

describe('signatures', () => {
	it("Twilio's check accepts Twilio's documented test vector and refuses a changed one", () => {
		const params = {
			CallSid: 'CA1234567890ABCDE',
			Caller: '+12349013030',
			Digits: '1234',
			From: '+12349013030',
			To: '+18005551212'
		};
		const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
		const signature = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';
		expect(validTwilioSignature('12345', signature, url, params)).toBe(true);
		expect(validTwilioSignature('12345', signature, url, { ...params, Digits: '1235' })).toBe(
			false
		);
		expect(validTwilioSignature('54321', signature, url, params)).toBe(false);
	});

	it("Meta's check accepts the body's HMAC with the app secret and nothing else", async () => {
		const body = new TextEncoder().encode('{"object":"whatsapp_business_account"}');
		const key = await crypto.subtle.importKey(
			'raw',
			new TextEncoder().encode('app-secret'),
			{ name: 'HMAC', hash: 'SHA-256' },
			false,
			['sign']
		);
		const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, body));
		const header = 'sha256=' + [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
		expect(await validMetaSignature('app-secret', body, header)).toBe(true);
		expect(await validMetaSignature('other-secret', body, header)).toBe(false);
		expect(await validMetaSignature('app-secret', body, 'sha256=00')).toBe(false);
		expect(await validMetaSignature('app-secret', body, header.replace('sha256=', ''))).toBe(false);
	});
});
