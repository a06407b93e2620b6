import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction } from '../support/clients.ts';
import {
	connectDemoNumbers,
	createTeam,
	startPipelineStack,
	type PipelineStack,
	type Team
} from '../support/webhooks.ts';

// Templates with more than a body: a Meta header that takes an image link or text values, URL and
// quick-reply buttons, and Twilio Content cards. Synced from the sandbox, sent through
// whatsapp-send, and checked where Meta checks them (the components the sandbox received).

const metaDemo = DEMO_CREDENTIALS.meta;
const twilioDemo = DEMO_CREDENTIALS.twilio;

let pipeline: PipelineStack;
let sandbox: Sandbox;
let stack: TestStack;
let team: Team;
let metaNumber: string;
let twilioNumber: string;

beforeAll(async () => {
	pipeline = await startPipelineStack();
	({ sandbox, stack } = pipeline);
	team = await createTeam(stack, 'rich-templates');
	({ twilioNumberId: twilioNumber, metaNumberId: metaNumber } = await connectDemoNumbers(team));
}, 240_000);

afterAll(async () => {
	await pipeline?.close();
});

let phoneCount = 0;
/** A conversation whose 24-hour window closed, so only templates may go out. */
async function closedConversation(provider: 'twilio' | 'meta'): Promise<string> {
	phoneCount += 1;
	const phone = `+5215577${String(phoneCount).padStart(5, '0')}`;
	const { delivery } = await sandbox.sendCustomerMessage({
		provider,
		to: provider === 'twilio' ? '+15550100001' : metaDemo.phoneNumberId,
		from: phone,
		profileName: 'Ana',
		text: 'Hola'
	});
	expect(delivery.responseStatus, delivery.responseBody).toBe(200);
	const { rows } = await stack.db.query<{ id: string }>(
		`update public.conversations c set last_inbound_at = now() - interval '3 days'
		 from public.contacts k
		 where k.id = c.contact_id and k.wa_id = $1 and c.tenant_id = $2
		 returning c.id`,
		[phone.slice(1), team.tenantId]
	);
	expect(rows).toHaveLength(1);
	return rows[0].id;
}

describe('Meta templates with a header and buttons', () => {
	beforeAll(async () => {
		sandbox.addMetaTemplate({
			wabaId: metaDemo.wabaId,
			name: 'shipped_photo',
			body: 'Hi {{1}}, your order has shipped.',
			header: { format: 'IMAGE', example: 'https://cdn.example/sample.jpg' },
			footer: 'Thanks for shopping',
			buttons: [
				{
					type: 'URL',
					text: 'Track',
					url: 'https://shop.example/track/{{1}}',
					example: 'https://shop.example/track/A1B2'
				},
				{ type: 'QUICK_REPLY', text: 'Stop updates' },
				{ type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550001111' }
			]
		});
		sandbox.addMetaTemplate({
			wabaId: metaDemo.wabaId,
			name: 'sale_news',
			body: 'Hi {{1}}, the sale is on.',
			header: { format: 'TEXT', text: '{{1}} sale', example: ['Spring'] }
		});
	});

	it('syncs the header format, its placeholders and the buttons', async () => {
		const synced = await callFunction(team.agent, 'whatsapp-templates/sync', 'POST', {
			numberId: metaNumber
		});
		expect(synced.status, JSON.stringify(synced.body)).toBe(200);
		const byName = new Map(
			(synced.body.templates as { name: string }[]).map((row) => [row.name, row])
		);
		expect(byName.get('shipped_photo')).toMatchObject({
			header: null,
			header_format: 'image',
			header_variables: [],
			footer: 'Thanks for shopping',
			variables: [{ key: '1', example: null }],
			buttons: [
				{
					type: 'url',
					text: 'Track',
					url: 'https://shop.example/track/{{1}}',
					variables: [{ key: '1', example: 'A1B2' }]
				},
				{ type: 'quick_reply', text: 'Stop updates' },
				{ type: 'phone_number', text: 'Call us', phone_number: '+15550001111' }
			]
		});
		expect(byName.get('sale_news')).toMatchObject({
			header: '{{1}} sale',
			header_format: 'text',
			header_variables: [{ key: '1', example: 'Spring' }],
			buttons: []
		});
	});

	it('sends an image header and a URL button as Meta components and stores what the customer reads', async () => {
		const conversationId = await closedConversation('meta');
		sandbox.clearRequests();
		const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: {
				name: 'shipped_photo',
				language: 'en_US',
				variables: { '1': 'Ana' },
				headerMedia: { type: 'image', link: 'https://cdn.example/box.jpg' },
				buttonVariables: { '0': 'Z9' }
			}
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body.body).toBe(
			'📎 Image\n\nHi Ana, your order has shipped.\n\nThanks for shopping\n\n' +
				'[Track] https://shop.example/track/Z9\n[Stop updates]\n[Call us] +15550001111'
		);
		const [request] = sandbox.requests({ provider: 'meta', method: 'POST' });
		expect(request.body).toMatchObject({
			type: 'template',
			template: {
				name: 'shipped_photo',
				components: [
					{
						type: 'header',
						parameters: [{ type: 'image', image: { link: 'https://cdn.example/box.jpg' } }]
					},
					{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
					{
						type: 'button',
						sub_type: 'url',
						index: '0',
						parameters: [{ type: 'text', text: 'Z9' }]
					}
				]
			}
		});
		expect(sent.body).toMatchObject({
			type: 'template',
			status: expect.stringMatching(/queued|sent/)
		});
	});

	it('refuses a template whose header value or link is missing, naming the field', async () => {
		const conversationId = await closedConversation('meta');
		const noLink = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: {
				name: 'shipped_photo',
				language: 'en_US',
				variables: { '1': 'Ana' },
				buttonVariables: { '0': 'Z9' }
			}
		});
		expect(noLink.status).toBe(400);
		expect(noLink.body).toMatchObject({
			code: 'template_variables_missing',
			message: 'Fill in the header’s image link (https://…) before sending this template.',
			details: { missing: ['header:media'] }
		});

		const noHeaderText = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { name: 'sale_news', language: 'en_US', variables: { '1': 'Ana' } }
		});
		expect(noHeaderText.status).toBe(400);
		expect(noHeaderText.body).toMatchObject({
			code: 'template_variables_missing',
			message: 'Fill in the header’s {{1}} before sending this template.',
			details: { missing: ['header:1'] }
		});
		const { count } = await team.agent
			.from('messages')
			.select('id', { count: 'exact', head: true })
			.eq('conversation_id', conversationId)
			.eq('direction', 'outbound');
		expect(count).toBe(0);

		const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: {
				name: 'sale_news',
				language: 'en_US',
				variables: { '1': 'Ana' },
				headerVariables: { '1': 'Winter' }
			}
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body.body).toBe('Winter sale\n\nHi Ana, the sale is on.');
	});

	it('a template sent unsynced without its header parameter is refused by Meta with its sentence', async () => {
		sandbox.addMetaTemplate({
			wabaId: metaDemo.wabaId,
			name: 'unsynced_video',
			body: 'Watch this, {{1}}.',
			header: { format: 'VIDEO' }
		});
		const conversationId = await closedConversation('meta');
		const refused = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { name: 'unsynced_video', language: 'en_US', variables: { '1': 'Ana' } }
		});
		expect(refused.body).toMatchObject({ status: 'failed', error_code: '132000' });
		expect(refused.body.error_message).toBe(
			'The template’s parameters do not match the approved template.'
		);
	});
});

describe('Twilio Content without a body', () => {
	it('lists a twilio/card with its title, subtitle, media and actions, and sends all its variables', async () => {
		const card = sandbox.addTwilioTemplate({
			accountSid: twilioDemo.accountSid,
			friendlyName: 'delivery_card',
			card: {
				title: 'Hi {{1}}, your parcel is here',
				subtitle: 'Pick it up by {{2}}',
				media: ['https://cdn.example/parcel.png'],
				actions: [
					{ type: 'URL', title: 'Directions', url: 'https://maps.example/{{3}}' },
					{ type: 'QUICK_REPLY', title: 'Thanks', id: 'thanks' }
				]
			},
			variables: { '1': 'Ana', '2': 'Friday', '3': 'store-7' }
		});
		const synced = await callFunction(team.agent, 'whatsapp-templates/sync', 'POST', {
			numberId: twilioNumber
		});
		expect(synced.status, JSON.stringify(synced.body)).toBe(200);
		const listed = (synced.body.templates as { name: string }[]).find(
			(row) => row.name === 'delivery_card'
		);
		expect(listed).toMatchObject({
			provider_template_id: card.sid,
			header_format: 'image',
			body: 'Hi {{1}}, your parcel is here',
			footer: 'Pick it up by {{2}}',
			variables: [
				{ key: '1', example: 'Ana' },
				{ key: '2', example: 'Friday' },
				{ key: '3', example: 'store-7' }
			],
			buttons: [
				{ type: 'url', text: 'Directions', url: 'https://maps.example/{{3}}' },
				{ type: 'quick_reply', text: 'Thanks' }
			]
		});

		const conversationId = await closedConversation('twilio');
		const incomplete = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { contentSid: card.sid, variables: { '1': 'Ana', '2': 'Friday' } }
		});
		expect(incomplete.status).toBe(400);
		expect(incomplete.body).toMatchObject({
			code: 'template_variables_missing',
			details: { missing: ['3'] }
		});

		sandbox.clearRequests();
		const variables = { '1': 'Ana', '2': 'Friday', '3': 'store-9' };
		const sent = await callFunction(team.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { contentSid: card.sid, variables }
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body.body).toBe(
			'📎 Image\n\nHi Ana, your parcel is here\n\nPick it up by Friday\n\n' +
				'[Directions] https://maps.example/store-9\n[Thanks]'
		);
		const [request] = sandbox.requests({ provider: 'twilio', method: 'POST' });
		expect(request.body).toMatchObject({
			ContentSid: card.sid,
			ContentVariables: JSON.stringify(variables)
		});
	});
});
