import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEMO_CREDENTIALS, startSandbox, type Sandbox } from '../../sandbox/index.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const demo = DEMO_CREDENTIALS.meta;
const customer = '+5215512345678';
const webhookPath = '/functions/v1/meta-webhook';

let sandbox: Sandbox;
let receiver: Receiver;

/** Meta's scheme, written independently of the sandbox: HMAC-SHA256 of the raw body, hex, `sha256=`. */
function metaSignatureValid(
	appSecret: string,
	rawBody: string,
	header: string | undefined
): boolean {
	const expected = Buffer.from(
		'sha256=' + createHmac('sha256', appSecret).update(rawBody).digest('hex')
	);
	const given = Buffer.from(header ?? '');
	return given.length === expected.length && timingSafeEqual(given, expected);
}

async function graph(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
	const response = await fetch(`${sandbox.urls.graph}/v21.0/${path}`, {
		method: init.method ?? (init.body ? 'POST' : 'GET'),
		headers: {
			Authorization: `Bearer ${init.token ?? demo.accessToken}`,
			'Content-Type': 'application/json'
		},
		body: init.body ? JSON.stringify(init.body) : undefined
	});
	return { status: response.status, json: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- Graph answers vary per endpoint; tests index into them.
}

function sendText(body: string) {
	return graph(`${demo.phoneNumberId}/messages`, {
		body: {
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: customer.slice(1),
			type: 'text',
			text: { preview_url: false, body }
		}
	});
}

interface StatusEntry {
	id: string;
	status: string;
	recipient_id: string;
	errors?: { code: number; title: string }[];
}

function statusesOf(requests: { json: unknown }[]): StatusEntry[] {
	return requests.flatMap((request) => {
		const payload = request.json as {
			entry: { changes: { value: { statuses?: StatusEntry[] } }[] }[];
		};
		return payload.entry.flatMap((entry) =>
			entry.changes.flatMap((change) => change.value.statuses ?? [])
		);
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
	sandbox.configure({ statusDelayMs: 2, autoRead: true, metaWindowError: 'status' });
	receiver.received.length = 0;
});

describe('Meta inbound webhooks', () => {
	it('deliver entry/changes/value/messages with contacts, signed with the app secret', async () => {
		const { message } = await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: demo.phoneNumberId,
			from: customer,
			profileName: 'Ana',
			text: 'Hola, ¿tienen envío?'
		});
		const [request] = await receiver.waitFor(1, webhookPath);
		expect(
			metaSignatureValid(
				demo.appSecret,
				request.rawBody,
				request.headers['x-hub-signature-256'] as string
			)
		).toBe(true);
		expect(
			metaSignatureValid(
				demo.appSecret,
				request.rawBody + ' ',
				request.headers['x-hub-signature-256'] as string
			)
		).toBe(false);
		expect(request.json).toMatchObject({
			object: 'whatsapp_business_account',
			entry: [
				{
					id: demo.wabaId,
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: {
									display_phone_number: demo.displayPhoneNumber,
									phone_number_id: demo.phoneNumberId
								},
								contacts: [{ profile: { name: 'Ana' }, wa_id: customer.slice(1) }],
								messages: [
									{
										from: customer.slice(1),
										id: message.id,
										type: 'text',
										text: { body: 'Hola, ¿tienen envío?' }
									}
								]
							}
						}
					]
				}
			]
		});
	});

	it('deliver a reaction to an earlier message as type reaction; Twilio customers cannot react here', async () => {
		await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: demo.phoneNumberId,
			from: customer,
			reaction: { messageId: 'wamid.earlier', emoji: '👍' }
		});
		const [request] = await receiver.waitFor(1, webhookPath);
		const delivered = request.json as {
			entry: { changes: { value: { messages: unknown[] } }[] }[];
		};
		expect(delivered.entry[0].changes[0].value.messages[0]).toMatchObject({
			type: 'reaction',
			reaction: { message_id: 'wamid.earlier', emoji: '👍' }
		});
		await expect(
			sandbox.sendCustomerMessage({
				provider: 'twilio',
				to: '+15550100001',
				from: customer,
				reaction: { messageId: 'SM1', emoji: '👍' }
			})
		).rejects.toThrow('reaction: The sandbox plays reactions on Meta numbers only.');
	});

	it('give media an id whose URL downloads only with the bearer token', async () => {
		await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: demo.phoneNumberId,
			from: customer,
			text: 'My invoice',
			media: {
				contentType: 'application/pdf',
				dataBase64: Buffer.from('%PDF-1.4').toString('base64'),
				filename: 'invoice.pdf'
			}
		});
		const [request] = await receiver.waitFor(1, webhookPath);
		const document = (
			request.json as {
				entry: {
					changes: {
						value: { messages: { document: { id: string; filename: string; caption: string } }[] };
					}[];
				}[];
			}
		).entry[0].changes[0].value.messages[0].document;
		expect(document).toMatchObject({ filename: 'invoice.pdf', caption: 'My invoice' });
		const lookup = await graph(document.id);
		expect(lookup.json).toMatchObject({
			id: document.id,
			mime_type: 'application/pdf',
			file_size: 8
		});
		expect((await fetch(lookup.json.url)).status).toBe(401);
		const download = await fetch(lookup.json.url, {
			headers: { Authorization: `Bearer ${demo.accessToken}` }
		});
		expect(await download.text()).toBe('%PDF-1.4');
	});

	it("forget a media id after 7 days, or when told, answering Graph's missing-object error", async () => {
		const ids: string[] = [];
		for (let index = 0; index < 2; index++) {
			await sandbox.sendCustomerMessage({
				provider: 'meta',
				to: demo.phoneNumberId,
				from: customer,
				media: { contentType: 'image/png' }
			});
			const request = (await receiver.waitFor(index + 1, webhookPath))[index];
			const message = (
				request.json as {
					entry: { changes: { value: { messages: { image: { id: string } }[] } }[] }[];
				}
			).entry[0].changes[0].value.messages[0];
			ids.push(message.image.id);
		}
		expect((await graph(ids[0])).status).toBe(200);
		sandbox.forgetMedia(ids[0]);
		const forgotten = await graph(ids[0]);
		expect(forgotten.status).toBe(400);
		expect(forgotten.json.error).toMatchObject({ code: 100, error_subcode: 33 });

		expect((await graph(ids[1])).status).toBe(200);
		sandbox.advanceTime(7 * 24 * 60 * 60 * 1000 + 1);
		expect((await graph(ids[1])).json.error).toMatchObject({ code: 100 });
	});
});

describe('Meta Graph API', () => {
	it('reads the phone number to verify credentials, and lists the WABA templates', async () => {
		const phone = await graph(demo.phoneNumberId);
		expect(phone.json).toMatchObject({
			id: demo.phoneNumberId,
			verified_name: demo.verifiedName,
			display_phone_number: '+' + demo.displayPhoneNumber
		});
		const templates = await graph(`${demo.wabaId}/message_templates`);
		expect(templates.json.data.map((template: { name: string }) => template.name)).toContain(
			'order_update'
		);
	});

	it('refuses a bad token with 401 and OAuthException code 190', async () => {
		const response = await graph(demo.phoneNumberId, { token: 'EAAwrong' });
		expect(response.status).toBe(401);
		expect(response.json.error).toMatchObject({ code: 190, type: 'OAuthException' });
		expect(response.json.error.fbtrace_id).toEqual(expect.any(String));
	});

	it('sends text inside the window and reports sent, delivered, read, signed', async () => {
		await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: demo.phoneNumberId,
			from: customer,
			text: 'Hi'
		});
		const sent = await sendText('Hello Ana!');
		expect(sent.status).toBe(200);
		expect(sent.json).toMatchObject({
			messaging_product: 'whatsapp',
			contacts: [{ input: customer.slice(1), wa_id: customer.slice(1) }]
		});
		const id = sent.json.messages[0].id as string;
		expect(id).toMatch(/^wamid\./);
		const requests = await receiver.waitFor(4, webhookPath);
		const statuses = statusesOf(requests.slice(1));
		expect(statuses.map((status) => [status.id, status.status])).toEqual([
			[id, 'sent'],
			[id, 'delivered'],
			[id, 'read']
		]);
		for (const request of requests) {
			expect(
				metaSignatureValid(
					demo.appSecret,
					request.rawBody,
					request.headers['x-hub-signature-256'] as string
				)
			).toBe(true);
		}
		expect(sandbox.requests({ provider: 'meta', method: 'POST' })[0].body).toMatchObject({
			type: 'text',
			text: { body: 'Hello Ana!' }
		});
	});

	it('fails free text outside the window with 131047 in a failed status', async () => {
		const sent = await sendText('Anyone?');
		expect(sent.status).toBe(200);
		const [request] = await receiver.waitFor(1, webhookPath);
		const [status] = statusesOf([request]);
		expect(status).toMatchObject({
			id: sent.json.messages[0].id,
			status: 'failed',
			errors: [{ code: 131047, title: 'Re-engagement message' }]
		});
	});

	it('can refuse free text outside the window with a 400 carrying 131047', async () => {
		sandbox.configure({ metaWindowError: 'response' });
		const sent = await sendText('Anyone?');
		expect(sent.status).toBe(400);
		expect(sent.json.error).toMatchObject({
			code: 131047,
			message: '(#131047) Re-engagement message'
		});
	});

	it('sends an approved template outside the window, and refuses a wrong parameter count with 132000', async () => {
		const template = (parameters: string[]) =>
			graph(`${demo.phoneNumberId}/messages`, {
				body: {
					messaging_product: 'whatsapp',
					to: customer.slice(1),
					type: 'template',
					template: {
						name: 'order_update',
						language: { code: 'en_US' },
						components: [
							{ type: 'body', parameters: parameters.map((text) => ({ type: 'text', text })) }
						]
					}
				}
			});
		const wrong = await template(['Ana']);
		expect(wrong.json.error.code).toBe(132000);
		const sent = await template(['Ana', '#7']);
		expect(sent.status).toBe(200);
		const requests = await receiver.waitFor(3, webhookPath);
		expect(statusesOf(requests).map((status) => status.status)).toEqual([
			'sent',
			'delivered',
			'read'
		]);
		expect(sandbox.state.messages.get(sent.json.messages[0].id)?.body).toBe(
			'Hi Ana, your order #7 is on its way.'
		);
	});

	it('marks an inbound message as read', async () => {
		const { message } = await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: demo.phoneNumberId,
			from: customer,
			text: 'Hi'
		});
		const read = await graph(`${demo.phoneNumberId}/messages`, {
			body: {
				messaging_product: 'whatsapp',
				status: 'read',
				message_id: message.id,
				typing_indicator: { type: 'text' }
			}
		});
		expect(read.json).toEqual({ success: true });
		expect(sandbox.state.messages.get(message.id)?.status).toBe('read');
		const unknown = await graph(`${demo.phoneNumberId}/messages`, {
			body: { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.nope' }
		});
		expect(unknown.json.error.code).toBe(100);
	});

	it('answers the webhook verification handshake check with the verify token', async () => {
		receiver.respondWith((request) => {
			const url = new URL(request.url);
			const ok = url.searchParams.get('hub.verify_token') === demo.verifyToken;
			return ok
				? { status: 200, body: url.searchParams.get('hub.challenge') ?? '' }
				: { status: 403 };
		});
		try {
			expect((await sandbox.verifyMetaWebhook(demo.phoneNumberId)).ok).toBe(true);
			sandbox.upsertMetaNumber({
				phoneNumberId: demo.phoneNumberId,
				displayPhoneNumber: demo.displayPhoneNumber,
				verifyToken: 'other'
			});
			expect((await sandbox.verifyMetaWebhook(demo.phoneNumberId)).ok).toBe(false);
		} finally {
			receiver.respondWith(() => ({ status: 200 }));
		}
	});
});
