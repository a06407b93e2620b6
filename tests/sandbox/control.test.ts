import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, startSandbox, type Sandbox } from '../../sandbox/index.ts';
import { startReceiver, type Receiver } from './receiver.ts';

let sandbox: Sandbox;
let receiver: Receiver;

async function call(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
	const response = await fetch(sandbox.url + path, {
		method,
		headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await response.text();
	return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
	receiver = await startReceiver();
	sandbox = await startSandbox({ settings: { statusDelayMs: 2 } });
});
afterAll(async () => {
	await sandbox.close();
	await receiver.close();
});

describe('the sandbox control API and the phone', () => {
	it('configures a new Twilio account and number over HTTP, and a customer message reaches its webhook', async () => {
		const account = await call('/_sandbox/twilio/accounts', { friendlyName: 'Acme' });
		expect(account.status).toBe(201);
		expect(account.json.sid).toMatch(/^AC[0-9a-f]{32}$/);
		const number = await call('/_sandbox/twilio/numbers', {
			accountSid: account.json.sid,
			phoneNumber: '+15550109999',
			webhookUrl: `${receiver.url}/acme`
		});
		expect(number.status).toBe(201);
		const sent = await call('/customer/messages', {
			provider: 'twilio',
			to: '+15550109999',
			from: '+447700900123',
			text: 'Hi Acme',
			profileName: 'Jo'
		});
		expect(sent.status).toBe(201);
		expect(sent.json.delivery).toMatchObject({ url: `${receiver.url}/acme`, status: 200 });
		const [request] = await receiver.waitFor(1, '/acme');
		expect(request.form).toMatchObject({
			AccountSid: account.json.sid,
			Body: 'Hi Acme',
			ProfileName: 'Jo',
			WaId: '447700900123'
		});
	});

	it('explains in a sentence when a customer writes to a number that does not exist', async () => {
		const sent = await call('/customer/messages', {
			provider: 'meta',
			to: '999',
			from: '+447700900123',
			text: 'Hi'
		});
		expect(sent.status).toBe(404);
		expect(sent.json.error).toBe('No Meta phone number 999 exists in the sandbox.');
		const noWebhook = await call('/customer/messages', {
			provider: 'meta',
			to: DEMO_CREDENTIALS.meta.phoneNumberId,
			from: '+447700900123',
			text: 'Hi'
		});
		expect(noWebhook.status).toBe(409);
		const invalid = await call('/_sandbox/twilio/numbers', {
			accountSid: DEMO_CREDENTIALS.twilio.accountSid,
			phoneNumber: '555'
		});
		expect(invalid.status).toBe(400);
		expect(invalid.json.error).toMatch(/phoneNumber/);
	});

	it('lists the requests Parley made through GET /_sandbox/requests', async () => {
		await fetch(`${sandbox.url}/v21.0/${DEMO_CREDENTIALS.meta.phoneNumberId}`, {
			headers: { Authorization: `Bearer ${DEMO_CREDENTIALS.meta.accessToken}` }
		});
		const listed = await call('/_sandbox/requests?provider=meta');
		expect(listed.json.requests.at(-1)).toMatchObject({
			provider: 'meta',
			method: 'GET',
			path: `/v21.0/${DEMO_CREDENTIALS.meta.phoneNumberId}`,
			status: 200,
			headers: { authorization: `Bearer ${DEMO_CREDENTIALS.meta.accessToken}` }
		});
		expect((await call('/_sandbox/requests', undefined, 'DELETE')).status).toBe(204);
		expect((await call('/_sandbox/requests')).json.requests).toEqual([]);
	});

	it('redelivers a webhook byte for byte, as a provider retry would', async () => {
		sandbox.upsertMetaNumber({
			phoneNumberId: DEMO_CREDENTIALS.meta.phoneNumberId,
			webhookUrl: `${receiver.url}/meta`
		});
		const { delivery } = await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: DEMO_CREDENTIALS.meta.phoneNumberId,
			from: '+447700900123',
			text: 'Once'
		});
		const again = await call(`/_sandbox/webhooks/${delivery.id}/redeliver`, {});
		expect(again.status).toBe(200);
		const [first, second] = await receiver.waitFor(2, '/meta');
		expect(second.rawBody).toBe(first.rawBody);
		expect(second.headers['x-hub-signature-256']).toBe(first.headers['x-hub-signature-256']);
	});

	it('shows the customer their conversation with one number, and pushes statuses on demand, out of order', async () => {
		const meta = DEMO_CREDENTIALS.meta;
		sandbox.configure({ autoRead: false });
		sandbox.upsertMetaNumber({
			phoneNumberId: meta.phoneNumberId,
			webhookUrl: `${receiver.url}/statuses`
		});
		await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: meta.phoneNumberId,
			from: '+447700900555',
			text: 'Hi'
		});
		const sent = await fetch(`${sandbox.urls.graph}/v21.0/${meta.phoneNumberId}/messages`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${meta.accessToken}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({
				messaging_product: 'whatsapp',
				to: '447700900555',
				type: 'text',
				text: { body: 'Hello' }
			})
		});
		const id = ((await sent.json()) as { messages: { id: string }[] }).messages[0].id;
		await sandbox.settled();
		const pushed = await call('/_sandbox/statuses', { messageId: id, status: 'read' });
		expect(pushed.status).toBe(204);
		await sandbox.pushStatus({ messageId: id, status: 'delivered' });
		const conversation = await call(
			`/customer/conversation?phone=%2B447700900555&business=${meta.phoneNumberId}`
		);
		expect(
			conversation.json.messages.map((message: { direction: string; body: string }) => [
				message.direction,
				message.body
			])
		).toEqual([
			['inbound', 'Hi'],
			['outbound', 'Hello']
		]);
		const statuses = (await receiver.waitFor(4, '/statuses')).slice(1).map((request) => {
			const payload = request.json as {
				entry: { changes: { value: { statuses: { status: string }[] } }[] }[];
			};
			return payload.entry[0].changes[0].value.statuses[0].status;
		});
		expect(statuses).toEqual(['sent', 'delivered', 'read', 'delivered']);
	});

	it('serves the phone page as plain HTML', async () => {
		const page = await fetch(sandbox.url + '/');
		expect(page.headers.get('content-type')).toMatch(/text\/html/);
		expect(await page.text()).toContain('/customer/messages');
	});
});
