import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction } from '../support/clients.ts';
import {
	connectDemoNumbers,
	createTeam,
	startPipelineStack,
	type PipelineStack,
	metaDelivery,
	metaText,
	postMeta,
	type Team
} from '../support/webhooks.ts';

// Customers who hide their phone behind a WhatsApp username: Meta and Twilio name them by a
// business-scoped user id, and Parley keeps them, shows them, merges them with their phone when
// both appear, and replies to them where the provider can.

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
	team = await createTeam(stack, 'usernames');
	({ twilioNumberId: twilioNumber, metaNumberId: metaNumber } = await connectDemoNumbers(team));
}, 240_000);

afterAll(async () => {
	await pipeline?.close();
});

interface InboxRow {
	id: string;
	contact_name: string | null;
	contact_wa_id: string | null;
	contact_username: string | null;
	contact_user_id: string | null;
}

/** The team's inbox rows on one number, as an agent reads them. */
async function inboxOn(numberId: string): Promise<InboxRow[]> {
	const { data, error } = await team.agent.rpc('inbox_conversations', {
		tenant_id: team.tenantId,
		number_id: numberId
	});
	if (error) throw error;
	return data as InboxRow[];
}

describe('username customers on Meta', () => {
	it('a customer whose phone is hidden is stored by user id and username, and the reply goes to their user id', async () => {
		const { delivery, message } = await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: metaDemo.phoneNumberId,
			from: '+5215588000001',
			profileName: 'Sheena',
			username: '@realsheena',
			hidePhone: true,
			text: 'Does it come in another color?'
		});
		expect(delivery.responseStatus, delivery.responseBody).toBe(200);
		const row = (await inboxOn(metaNumber)).find((r) => r.contact_username === '@realsheena');
		expect(row).toMatchObject({
			contact_name: 'Sheena',
			contact_wa_id: null,
			contact_user_id: expect.stringMatching(/^US\.\d{20}$/)
		});
		const { data: thread } = await team.agent
			.from('messages')
			.select('body')
			.eq('conversation_id', row!.id);
		expect(thread).toEqual([{ body: 'Does it come in another color?' }]);

		const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId: row!.id,
			text: 'Yes, in blue and green.'
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		const graphSend = sandbox
			.requests({ provider: 'meta', method: 'POST', path: /\/messages$/ })
			.map((request) => request.body as Record<string, unknown>)
			.find((body) => body.text && JSON.stringify(body.text).includes('blue and green'));
		expect(graphSend).toMatchObject({ recipient: row!.contact_user_id });
		expect(graphSend).not.toHaveProperty('to');
		await sandbox.settled();
		const { data: reply } = await team.agent
			.from('messages')
			.select('status')
			.eq('id', sent.body.id)
			.single();
		expect(['delivered', 'read']).toContain(reply!.status);
		// The sandbox customer (who is behind that user id) received it.
		expect(sandbox.requests({ provider: 'meta' }).length).toBeGreaterThan(0);
		expect(message.customer).toBe('+5215588000001');
	});

	it('a customer seen by phone, then by user id alone, then by both becomes one contact with one conversation', async () => {
		const phone = '5215588000002';
		const userId = 'US.40000000000000000002';
		const post = (value: Parameters<typeof metaDelivery>[1]) =>
			postMeta(functionsUrl, metaDelivery(metaDemo.phoneNumberId, value), {
				appSecret: metaDemo.appSecret
			});
		expect(
			(
				await post({
					contacts: [{ profile: { name: 'Dana' }, wa_id: phone }],
					messages: [metaText(phone, 'wamid.merge-1', 'By phone')]
				})
			).status
		).toBe(200);
		expect(
			(
				await post({
					contacts: [{ profile: { name: 'Dana', username: '@dana' }, user_id: userId }],
					messages: [
						{
							from_user_id: userId,
							id: 'wamid.merge-2',
							type: 'text',
							text: { body: 'By username' }
						}
					]
				})
			).status
		).toBe(200);
		const before = await stack.db.query(
			'select id from public.contacts where wa_id = $1 or user_id = $2',
			[phone, userId]
		);
		expect(before.rows).toHaveLength(2);

		expect(
			(
				await post({
					contacts: [
						{ profile: { name: 'Dana', username: '@dana' }, wa_id: phone, user_id: userId }
					],
					messages: [{ ...metaText(phone, 'wamid.merge-3', 'Both'), from_user_id: userId }]
				})
			).status
		).toBe(200);
		const { rows: contacts } = await stack.db.query<{
			wa_id: string;
			user_id: string;
			username: string;
		}>('select wa_id, user_id, username from public.contacts where wa_id = $1 or user_id = $2', [
			phone,
			userId
		]);
		expect(contacts).toEqual([{ wa_id: phone, user_id: userId, username: '@dana' }]);
		const rows = (await inboxOn(metaNumber)).filter((r) => r.contact_wa_id === phone);
		expect(rows).toHaveLength(1);
		const { data: thread } = await team.agent
			.from('messages')
			.select('body')
			.eq('conversation_id', rows[0].id)
			.order('created_at');
		expect(thread!.map((m) => m.body)).toEqual(['By phone', 'By username', 'Both']);
	});

	it('a message that names neither a phone nor a user id is kept with its reason', async () => {
		const answer = await postMeta(
			functionsUrl,
			metaDelivery(metaDemo.phoneNumberId, {
				messages: [{ id: 'wamid.nobody', type: 'text', text: { body: 'from nowhere' } }]
			}),
			{ appSecret: metaDemo.appSecret }
		);
		expect(answer.status).toBe(200);
		const { data } = await team.admin
			.from('webhook_item_failures')
			.select('reason')
			.eq('provider_message_id', 'wamid.nobody');
		expect(data).toEqual([{ reason: expect.stringContaining('neither from nor from_user_id') }]);
	});
});

describe('username customers on Twilio', () => {
	it('a customer whose phone is hidden is stored by user id, and a reply is refused in words before Twilio is called', async () => {
		const { delivery } = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: '+15550100001',
			from: '+5215588000003',
			profileName: 'Omar',
			username: '@omar',
			hidePhone: true,
			text: 'Hola'
		});
		expect(delivery.responseStatus, delivery.responseBody).toBe(200);
		const row = (await inboxOn(twilioNumber)).find((r) => r.contact_name === 'Omar');
		expect(row).toMatchObject({
			contact_wa_id: null,
			contact_user_id: expect.stringMatching(/^US\.\d{20}$/)
		});
		const twilioSendsBefore = sandbox.requests({
			provider: 'twilio',
			method: 'POST',
			path: /Messages\.json$/
		}).length;
		const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId: row!.id,
			text: 'Hola Omar'
		});
		const { data: stored } = await team.agent
			.from('messages')
			.select('status, error_message')
			.eq('conversation_id', row!.id)
			.eq('direction', 'outbound')
			.single();
		expect(stored).toEqual({
			status: 'failed',
			error_message: expect.stringContaining('Twilio can only reply to a phone number')
		});
		expect(sent.status).toBeGreaterThanOrEqual(200);
		expect(
			sandbox.requests({ provider: 'twilio', method: 'POST', path: /Messages\.json$/ })
		).toHaveLength(twilioSendsBefore);
	});

	it('a username customer whose phone is known is stored with both, and replied to by phone', async () => {
		const { delivery } = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: '+15550100001',
			from: '+5215588000004',
			profileName: 'Lia',
			username: '@lia',
			text: 'Hi'
		});
		expect(delivery.responseStatus).toBe(200);
		const row = (await inboxOn(twilioNumber)).find((r) => r.contact_name === 'Lia');
		expect(row).toMatchObject({
			contact_wa_id: '5215588000004',
			contact_user_id: expect.stringMatching(/^US\./)
		});
		const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId: row!.id,
			text: 'Hi Lia'
		});
		expect(sent.status).toBe(200);
		const twilioSend = sandbox
			.requests({ provider: 'twilio', method: 'POST', path: /Messages\.json$/ })
			.map((request) => request.body as Record<string, string>)
			.find((body) => body.Body === 'Hi Lia');
		expect(twilioSend).toMatchObject({ To: 'whatsapp:+5215588000004' });
	});
});
