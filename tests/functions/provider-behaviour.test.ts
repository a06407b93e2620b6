import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction } from '../support/clients.ts';
import {
	connectDemoNumbers,
	connectNumber,
	createTeam,
	postTwilio,
	startPipelineStack,
	type PipelineStack,
	type Team
} from '../support/webhooks.ts';

// How the providers behave on the wire, inconvenient parts included: Meta's throughput 429s,
// Twilio's documented status fields and read receipts, Meta's app subscription per business account.

const twilioDemo = DEMO_CREDENTIALS.twilio;
const metaDemo = DEMO_CREDENTIALS.meta;

let pipeline: PipelineStack;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
let team: Team;
let metaNumber: string;
let twilioNumber: string;

beforeAll(async () => {
	pipeline = await startPipelineStack();
	({ sandbox, stack, functionsUrl } = pipeline);
	team = await createTeam(stack, 'provider-behaviour');
	({ twilioNumberId: twilioNumber, metaNumberId: metaNumber } = await connectDemoNumbers(team));
}, 240_000);

afterAll(async () => {
	await pipeline?.close();
});

let phoneCount = 0;
function customerPhone(): string {
	phoneCount += 1;
	return `+5215577${String(phoneCount).padStart(5, '0')}`;
}

/** A customer writes through the sandbox (a signed webhook); returns the conversation's id. */
async function customerWrites(provider: 'twilio' | 'meta', phone: string): Promise<string> {
	const { delivery } = await sandbox.sendCustomerMessage({
		provider,
		to: provider === 'twilio' ? '+15550100001' : metaDemo.phoneNumberId,
		from: phone,
		profileName: 'Ana',
		text: 'Hello, is my order on its way?'
	});
	expect(delivery.responseStatus, delivery.responseBody).toBe(200);
	const { data: contact } = await team.agent
		.from('contacts')
		.select('id')
		.eq('wa_id', phone.slice(1))
		.single();
	const { data: conversation } = await team.agent
		.from('conversations')
		.select('id')
		.eq('number_id', provider === 'twilio' ? twilioNumber : metaNumber)
		.eq('contact_id', contact!.id)
		.single();
	return conversation!.id;
}

async function messageRow(id: string) {
	const { data, error } = await team.agent
		.from('messages')
		.select('status, error_code, error_message')
		.eq('id', id)
		.single();
	if (error) throw error;
	return data;
}

/** The Graph text sends that carried `text`, as the sandbox recorded them. */
function graphSendsOf(text: string) {
	return sandbox
		.requests({ provider: 'meta', method: 'POST', path: /\/messages$/ })
		.filter((request) => JSON.stringify(request.body).includes(text));
}

describe('Meta throughput limits (130429)', () => {
	it('a send Meta throttles twice is tried again and ends delivered', async () => {
		const conversationId = await customerWrites('meta', customerPhone());
		sandbox.configure({ metaThrottledSends: 2 });
		const text = 'Yes, it ships today.';
		const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', { conversationId, text });
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body.status).not.toBe('failed');
		const attempts = graphSendsOf(text);
		expect(attempts.map((request) => request.status)).toEqual([429, 429, 200]);
		await sandbox.settled();
		expect(['delivered', 'read']).toContain((await messageRow(sent.body.id)).status);
	});

	it('a send still throttled after every retry fails in words and can be sent again', async () => {
		const conversationId = await customerWrites('meta', customerPhone());
		sandbox.configure({ metaThrottledSends: 10 });
		const text = 'Your parcel left the warehouse.';
		try {
			const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
				conversationId,
				text
			});
			expect(sent.status, JSON.stringify(sent.body)).toBe(200);
			expect(await messageRow(sent.body.id)).toEqual({
				status: 'failed',
				error_code: '130429',
				error_message:
					'Meta is limiting how fast this number can send. Wait a moment and send again.'
			});
			// One try and three retries, then the person decides.
			expect(graphSendsOf(text)).toHaveLength(4);

			sandbox.configure({ metaThrottledSends: 0 });
			const again = await callFunction(team.agent, 'whatsapp-send', 'POST', {
				messageId: sent.body.id
			});
			expect(again.status, JSON.stringify(again.body)).toBe(200);
			await sandbox.settled();
			expect(['delivered', 'read']).toContain((await messageRow(sent.body.id)).status);
		} finally {
			sandbox.configure({ metaThrottledSends: 0 });
		}
	});
});

describe('Twilio status details', () => {
	it('a failed status is read from ErrorCode, with 63032 in careful words', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('twilio', phone);
		sandbox.setTwilioDeliveryFailure(phone, {
			code: 63032,
			message: 'Message failed to send because of a WhatsApp limitation.'
		});
		try {
			const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
				conversationId,
				text: 'We have news about your order.'
			});
			expect(sent.status, JSON.stringify(sent.body)).toBe(200);
			await sandbox.settled();
			expect(await messageRow(sent.body.id)).toEqual({
				status: 'failed',
				error_code: '63032',
				error_message:
					'WhatsApp did not deliver this message to the customer (Twilio 63032, WhatsApp 472). WhatsApp does not say why, and it is not an opt-out: try again later, or reach the customer another way.'
			});
		} finally {
			sandbox.setTwilioDeliveryFailure(phone, null);
		}
	});

	it('a code without a sentence of its own shows the channel’s ChannelStatusMessage', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('twilio', phone);
		sandbox.setTwilioDeliveryFailure(phone, {
			code: 63099,
			message: 'The recipient’s phone is switched off for good'
		});
		try {
			const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
				conversationId,
				text: 'Are you there?'
			});
			expect(sent.status, JSON.stringify(sent.body)).toBe(200);
			await sandbox.settled();
			const { data: row } = await team.agent
				.from('messages')
				.select('provider_message_id')
				.eq('id', sent.body.id)
				.single();
			const failedCallback = sandbox
				.deliveries({ provider: 'twilio', kind: 'status' })
				.map((delivery) => delivery.payload as Record<string, string>)
				.find(
					(fields) =>
						fields.MessageSid === row!.provider_message_id && fields.MessageStatus === 'failed'
				);
			expect(failedCallback).toMatchObject({
				ErrorCode: '63099',
				ChannelStatusMessage: 'The recipient’s phone is switched off for good'
			});
			expect(failedCallback).not.toHaveProperty('ErrorMessage');
			expect(await messageRow(sent.body.id)).toEqual({
				status: 'failed',
				error_code: '63099',
				error_message:
					'Twilio could not send this message (error 63099): The recipient’s phone is switched off for good.'
			});
		} finally {
			sandbox.setTwilioDeliveryFailure(phone, null);
		}
	});
});

describe('Twilio read receipts', () => {
	it('opening a Twilio conversation marks the customer’s latest message read through the Typing Indicators API', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('twilio', phone);
		const { data: inbound } = await team.agent
			.from('messages')
			.select('provider_message_id')
			.eq('conversation_id', conversationId)
			.eq('direction', 'inbound')
			.single();
		sandbox.clearRequests();
		const answer = await callFunction(team.agent, 'whatsapp-send/read', 'POST', {
			conversationId
		});
		expect(answer).toEqual({
			status: 200,
			body: { conversationId, unreadCount: 0, providerReceipt: 'sent' }
		});
		const [request] = sandbox.requests({ provider: 'twilio', path: '/v2/Indicators/Typing.json' });
		expect(request).toMatchObject({
			method: 'POST',
			status: 200,
			body: { channel: 'whatsapp', messageId: inbound!.provider_message_id }
		});
		expect(sandbox.state.messages.get(inbound!.provider_message_id!)?.status).toBe('read');
	});

	it('a receipt Twilio refuses is logged and the conversation is still read', async () => {
		const phone = customerPhone();
		// A message Twilio's API does not know (the sandbox never sent it), so the receipt is refused.
		const messageSid = 'SM' + randomBytes(16).toString('hex');
		const delivered = await postTwilio(
			functionsUrl,
			{
				MessageSid: messageSid,
				SmsMessageSid: messageSid,
				AccountSid: twilioDemo.accountSid,
				From: `whatsapp:${phone}`,
				To: 'whatsapp:+15550100001',
				Body: 'Anyone there?',
				NumMedia: '0',
				WaId: phone.slice(1),
				ProfileName: 'Ana',
				SmsStatus: 'received',
				ApiVersion: '2010-04-01'
			},
			{ authToken: twilioDemo.authToken }
		);
		expect(delivered.status, await delivered.text()).toBe(200);
		const { data: inbound } = await team.agent
			.from('messages')
			.select('conversation_id')
			.eq('provider_message_id', messageSid)
			.single();
		const conversationId = inbound!.conversation_id;
		const answer = await callFunction(team.agent, 'whatsapp-send/read', 'POST', {
			conversationId
		});
		expect(answer).toEqual({
			status: 200,
			body: { conversationId, unreadCount: 0, providerReceipt: 'failed' }
		});
		const refused = sandbox
			.requests({ provider: 'twilio', path: '/v2/Indicators/Typing.json' })
			.find((request) => (request.body as { messageId?: string }).messageId === messageSid);
		expect(refused?.status).toBe(404);
		const { data: conversation } = await team.agent
			.from('conversations')
			.select('unread_count')
			.eq('id', conversationId)
			.single();
		expect(conversation!.unread_count).toBe(0);
	});
});

describe('Meta app subscribed to the business account', () => {
	it('connecting a number whose business account lacks the app subscribes it, and its webhooks then arrive', async () => {
		const number = sandbox.upsertMetaNumber({
			displayPhoneNumber: '15550400001',
			verifiedName: 'New line'
		});
		const customer = customerPhone();
		// Before: Meta sends nothing for a business account no app is subscribed to.
		const before = await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: number.phoneNumberId,
			from: customer,
			text: 'Anyone?'
		});
		expect(before.delivery.responseStatus).toBeUndefined();
		expect(before.delivery.error).toMatch(/not subscribed/);

		const answer = await callFunction(team.owner, `whatsapp-numbers/${team.tenantId}`, 'POST', {
			provider: 'meta',
			displayName: 'New line',
			phoneNumberId: number.phoneNumberId,
			businessAccountId: number.wabaId,
			accessToken: number.accessToken,
			appSecret: number.appSecret
		});
		expect(answer.status, JSON.stringify(answer.body)).toBe(201);
		const sentence =
			'Parley subscribed your Meta app to this WhatsApp Business Account, so its webhooks reach Parley.';
		expect(answer.body.appSubscription).toEqual({ status: 'subscribed', sentence });
		expect(answer.body.number.providerNotice).toBe(sentence);
		expect(
			sandbox
				.requests({ provider: 'meta', path: new RegExp(`/${number.wabaId}/subscribed_apps$`) })
				.map((request) => request.method)
		).toEqual(['GET', 'POST']);

		const after = await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: number.phoneNumberId,
			from: customer,
			text: 'Hello?'
		});
		expect(after.delivery.responseStatus, after.delivery.responseBody).toBe(200);
		const { data: conversation } = await team.agent
			.from('conversations')
			.select('id')
			.eq('number_id', answer.body.number.id)
			.single();
		const { data: thread } = await team.agent
			.from('messages')
			.select('body')
			.eq('conversation_id', conversation!.id);
		expect(thread).toEqual([{ body: 'Hello?' }]);
	});

	it('a number whose app is already subscribed is left as it is', async () => {
		const { data } = await team.agent
			.from('whatsapp_numbers')
			.select('provider_notice')
			.eq('id', metaNumber)
			.single();
		expect(data!.provider_notice).toBeNull();
		expect(
			sandbox
				.requests({ provider: 'meta', method: 'POST', path: /\/subscribed_apps$/ })
				.filter((request) => request.path.includes(metaDemo.wabaId))
		).toEqual([]);
	});

	it('adding the business account to a number later subscribes the app too', async () => {
		const number = sandbox.upsertMetaNumber({ displayPhoneNumber: '15550400003' });
		const numberId = await connectNumber(team, {
			provider: 'meta',
			displayName: 'Later line',
			phoneNumberId: number.phoneNumberId,
			accessToken: number.accessToken,
			appSecret: number.appSecret
		});
		expect(sandbox.state.metaSubscribedApps.get(number.wabaId)?.size ?? 0).toBe(0);
		const answer = await callFunction(
			team.owner,
			`whatsapp-numbers/${team.tenantId}/${numberId}`,
			'PATCH',
			{ businessAccountId: number.wabaId }
		);
		expect(answer.status, JSON.stringify(answer.body)).toBe(200);
		expect(answer.body.appSubscription.status).toBe('subscribed');
		expect(answer.body.number.providerNotice).toBe(answer.body.appSubscription.sentence);
		expect(sandbox.state.metaSubscribedApps.get(number.wabaId)?.size).toBe(1);
	});

	it('when Meta refuses the subscription the number still connects and its card says what to do', async () => {
		const number = sandbox.upsertMetaNumber({ displayPhoneNumber: '15550400002' });
		sandbox.configure({ metaRefuseAppSubscription: true });
		try {
			const answer = await callFunction(team.owner, `whatsapp-numbers/${team.tenantId}`, 'POST', {
				provider: 'meta',
				displayName: 'Refused line',
				phoneNumberId: number.phoneNumberId,
				businessAccountId: number.wabaId,
				accessToken: number.accessToken,
				appSecret: number.appSecret
			});
			expect(answer.status, JSON.stringify(answer.body)).toBe(201);
			expect(answer.body.appSubscription.status).toBe('refused');
			expect(answer.body.number.providerNotice).toBe(answer.body.appSubscription.sentence);
			expect(answer.body.number.providerNotice).toBe(
				`Meta did not let Parley subscribe your app to this WhatsApp Business Account (error 200). Subscribe it yourself (POST /${number.wabaId}/subscribed_apps with this token, e.g. in the Graph API Explorer; the token needs whatsapp_business_management): until then Meta sends no messages or statuses for this number to Parley.`
			);
			expect(sandbox.state.metaSubscribedApps.get(number.wabaId)?.size ?? 0).toBe(0);
		} finally {
			sandbox.configure({ metaRefuseAppSubscription: false });
		}
	});
});

describe('Meta deliveries beyond messages, as the sandbox sends them', () => {
	it('a reply sent from the WhatsApp Business app on a coexistence number joins the thread as outbound', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('meta', phone);
		sandbox.upsertMetaNumber({ phoneNumberId: metaDemo.phoneNumberId, coexistence: true });
		try {
			const { message, delivery } = await sandbox.sendBusinessAppEcho({
				phoneNumberId: metaDemo.phoneNumberId,
				to: phone,
				text: 'Answered from the phone app'
			});
			expect(delivery.responseStatus, delivery.responseBody).toBe(200);
			expect(
				(delivery.payload as { entry: { changes: { field: string }[] }[] }).entry[0].changes[0]
					.field
			).toBe('smb_message_echoes');
			const { data: thread } = await team.agent
				.from('messages')
				.select('direction, body, provider_message_id')
				.eq('conversation_id', conversationId)
				.order('created_at');
			expect(thread).toEqual([
				expect.objectContaining({ direction: 'inbound' }),
				{
					direction: 'outbound',
					body: 'Answered from the phone app',
					provider_message_id: message.id
				}
			]);
		} finally {
			sandbox.upsertMetaNumber({ phoneNumberId: metaDemo.phoneNumberId, coexistence: false });
		}
	});

	it('a number not on the WhatsApp Business app has nothing to echo', async () => {
		await expect(
			sandbox.sendBusinessAppEcho({
				phoneNumberId: metaDemo.phoneNumberId,
				to: customerPhone(),
				text: 'Hi'
			})
		).rejects.toThrow(/not also on the WhatsApp Business app/);
	});

	it("Meta's review rejecting, then approving, a template reaches the saved template", async () => {
		const synced = await callFunction(team.agent, 'whatsapp-templates/sync', 'POST', {
			numberId: metaNumber
		});
		expect(synced.status, JSON.stringify(synced.body)).toBe(200);
		const template = [...sandbox.state.metaTemplates.values()].find(
			(candidate) => candidate.wabaId === metaDemo.wabaId && candidate.name === 'follow_up'
		)!;
		const delivery = await sandbox.setMetaTemplateStatus({
			templateId: template.id,
			status: 'REJECTED',
			reason: 'INCORRECT_CATEGORY'
		});
		expect(delivery?.responseStatus, delivery?.responseBody).toBe(200);
		const { data } = await team.agent
			.from('whatsapp_templates')
			.select('status, rejection_reason')
			.eq('number_id', metaNumber)
			.eq('provider_template_id', template.id);
		expect(data).toEqual([{ status: 'rejected', rejection_reason: 'INCORRECT_CATEGORY' }]);

		await sandbox.setMetaTemplateStatus({ templateId: template.id, status: 'APPROVED' });
		const { data: approved } = await team.agent
			.from('whatsapp_templates')
			.select('status, rejection_reason')
			.eq('number_id', metaNumber)
			.eq('provider_template_id', template.id);
		expect(approved).toEqual([{ status: 'approved', rejection_reason: null }]);
	});
});
