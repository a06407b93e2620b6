import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction, subscribed } from '../support/clients.ts';
import type { Team } from '../support/webhooks.ts';
import { fixture, metaDemo, usePipelineStack } from './pipeline-support.ts';

// The messaging pipeline, outbound: replies through whatsapp-send, statuses back from the sandbox,
// media through whatsapp-media, against the local stack, real Deno and the provider sandbox.

const pipeline = usePipelineStack();
const {
	channels,
	postMeta,
	count,
	messageByProviderId,
	customerPhone,
	conversationOf,
	customerWrites
} = pipeline;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
let teamA: Team;
let teamB: Team;
let metaNumberA: string;
beforeAll(() => {
	({ sandbox, stack, functionsUrl, teamA, teamB, metaNumberA } = pipeline.world);
});

describe('round trip through the sandbox', () => {
	it('a customer message arrives live, the agent replies, and the reply ends read', async () => {
		const phone = customerPhone();
		const tenantInbox: { event: string; payload: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- broadcast payloads
		const userInbox: { event: string; payload: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- broadcast payloads
		const tenantChannel = teamA.agent
			.channel(`tenant:${teamA.tenantId}`, { config: { private: true } })
			.on('broadcast', { event: '*' }, (message) => tenantInbox.push(message as never));
		const userChannel = teamA.agent
			.channel(`user:${teamA.ids.agent}`, { config: { private: true } })
			.on('broadcast', { event: '*' }, (message) => userInbox.push(message as never));
		channels.push(tenantChannel, userChannel);
		await Promise.all([subscribed(tenantChannel), subscribed(userChannel)]);

		const conversationId = await customerWrites('twilio', phone, 'Do you have it in blue?');
		await vi.waitFor(() => {
			expect(
				tenantInbox.some(
					(item) => item.event === 'conversations' && item.payload.record?.id === conversationId
				)
			).toBe(true);
			expect(
				userInbox.some(
					(item) =>
						item.event === 'notifications' &&
						item.payload.record?.conversation_id === conversationId
				)
			).toBe(true);
		});
		const { data: notifications } = await teamA.agent
			.from('notifications')
			.select('kind, title')
			.eq('conversation_id', conversationId);
		expect(notifications).toEqual([{ kind: 'new_message', title: 'New message from Sandbox Ana' }]);

		const conversationInbox: { event: string; payload: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- broadcast payloads
		const conversationChannel = teamA.agent
			.channel(`conversation:${conversationId}`, { config: { private: true } })
			.on('broadcast', { event: '*' }, (message) => conversationInbox.push(message as never));
		channels.push(conversationChannel);
		await subscribed(conversationChannel);
		// Another tenant cannot join it.
		const foreign = teamB.owner.channel(`conversation:${conversationId}`, {
			config: { private: true }
		});
		await expect(subscribed(foreign)).rejects.toBeTruthy();

		sandbox.clearRequests();
		const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Yes, we have it in blue.'
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body).toMatchObject({
			conversation_id: conversationId,
			direction: 'outbound',
			sender: 'agent',
			sender_user_id: teamA.ids.agent,
			body: 'Yes, we have it in blue.'
		});
		expect(['queued', 'sent', 'delivered', 'read']).toContain(sent.body.status);
		const [request] = sandbox.requests({ provider: 'twilio', method: 'POST' });
		expect(request.body).toMatchObject({
			From: 'whatsapp:+15550100001',
			To: `whatsapp:${phone}`,
			Body: 'Yes, we have it in blue.',
			StatusCallback: `${functionsUrl}/twilio-webhook#rc=3&rp=all`
		});
		await sandbox.settled();
		const { data: reply } = await teamA.agent
			.from('messages')
			.select('status, provider_message_id, sent_at, delivered_at, read_at')
			.eq('id', sent.body.id)
			.single();
		expect(reply!.status).toBe('read');
		expect(reply!.provider_message_id).toMatch(/^SM/);
		expect([reply!.sent_at, reply!.delivered_at, reply!.read_at].every(Boolean)).toBe(true);
		await vi.waitFor(() =>
			expect(
				conversationInbox
					.filter((item) => item.event === 'messages' && item.payload.record?.id === sent.body.id)
					.map((item) => item.payload.record.status)
			).toContain('read')
		);
	});

	it('free text outside the 24-hour window is refused before the provider is called', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('twilio', phone);
		await stack.db.query(
			`update public.conversations set last_inbound_at = '2026-01-01T10:00:00Z' where id = $1`,
			[conversationId]
		);
		sandbox.clearRequests();
		const refused = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Still there?'
		});
		expect(refused).toEqual({
			status: 409,
			body: {
				code: 'outside_window',
				message:
					'More than 24 hours have passed since the customer last wrote (the window closed at 2026-01-02T10:00:00.000Z). WhatsApp only allows a template message now.',
				details: { windowClosedAt: '2026-01-02T10:00:00.000Z' }
			}
		});
		expect(sandbox.requests({ provider: 'twilio' })).toEqual([]);
		expect(
			await count('messages', `conversation_id = $1 and direction = 'outbound'`, [conversationId])
		).toBe(0);
	});

	it('a provider error fails the message with a sentence, and a retry of the same row succeeds', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('twilio', phone);
		sandbox.setUnreachable(phone);
		const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Hi!'
		});
		expect(sent.status).toBe(200);
		await sandbox.settled();
		const failed = (await teamA.agent.from('messages').select('*').eq('id', sent.body.id).single())
			.data!;
		expect(failed).toMatchObject({
			status: 'failed',
			error_code: '63003',
			error_message:
				'WhatsApp could not reach this customer. The number may not use WhatsApp; check it with the customer.'
		});
		sandbox.setUnreachable(phone, false);
		const retried = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			messageId: sent.body.id
		});
		expect(retried.status).toBe(200);
		expect(retried.body.id).toBe(sent.body.id);
		expect(retried.body.provider_message_id).not.toBe(failed.provider_message_id);
		await sandbox.settled();
		const after = (await teamA.agent.from('messages').select('*').eq('id', sent.body.id).single())
			.data!;
		expect(after).toMatchObject({ status: 'read', error_code: null, error_message: null });
		// Retrying a message that did not fail is refused.
		const again = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			messageId: sent.body.id
		});
		expect(again.status).toBe(409);
	});

	it("a user of another tenant cannot send from team A's conversation: 404, nothing sent or stored", async () => {
		const conversationId = await customerWrites('twilio', customerPhone());
		sandbox.clearRequests();
		const before = await count('messages');
		const refused = await callFunction(teamB.owner, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Hi'
		});
		expect(refused.status).toBe(404);
		expect(refused.body.code).toBe('not_found');
		expect(sandbox.requests()).toEqual([]);
		expect(await count('messages')).toBe(before);
	});

	it('Meta: a reply goes out through the Graph API, and every status of a delivery is applied', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('meta', phone, 'Hola');
		sandbox.configure({ autoRead: false });
		const first = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Uno'
		});
		const second = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Dos'
		});
		await sandbox.settled();
		sandbox.configure({ autoRead: true });
		const ids = [first, second].map((answer) => answer.body.id as string);
		const { data: delivered } = await teamA.agent
			.from('messages')
			.select('status, provider_message_id')
			.in('id', ids)
			.order('created_at');
		expect(delivered!.map((m) => m.status)).toEqual(['delivered', 'delivered']);
		expect(delivered![0].provider_message_id).toMatch(/^wamid\./);

		const status = fixture<any>('meta/status.json'); // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture JSON
		const entryFor = (id: string) => ({
			...status.entry[0],
			changes: [
				{
					field: 'messages',
					value: {
						...status.entry[0].changes[0].value,
						statuses: [
							{ ...status.entry[0].changes[0].value.statuses[0], id, recipient_id: phone.slice(1) }
						]
					}
				}
			]
		});
		const both = {
			object: 'whatsapp_business_account',
			entry: delivered!.map((m) => entryFor(m.provider_message_id!))
		};
		expect((await postMeta(both)).status).toBe(200);
		const { data: read } = await teamA.agent.from('messages').select('status').in('id', ids);
		expect(read!.map((m) => m.status)).toEqual(['read', 'read']);
	});

	it('a failed Meta status carries a sentence for its error code', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('meta', phone, 'Hola');
		sandbox.setUnreachable(phone);
		const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Hola!'
		});
		await sandbox.settled();
		sandbox.setUnreachable(phone, false);
		const { data } = await teamA.agent
			.from('messages')
			.select('status, error_code, error_message')
			.eq('id', sent.body.id)
			.single();
		expect(data).toEqual({
			status: 'failed',
			error_code: '131026',
			error_message:
				'WhatsApp could not deliver this message. The customer may not use WhatsApp or may use an old version.'
		});
	});

	it('marking a Meta conversation read clears unread and sends blue ticks', async () => {
		const phone = customerPhone();
		const conversationId = await customerWrites('meta', phone, 'Hola de nuevo');
		const latest = await stack.db.query<{ provider_message_id: string }>(
			`select provider_message_id from public.messages where conversation_id = $1 and direction = 'inbound'`,
			[conversationId]
		);
		sandbox.clearRequests();
		const answer = await callFunction(teamA.agent, 'whatsapp-send/read', 'POST', {
			conversationId
		});
		expect(answer).toEqual({
			status: 200,
			body: { conversationId, unreadCount: 0, providerReceipt: 'sent' }
		});
		const [request] = sandbox.requests({ provider: 'meta', method: 'POST' });
		expect(request.body).toEqual({
			messaging_product: 'whatsapp',
			status: 'read',
			message_id: latest.rows[0].provider_message_id
		});
		const conversation = await conversationOf(teamA.agent, metaNumberA, phone);
		expect(conversation!.unread_count).toBe(0);
		const { data: unread } = await teamA.agent
			.from('notifications')
			.select('id')
			.eq('conversation_id', conversationId)
			.is('read_at', null);
		expect(unread).toEqual([]);
	});
});

describe('media', () => {
	it('members download inbound media through whatsapp-media; another tenant cannot', async () => {
		const bytes = randomBytes(64);
		for (const provider of ['meta', 'twilio'] as const) {
			const { delivery } = await sandbox.sendCustomerMessage({
				provider,
				to: provider === 'twilio' ? '+15550100001' : metaDemo.phoneNumberId,
				from: customerPhone(),
				media: { contentType: 'image/png', dataBase64: bytes.toString('base64') }
			});
			expect(delivery.responseStatus).toBe(200);
			const messageId =
				provider === 'meta'
					? (delivery.payload as any).entry[0].changes[0].value.messages[0].id // eslint-disable-line @typescript-eslint/no-explicit-any -- webhook JSON
					: (delivery.payload as Record<string, string>).MessageSid;
			const message = await messageByProviderId(messageId);
			const { data } = await teamA.agent.auth.getSession();
			const download = await fetch(`${functionsUrl}/whatsapp-media/${message.id}`, {
				headers: { Authorization: `Bearer ${data.session!.access_token}` }
			});
			expect(download.status, provider).toBe(200);
			expect(download.headers.get('content-type')).toBe('image/png');
			expect(download.headers.get('content-disposition')).toBe('inline');
			expect(download.headers.get('x-content-type-options')).toBe('nosniff');
			expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

			const other = await teamB.owner.auth.getSession();
			const refused = await fetch(`${functionsUrl}/whatsapp-media/${message.id}`, {
				headers: { Authorization: `Bearer ${other.data.session!.access_token}` }
			});
			expect(refused.status).toBe(404);
			await refused.body?.cancel();
		}
	});

	it('a customer HTML document or SVG image is served as an octet-stream attachment, never as a page', async () => {
		const script = '<script>parent.document.title = "owned"</script>';
		const attachments = [
			{
				contentType: 'text/html',
				filename: 'factura (1).html',
				bytes: Buffer.from(`<!doctype html><title>Invoice</title>${script}`),
				disposition: `attachment; filename="factura (1).html"; filename*=UTF-8''factura%20%281%29.html`
			},
			{
				contentType: 'image/svg+xml',
				filename: undefined,
				bytes: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg">${script}</svg>`),
				disposition: `attachment; filename="attachment"; filename*=UTF-8''attachment`
			}
		];
		const { data } = await teamA.agent.auth.getSession();
		for (const provider of ['meta', 'twilio'] as const) {
			for (const attachment of attachments) {
				const { delivery } = await sandbox.sendCustomerMessage({
					provider,
					to: provider === 'twilio' ? '+15550100001' : metaDemo.phoneNumberId,
					from: customerPhone(),
					media: {
						contentType: attachment.contentType,
						dataBase64: attachment.bytes.toString('base64'),
						filename: attachment.filename
					}
				});
				expect(delivery.responseStatus).toBe(200);
				const messageId =
					provider === 'meta'
						? (delivery.payload as any).entry[0].changes[0].value.messages[0].id // eslint-disable-line @typescript-eslint/no-explicit-any -- webhook JSON
						: (delivery.payload as Record<string, string>).MessageSid;
				const message = await messageByProviderId(messageId);
				const download = await fetch(`${functionsUrl}/whatsapp-media/${message.id}`, {
					headers: { Authorization: `Bearer ${data.session!.access_token}` }
				});
				const what = `${provider} ${attachment.contentType}`;
				expect(download.status, what).toBe(200);
				expect(download.headers.get('content-type'), what).toBe('application/octet-stream');
				// Twilio sends no file name, so the download is called `attachment`.
				expect(download.headers.get('content-disposition'), what).toBe(
					provider === 'meta'
						? attachment.disposition
						: `attachment; filename="attachment"; filename*=UTF-8''attachment`
				);
				expect(download.headers.get('x-content-type-options'), what).toBe('nosniff');
				expect(download.headers.get('content-security-policy'), what).toBe(
					"default-src 'none'; sandbox"
				);
				expect(Buffer.from(await download.arrayBuffer()).equals(attachment.bytes), what).toBe(true);
			}
		}
	});
});

// Last: it holds the sandbox's own callbacks back for the rest of the run.
describe('status order', () => {
	it('status callbacks delivered in reverse order end at read', async () => {
		const conversationId = await customerWrites('twilio', customerPhone());
		sandbox.configure({ statusDelayMs: 10 * 60_000 });
		const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			text: 'Order?'
		});
		expect(sent.body.status).toBe('queued');
		for (const status of ['read', 'delivered', 'sent', 'queued'] as const) {
			await sandbox.pushStatus({ messageId: sent.body.provider_message_id, status });
		}
		await sandbox.pushStatus({
			messageId: sent.body.provider_message_id,
			status: 'failed',
			errorCode: 63024
		});
		const { data } = await teamA.agent
			.from('messages')
			.select('status, sent_at, delivered_at, read_at, error_code')
			.eq('id', sent.body.id)
			.single();
		expect(data).toMatchObject({ status: 'read', error_code: null });
		expect([data!.sent_at, data!.delivered_at, data!.read_at].every(Boolean)).toBe(true);
	});
});
