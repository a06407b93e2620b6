import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction } from '../support/clients.ts';
import { connectNumber, connectTwilio, type Team } from '../support/webhooks.ts';
import { metaDemo, twilioDemo, usePipelineStack } from './pipeline-support.ts';

// The messaging pipeline and the provider accounts behind it: templates synced and sent, and
// credentials the provider stops accepting, against the local stack, real Deno and the sandbox.

const pipeline = usePipelineStack();
const { team, messageByProviderId, customerPhone, conversationOf, customerWrites } = pipeline;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
let teamA: Team;
let teamB: Team;
let twilioNumberA: string;
let metaNumberA: string;
beforeAll(() => {
	({ sandbox, stack, functionsUrl, teamA, teamB, twilioNumberA, metaNumberA } = pipeline.world);
});

describe('credentials', () => {
	it('Twilio 20003 on send marks the number needs_attention and tells owners and admins once', async () => {
		const t = await team('pipeline-c');
		const account = sandbox.addTwilioAccount({ friendlyName: 'Team C' });
		sandbox.upsertTwilioNumber({ accountSid: account.sid, phoneNumber: '+15550300001' });
		await connectTwilio(t, { accountSid: account.sid, authToken: account.authToken });
		const numberId = await connectNumber(t, {
			provider: 'twilio',
			displayName: 'C store',
			address: 'whatsapp:+15550300001'
		});
		const phone = customerPhone();
		const { delivery } = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: '+15550300001',
			from: phone,
			text: 'Hello C'
		});
		expect(delivery.responseStatus).toBe(200);
		const conversation = await conversationOf(t.agent, numberId, phone);
		// The account's token changes at Twilio: Parley's stored one stops working.
		sandbox.addTwilioAccount({
			sid: account.sid,
			authToken: 'rotated-token-0000000000000000',
			friendlyName: 'Team C'
		});

		for (const text of ['First try', 'Second try']) {
			const answer = await callFunction(t.agent, 'whatsapp-send', 'POST', {
				conversationId: conversation!.id,
				text
			});
			expect(answer.body).toMatchObject({
				status: 'failed',
				error_code: '20003',
				error_message:
					'Twilio rejected the account credentials. An owner or admin needs to enter the Account SID and Auth Token again.'
			});
		}
		const { data: number } = await t.owner
			.from('whatsapp_numbers')
			.select('needs_attention, last_error')
			.eq('id', numberId)
			.single();
		expect(number).toEqual({
			needs_attention: true,
			last_error:
				'Twilio rejected the account credentials. An owner or admin needs to enter the Account SID and Auth Token again.'
		});
		for (const client of [t.owner, t.admin]) {
			const { data } = await client
				.from('notifications')
				.select('kind, title')
				.eq('kind', 'credentials');
			expect(data).toEqual([{ kind: 'credentials', title: 'C store needs attention' }]);
		}
		const { data: agentNotes } = await t.agent
			.from('notifications')
			.select('id')
			.eq('kind', 'credentials');
		expect(agentNotes).toEqual([]);
	});
});

describe('templates', () => {
	it('a Twilio template goes out with its Content SID outside the window and ends read', async () => {
		const conversationId = await customerWrites('twilio', customerPhone());
		await stack.db.query(
			`update public.conversations set last_inbound_at = now() - interval '3 days' where id = $1`,
			[conversationId]
		);
		sandbox.clearRequests();
		const template = {
			contentSid: 'HX' + '1'.padStart(32, '0'),
			variables: { '1': 'Ana', '2': '#1042' }
		};
		const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body).toMatchObject({ type: 'template', content: template });
		const [request] = sandbox.requests({ provider: 'twilio', method: 'POST' });
		expect(request.body).toMatchObject({
			ContentSid: template.contentSid,
			ContentVariables: JSON.stringify(template.variables)
		});
		await sandbox.settled();
		const { data } = await teamA.agent
			.from('messages')
			.select('status')
			.eq('id', sent.body.id)
			.single();
		expect(data!.status).toBe('read');
	});

	it('a Meta template goes out by name and language; one Meta refuses fails with a sentence', async () => {
		const conversationId = await customerWrites('meta', customerPhone());
		sandbox.clearRequests();
		const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { name: 'follow_up', language: 'en_US', variables: { '1': 'Ana' } }
		});
		expect(sent.status).toBe(200);
		const [request] = sandbox.requests({ provider: 'meta', method: 'POST' });
		expect(request.body).toMatchObject({
			type: 'template',
			template: {
				name: 'follow_up',
				language: { code: 'en_US' },
				components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }]
			}
		});
		await sandbox.settled();
		const { data } = await teamA.agent
			.from('messages')
			.select('status')
			.eq('id', sent.body.id)
			.single();
		expect(data!.status).toBe('read');

		const refused = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { name: 'order_update', language: 'en_US', variables: { '1': 'Ana' } }
		});
		expect(refused.body).toMatchObject({
			status: 'failed',
			error_code: '132000',
			error_message: 'The template’s parameters do not match the approved template.'
		});
	});

	it('members sync a Twilio number’s Content templates with approval and samples; other tenants cannot', async () => {
		const pending = sandbox.addTwilioTemplate({
			accountSid: twilioDemo.accountSid,
			friendlyName: 'pending_offer',
			body: 'Hi {{1}}, {{2}} is back in stock.',
			approvalStatus: 'pending'
		});
		const synced = await callFunction(teamA.agent, 'whatsapp-templates/sync', 'POST', {
			numberId: twilioNumberA
		});
		expect(synced.status, JSON.stringify(synced.body)).toBe(200);
		const byName = new Map(
			(synced.body.templates as { name: string }[]).map((row) => [row.name, row])
		);
		expect(byName.get('order_update')).toMatchObject({
			provider: 'twilio',
			provider_template_id: 'HX' + '1'.padStart(32, '0'),
			status: 'approved',
			body: 'Hi {{1}}, your order {{2}} is on its way.',
			variables: [
				{ key: '1', example: 'Ana' },
				{ key: '2', example: '#1042' }
			]
		});
		expect(byName.get('pending_offer')).toMatchObject({ status: 'pending' });
		const { data: rows } = await teamA.agent
			.from('whatsapp_templates')
			.select('name')
			.eq('number_id', twilioNumberA);
		expect(rows!.map((row) => row.name).sort()).toEqual([...byName.keys()].sort());

		// A template deleted at Twilio leaves on the next sync.
		await twilio(twilioDemo.accountSid, twilioDemo.authToken, {
			httpClient: sandbox.twilioHttpClient() as unknown as RequestClient
		})
			.content.v1.contents(pending.sid)
			.remove();
		const again = await callFunction(teamA.admin, 'whatsapp-templates/sync', 'POST', {
			numberId: twilioNumberA
		});
		expect(again.body.templates.map((row: { name: string }) => row.name)).not.toContain(
			'pending_offer'
		);

		const stranger = await callFunction(teamB.owner, 'whatsapp-templates/sync', 'POST', {
			numberId: twilioNumberA
		});
		expect(stranger.status).toBe(404);
		const { data: leaked } = await teamB.owner
			.from('whatsapp_templates')
			.select('id')
			.eq('number_id', twilioNumberA);
		expect(leaked).toEqual([]);
		const written = await teamA.owner
			.from('whatsapp_templates')
			.update({ body: 'changed' })
			.eq('number_id', twilioNumberA)
			.select('id');
		expect(written.error?.code).toBe('42501');
	});

	it('a Meta number syncs from its WhatsApp Business Account; a missing or unknown account id is explained', async () => {
		sandbox.clearRequests();
		const synced = await callFunction(teamA.agent, 'whatsapp-templates/sync', 'POST', {
			numberId: metaNumberA
		});
		expect(synced.status, JSON.stringify(synced.body)).toBe(200);
		expect(
			synced.body.templates.map((row: { name: string; language: string }) => [
				row.name,
				row.language
			])
		).toEqual([
			['follow_up', 'en_US'],
			['order_update', 'en_US']
		]);
		const [listed] = sandbox.requests({ provider: 'meta', method: 'GET' });
		expect(listed.path).toMatch(new RegExp(`/${metaDemo.wabaId}/message_templates$`));
		expect(listed.headers.authorization).toBe(`Bearer ${metaDemo.accessToken}`);

		await stack.db.query(
			`update public.whatsapp_numbers set business_account_id = null where id = $1`,
			[metaNumberA]
		);
		try {
			const refused = await callFunction(teamA.agent, 'whatsapp-templates/sync', 'POST', {
				numberId: metaNumberA
			});
			expect(refused.status).toBe(409);
			expect(refused.body).toMatchObject({ code: 'no_business_account' });
			expect(refused.body.message).toMatch(/Business Account ID/);

			// A Business Account the token cannot see is named in the answer, as connecting does.
			await stack.db.query(
				`update public.whatsapp_numbers set business_account_id = '999000111' where id = $1`,
				[metaNumberA]
			);
			const unknown = await callFunction(teamA.agent, 'whatsapp-templates/sync', 'POST', {
				numberId: metaNumberA
			});
			expect(unknown.status).toBe(400);
			expect(unknown.body).toMatchObject({ code: 'meta_not_found' });
			expect(unknown.body.message).toContain('WhatsApp Business Account with ID 999000111');
		} finally {
			await stack.db.query(
				`update public.whatsapp_numbers set business_account_id = $2 where id = $1`,
				[metaNumberA, metaDemo.wabaId]
			);
		}
	});

	it('a synced template is checked before sending and stored with the words the customer reads', async () => {
		await callFunction(teamA.agent, 'whatsapp-templates/sync', 'POST', { numberId: twilioNumberA });
		const conversationId = await customerWrites('twilio', customerPhone());
		await stack.db.query(
			`update public.conversations set last_inbound_at = now() - interval '3 days' where id = $1`,
			[conversationId]
		);
		const contentSid = 'HX' + '1'.padStart(32, '0');
		const incomplete = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { contentSid, variables: { '1': 'Ana', '2': '  ' } }
		});
		expect(incomplete.status).toBe(400);
		expect(incomplete.body).toMatchObject({
			code: 'template_variables_missing',
			message: 'Fill in {{2}} before sending this template.'
		});
		const { count } = await teamA.agent
			.from('messages')
			.select('id', { count: 'exact', head: true })
			.eq('conversation_id', conversationId)
			.eq('direction', 'outbound');
		expect(count).toBe(0);

		const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { contentSid, variables: { '1': 'Ana', '2': '#7' } }
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body).toMatchObject({
			type: 'template',
			body: 'Hi Ana, your order #7 is on its way.',
			status: expect.stringMatching(/queued|sent/)
		});
		const { data: conversation } = await teamA.agent
			.from('conversations')
			.select('last_message_preview')
			.eq('id', conversationId)
			.single();
		expect(conversation!.last_message_preview).toBe('Hi Ana, your order #7 is on its way.');

		const unapproved = sandbox.addTwilioTemplate({
			accountSid: twilioDemo.accountSid,
			friendlyName: 'rejected_promo',
			body: 'Big sale!',
			approvalStatus: 'rejected'
		});
		await callFunction(teamA.agent, 'whatsapp-templates/sync', 'POST', { numberId: twilioNumberA });
		const refused = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
			conversationId,
			template: { contentSid: unapproved.sid }
		});
		expect(refused.status).toBe(409);
		expect(refused.body).toMatchObject({ code: 'template_not_approved' });
		expect(refused.body.message).toContain('“rejected_promo” is rejected');
	});

	it('a body with neither text nor template is refused with a sentence', async () => {
		const conversationId = await customerWrites('twilio', customerPhone());
		const answer = await callFunction(teamA.agent, 'whatsapp-send', 'POST', { conversationId });
		expect(answer.status).toBe(400);
		expect(answer.body.message).toBe(
			'Send { conversationId, text }, { conversationId, template } or { messageId } to retry a failed message.'
		);
	});
});

describe('Meta credentials', () => {
	it('Meta 190 on a media download marks the number needs_attention and tells owners and admins once', async () => {
		const bytes = randomBytes(16);
		// The token is revoked at Meta before the media arrives, so it cannot be kept in Storage at
		// ingest either and opening it asks Meta.
		sandbox.upsertMetaNumber({
			phoneNumberId: metaDemo.phoneNumberId,
			accessToken: 'EAArevokedToken000000000000000000000000000000'
		});
		const { delivery } = await sandbox.sendCustomerMessage({
			provider: 'meta',
			to: metaDemo.phoneNumberId,
			from: customerPhone(),
			media: { contentType: 'image/jpeg', dataBase64: bytes.toString('base64') }
		});
		const wamid = (delivery.payload as any).entry[0].changes[0].value.messages[0].id; // eslint-disable-line @typescript-eslint/no-explicit-any -- webhook JSON
		const message = await messageByProviderId(wamid);
		const { data } = await teamA.agent.auth.getSession();
		for (let attempt = 0; attempt < 2; attempt++) {
			const download = await fetch(`${functionsUrl}/whatsapp-media/${message.id}`, {
				headers: { Authorization: `Bearer ${data.session!.access_token}` }
			});
			expect(download.status).toBe(502);
			expect((await download.json()).message).toBe(
				'Meta rejected the access token: it is invalid or has expired. An owner or admin needs to paste a new permanent token for this number.'
			);
		}
		const { data: number } = await teamA.owner
			.from('whatsapp_numbers')
			.select('needs_attention')
			.eq('id', metaNumberA)
			.single();
		expect(number!.needs_attention).toBe(true);
		for (const client of [teamA.owner, teamA.admin]) {
			const { data: notes } = await client
				.from('notifications')
				.select('title')
				.eq('kind', 'credentials')
				.eq('number_id', metaNumberA);
			expect(notes).toEqual([{ title: 'Meta line needs attention' }]);
		}
		sandbox.upsertMetaNumber({
			phoneNumberId: metaDemo.phoneNumberId,
			accessToken: metaDemo.accessToken
		});
	});
});
