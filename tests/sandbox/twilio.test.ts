import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { DEMO_CREDENTIALS, startSandbox, type Sandbox } from '../../sandbox/index.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const demo = DEMO_CREDENTIALS.twilio;
const [storeNumber, supportNumber] = demo.numbers.map((number) => number.phoneNumber);
const customer = '+5215512345678';

let sandbox: Sandbox;
let receiver: Receiver;

function client(accountSid: string = demo.accountSid, authToken: string = demo.authToken) {
	// The SDK types httpClient as its own RequestClient class; it only ever calls request().
	const httpClient = sandbox.twilioHttpClient() as unknown as RequestClient;
	return twilio(accountSid, authToken, { httpClient });
}

async function openWindow(business = storeNumber, from = customer) {
	await sandbox.sendCustomerMessage({
		provider: 'twilio',
		to: business,
		from,
		text: 'Hello, is anyone there?'
	});
}

beforeAll(async () => {
	receiver = await startReceiver();
	sandbox = await startSandbox({
		webhookBaseUrl: `${receiver.url}/functions/v1`,
		settings: { statusDelayMs: 2 }
	});
});
afterAll(async () => {
	await sandbox.close();
	await receiver.close();
});
afterEach(async () => {
	await sandbox.settled();
	sandbox.reset();
	sandbox.configure({ statusDelayMs: 2, autoRead: true });
	sandbox.clearRequests();
	receiver.received.length = 0;
});

describe('Twilio REST API through the official SDK', () => {
	it('fetches the account to check credentials', async () => {
		const account = await client().api.v2010.accounts(demo.accountSid).fetch();
		expect(account.sid).toBe(demo.accountSid);
		expect(account.status).toBe('active');
		expect(account.friendlyName).toBe(demo.friendlyName);
	});

	it('lists the account incoming phone numbers and its WhatsApp senders', async () => {
		const numbers = await client().incomingPhoneNumbers.list();
		expect(numbers.map((number) => number.phoneNumber).sort()).toEqual(
			[storeNumber, supportNumber].sort()
		);
		const senders = await client().messaging.v2.channelsSenders.list({ channel: 'whatsapp' });
		expect(senders.map((sender) => sender.senderId).sort()).toEqual(
			[`whatsapp:${storeNumber}`, `whatsapp:${supportNumber}`].sort()
		);
	});

	it('lists Content API templates with their WhatsApp approval status', async () => {
		const contents = await client().content.v1.contents.list();
		expect(contents.map((content) => content.friendlyName)).toContain('order_update');
		const sid = contents.find((content) => content.friendlyName === 'order_update')!.sid;
		expect(sid).toMatch(/^HX[0-9a-f]{32}$/);
		const approval = await client().content.v1.contents(sid).approvalFetch().fetch();
		expect(approval.whatsapp).toMatchObject({ status: 'approved', name: 'order_update' });
		const withApprovals = await client().content.v1.contentAndApprovals.list();
		expect(withApprovals.find((content) => content.sid === sid)?.approvalRequests).toMatchObject({
			status: 'approved'
		});
	});

	it('deletes a Content template, which then answers 20404', async () => {
		// The SDK types its request in camelCase but posts it as given; Twilio reads snake_case.
		const created = await client().content.v1.contents.create({
			friendly_name: 'to_delete',
			language: 'en',
			types: { 'twilio/text': { body: 'Bye {{1}}' } }
		} as unknown as Parameters<
			ReturnType<typeof client>['content']['v1']['contents']['create']
		>[0]);
		expect(await client().content.v1.contents(created.sid).remove()).toBe(true);
		const gone = await client()
			.content.v1.contents(created.sid)
			.fetch()
			.catch((caught: unknown) => caught);
		expect(gone).toMatchObject({ status: 404, code: 20404 });
	});

	it('sends a message and records exactly the form Parley posted', async () => {
		await openWindow();
		const message = await client().messages.create({
			from: `whatsapp:${storeNumber}`,
			to: `whatsapp:${customer}`,
			body: 'Your order ships today.',
			mediaUrl: ['https://example.com/a.jpg', 'https://example.com/b.jpg']
		});
		expect(message.sid).toMatch(/^MM[0-9a-f]{32}$/);
		expect(message.status).toBe('queued');
		expect(message.to).toBe(`whatsapp:${customer}`);
		const [sent] = sandbox.requests({ provider: 'twilio', method: 'POST' });
		expect(sent.path).toBe(`/2010-04-01/Accounts/${demo.accountSid}/Messages.json`);
		expect(sent.body).toMatchObject({
			From: `whatsapp:${storeNumber}`,
			To: `whatsapp:${customer}`,
			Body: 'Your order ships today.',
			MediaUrl: ['https://example.com/a.jpg', 'https://example.com/b.jpg']
		});
		expect(sent.headers.authorization).toBe(
			`Basic ${Buffer.from(`${demo.accountSid}:${demo.authToken}`).toString('base64')}`
		);
	});

	it('refuses wrong credentials with HTTP 401 and error 20003', async () => {
		const error = await client(demo.accountSid, 'not-the-token')
			.messages.create({ from: `whatsapp:${storeNumber}`, to: `whatsapp:${customer}`, body: 'hi' })
			.catch((caught: unknown) => caught);
		expect(error).toMatchObject({ status: 401, code: 20003 });
		const unknownAccount = await client('AC' + 'f'.repeat(32), demo.authToken)
			.api.v2010.accounts('AC' + 'f'.repeat(32))
			.fetch()
			.catch((caught: unknown) => caught);
		expect(unknownAccount).toMatchObject({ status: 401, code: 20003 });
	});

	it('refuses a From number that is not a WhatsApp sender of the account with 63007', async () => {
		const error = await client()
			.messages.create({ from: 'whatsapp:+15559999999', to: `whatsapp:${customer}`, body: 'hi' })
			.catch((caught: unknown) => caught);
		expect(error).toMatchObject({ status: 400, code: 63007 });
	});
});

describe('Twilio status callbacks', () => {
	it('arrive signed and in order queued, sent, delivered, read', async () => {
		await openWindow();
		const callback = `${receiver.url}/status?number=store`;
		const message = await client().messages.create({
			from: `whatsapp:${storeNumber}`,
			to: `whatsapp:${customer}`,
			body: 'On its way.',
			statusCallback: callback
		});
		const callbacks = await receiver.waitFor(4, '/status');
		expect(callbacks.map((request) => request.form.MessageStatus)).toEqual([
			'queued',
			'sent',
			'delivered',
			'read'
		]);
		for (const request of callbacks) {
			expect(request.form).toMatchObject({
				MessageSid: message.sid,
				AccountSid: demo.accountSid,
				ChannelPrefix: 'whatsapp'
			});
			const signature = String(request.headers['x-twilio-signature']);
			expect(twilio.validateRequest(demo.authToken, signature, request.url, request.form)).toBe(
				true
			);
		}
	});

	it('fail with 63016 for free text outside the 24-hour window, as Twilio reports it', async () => {
		const message = await client().messages.create({
			from: `whatsapp:${storeNumber}`,
			to: `whatsapp:${customer}`,
			body: 'Are you still there?',
			statusCallback: `${receiver.url}/status`
		});
		expect(message.status).toBe('queued');
		const callbacks = await receiver.waitFor(2, '/status');
		expect(callbacks.map((request) => request.form.MessageStatus)).toEqual(['queued', 'failed']);
		expect(callbacks[1].form.ErrorCode).toBe('63016');
		expect(callbacks[1].form.ChannelStatusMessage).toMatch(/outside the allowed window/);
		expect(callbacks[1].form).not.toHaveProperty('ErrorMessage');
		const fetched = await client().messages(message.sid).fetch();
		expect(fetched).toMatchObject({ status: 'failed', errorCode: 63016 });
	});

	it('closes the window 24 hours after the customer last wrote', async () => {
		await openWindow();
		sandbox.advanceTime(24 * 60 * 60 * 1000 + 1);
		await client().messages.create({
			from: `whatsapp:${storeNumber}`,
			to: `whatsapp:${customer}`,
			body: 'Late answer',
			statusCallback: `${receiver.url}/status`
		});
		const callbacks = await receiver.waitFor(2, '/status');
		expect(callbacks.at(-1)?.form).toMatchObject({ MessageStatus: 'failed', ErrorCode: '63016' });
	});

	it('delivers an approved Content template outside the window, with its variables filled in', async () => {
		const [template] = await client().content.v1.contents.list();
		const message = await client().messages.create({
			from: `whatsapp:${storeNumber}`,
			to: `whatsapp:${customer}`,
			contentSid: template.sid,
			contentVariables: JSON.stringify({ 1: 'Ana', 2: '#2001' }),
			statusCallback: `${receiver.url}/status`
		});
		expect(message.body).toBe('Hi Ana, your order #2001 is on its way.');
		const callbacks = await receiver.waitFor(4, '/status');
		expect(callbacks.map((request) => request.form.MessageStatus)).toEqual([
			'queued',
			'sent',
			'delivered',
			'read'
		]);
	});
});

describe('Twilio inbound webhooks', () => {
	it("answer a 5xx once and Twilio gives up, unless the URL's connection overrides ask for retries; the fragment is neither sent nor signed", async () => {
		receiver.respondWith(() => ({ status: 503, body: 'busy' }));
		const plain = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: storeNumber,
			from: customer,
			text: 'Anyone?'
		});
		expect(plain.delivery.responseStatus).toBe(503);
		expect(receiver.received).toHaveLength(1);

		const base = `${receiver.url}/functions/v1/twilio-webhook`;
		sandbox.upsertTwilioNumber({
			accountSid: demo.accountSid,
			phoneNumber: storeNumber,
			webhookUrl: `${base}#rc=3&rp=all`
		});
		let answered = 0;
		receiver.respondWith(() => (++answered < 3 ? { status: 500, body: '' } : { status: 200 }));
		const retried = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: storeNumber,
			from: customer,
			text: 'Still there?'
		});
		expect(retried.delivery.responseStatus).toBe(200);
		const attempts = receiver.received.slice(1);
		expect(attempts.map((request) => request.url)).toEqual([base, base, base]);
		expect(
			new Set(attempts.map((request) => request.headers['i-twilio-idempotency-token'])).size
		).toBe(1);
		const signed = twilio.validateRequest(
			demo.authToken,
			attempts[0].headers['x-twilio-signature'] as string,
			base,
			attempts[0].form
		);
		expect(signed).toBe(true);
		receiver.respondWith(() => ({ status: 200 }));
		sandbox.upsertTwilioNumber({
			accountSid: demo.accountSid,
			phoneNumber: storeNumber,
			webhookUrl: null
		});
	});

	it('post the message form to the number webhook, with media behind Basic auth and a redirect to a CDN that refuses credentials', async () => {
		const png = Buffer.from('89504e470d0a1a0a', 'hex');
		const { message, delivery } = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: `whatsapp:${supportNumber}`,
			from: customer,
			profileName: 'Ana',
			text: 'Here is the receipt',
			media: { contentType: 'image/png', dataBase64: png.toString('base64') }
		});
		expect(delivery.responseStatus).toBe(200);
		const [request] = await receiver.waitFor(1, '/functions/v1/twilio-webhook');
		expect(request.form).toMatchObject({
			MessageSid: message.id,
			AccountSid: demo.accountSid,
			From: `whatsapp:${customer}`,
			To: `whatsapp:${supportNumber}`,
			Body: 'Here is the receipt',
			ProfileName: 'Ana',
			WaId: customer.slice(1),
			NumMedia: '1',
			MediaContentType0: 'image/png',
			MessageType: 'image'
		});
		const anonymous = await fetch(request.form.MediaUrl0);
		expect(anonymous.status).toBe(401);
		const basic = `Basic ${Buffer.from(`${demo.accountSid}:${demo.authToken}`).toString('base64')}`;
		const authorized = await fetch(request.form.MediaUrl0, {
			headers: { Authorization: basic },
			redirect: 'manual'
		});
		expect(authorized.status).toBe(302);
		const cdnUrl = authorized.headers.get('location')!;
		expect(new URL(cdnUrl).pathname).toMatch(/^\/_media\/twilio\/ME/);
		// Following the redirect with the account's credentials is refused, as Twilio's CDN does.
		const withCredentials = await fetch(cdnUrl, { headers: { Authorization: basic } });
		expect(withCredentials.status).toBe(400);
		await withCredentials.body?.cancel();
		const cdn = await fetch(cdnUrl);
		expect(cdn.headers.get('content-type')).toBe('image/png');
		expect(Buffer.from(await cdn.arrayBuffer())).toEqual(png);
		const forged = await fetch(cdnUrl.replace(/Signature=[^&]+/, 'Signature=forged'));
		expect(forged.status).toBe(403);
		await forged.body?.cancel();
	});

	it('a new media file answers 404 to its first requests when the CDN lags, then redirects', async () => {
		sandbox.configure({ twilioMediaNotFoundFirst: 2 });
		try {
			await sandbox.sendCustomerMessage({
				provider: 'twilio',
				to: `whatsapp:${supportNumber}`,
				from: customer,
				media: { contentType: 'image/png' }
			});
			const [request] = await receiver.waitFor(1, '/functions/v1/twilio-webhook');
			const basic = `Basic ${Buffer.from(`${demo.accountSid}:${demo.authToken}`).toString('base64')}`;
			const statuses: number[] = [];
			for (let attempt = 0; attempt < 3; attempt++) {
				const answer = await fetch(request.form.MediaUrl0, {
					headers: { Authorization: basic },
					redirect: 'manual'
				});
				statuses.push(answer.status);
				await answer.body?.cancel();
			}
			expect(statuses).toEqual([404, 404, 302]);
		} finally {
			sandbox.configure({ twilioMediaNotFoundFirst: 0 });
		}
	});
});
