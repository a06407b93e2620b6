import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { twilioSignature, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { hubSignature, type Team } from '../support/webhooks.ts';
import {
	fixture,
	metaDemo,
	twilioDemo,
	usePipelineStack,
	type PipelineWorld
} from './pipeline-support.ts';

// The messaging pipeline, inbound: provider webhooks signed as Twilio and Meta sign them into the
// twilio-webhook and meta-webhook functions, against the local stack, real Deno and the sandbox.

const pipeline = usePipelineStack();
const {
	twilioWebhookUrl,
	postTwilio,
	postMeta,
	count,
	messageByProviderId,
	customerPhone,
	conversationOf
} = pipeline;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
let teamA: Team;
let teamB: Team;
let twilioNumberA: string;
let metaNumberA: string;
let twilioNumberB: string;
let twilioB: PipelineWorld['twilioB'];
beforeAll(() => {
	({
		sandbox,
		stack,
		functionsUrl,
		teamA,
		teamB,
		twilioNumberA,
		metaNumberA,
		twilioNumberB,
		twilioB
	} = pipeline.world);
});

describe('signatures', () => {
	it("the function's Twilio check accepts Twilio's documented test vector and refuses a changed one", async () => {
		const module = resolve(
			import.meta.dirname,
			'../../supabase/functions/_shared/providers/twilio-webhook.ts'
		);
		// With the import map the deployed function has, so `twilio` resolves as it does there.
		const importMap = resolve(
			import.meta.dirname,
			'../../supabase/functions/twilio-webhook/deno.json'
		);
		const script = `
			import { validTwilioSignature } from ${JSON.stringify('file://' + module)};
			const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
			const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
			console.log(JSON.stringify([
				validTwilioSignature('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', url, params),
				validTwilioSignature('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', url, { ...params, Digits: '1235' }),
				validTwilioSignature('54321', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', url, params)
			]));`;
		const { stdout } = await promisify(execFile)(
			resolve(import.meta.dirname, '../../node_modules/.bin/deno'),
			['eval', '--config', importMap, '--no-lock', '--ext=ts', '--quiet', script],
			{ env: { ...process.env, DENO_DIR: resolve('.parley/deno') }, timeout: 120_000 }
		);
		expect(JSON.parse(stdout.trim())).toEqual([true, false, false]);
	}, 150_000);

	it('bad or missing signatures are refused with 401/403 and nothing is stored', async () => {
		const params = { ...fixture('twilio/inbound-text.json'), MessageSid: 'SMbadsignature0001' };
		const meta = fixture<Record<string, unknown>>('meta/text.json');
		const before = [
			await count('webhook_events'),
			await count('messages'),
			await count('contacts')
		];

		expect((await postTwilio(params, null)).status).toBe(401);
		expect((await postTwilio(params, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
		// Signed with another account's token, or over a body that changed after signing.
		expect(
			(await postTwilio(params, twilioSignature(twilioB.authToken, twilioWebhookUrl(), params)))
				.status
		).toBe(403);
		const signedOriginal = twilioSignature(twilioDemo.authToken, twilioWebhookUrl(), params);
		expect((await postTwilio({ ...params, Body: 'changed' }, signedOriginal)).status).toBe(403);

		expect((await postMeta(meta, null)).status).toBe(401);
		expect((await postMeta(meta, 'sha256=' + '0'.repeat(64))).status).toBe(403);
		expect((await postMeta(meta, (raw) => hubSignature('another-app-secret', raw))).status).toBe(
			403
		);
		expect((await postMeta(meta, 'not-a-signature')).status).toBe(403);

		expect([
			await count('webhook_events'),
			await count('messages'),
			await count('contacts')
		]).toEqual(before);
	});

	it('a malformed body answers 400 with the reason, and an unknown number the 403 of a bad signature, storing nothing', async () => {
		const before = await count('webhook_events');
		const missingTo = { ...fixture('twilio/inbound-text.json') };
		delete (missingTo as Record<string, string>).To;
		const malformed = await postTwilio(missingTo);
		expect(malformed.status).toBe(400);
		expect((await malformed.json()).message).toMatch(/To/);

		const noNumber = await postMeta('{"object": ');
		expect(noNumber.status).toBe(400);
		expect((await noNumber.json()).message).toBe(
			'This is not a WhatsApp Cloud API delivery: no entry names a phone_number_id or a business account.'
		);

		const unknownTwilio = await postTwilio({
			...fixture('twilio/inbound-text.json'),
			To: 'whatsapp:+15559999999'
		});
		expect(unknownTwilio.status).toBe(403);
		const meta = fixture<{
			entry: { id: string; changes: { value: { metadata: { phone_number_id: string } } }[] }[];
		}>('meta/text.json');
		meta.entry[0].changes[0].value.metadata.phone_number_id = '999999999999';
		meta.entry[0].id = '999999999999999';
		expect((await postMeta(meta)).status).toBe(403);
		expect(await count('webhook_events')).toBe(before);
	});

	it('a signed delivery that is not valid JSON is kept with the reason and acknowledged, since Meta would only resend the same bytes', async () => {
		const raw = `{"entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"${metaDemo.phoneNumberId}"}}}]}]`;
		const answer = await postMeta(raw);
		expect(answer.status).toBe(200);
		const { data } = await teamA.admin
			.from('webhook_events')
			.select('error, headers')
			.eq('raw_body', raw);
		expect(data).toEqual([
			{ error: 'The delivery body is not valid JSON.', headers: expect.any(Object) }
		]);
		// The signature was checked; kept, it would let whoever reads the event post it again.
		expect(data![0].headers).toMatchObject({ 'content-type': 'application/json' });
		expect(data![0].headers).not.toHaveProperty('x-hub-signature-256');
	});
});

describe('inbound', () => {
	it("Twilio's inbound text is stored once with its contact, conversation and a notification per member", async () => {
		const params = fixture('twilio/inbound-text.json');
		const response = await postTwilio(params);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
		expect(await response.text()).toBe('<Response></Response>');

		const conversation = await conversationOf(teamA.agent, twilioNumberA, '+14155550123');
		expect(conversation).toMatchObject({
			status: 'open',
			unread_count: 1,
			last_message_preview: 'Hello! Do you ship to Monterrey?',
			last_message_direction: 'inbound'
		});
		expect(conversation!.last_inbound_at).not.toBeNull();
		const { data: messages } = await teamA.agent
			.from('messages')
			.select('direction, sender, type, body, status, provider_message_id')
			.eq('conversation_id', conversation!.id);
		expect(messages).toEqual([
			{
				direction: 'inbound',
				sender: 'customer',
				type: 'text',
				body: 'Hello! Do you ship to Monterrey?',
				status: 'received',
				provider_message_id: params.MessageSid
			}
		]);
		const { data: contact } = await teamA.agent
			.from('contacts')
			.select('profile_name')
			.eq('wa_id', '14155550123')
			.single();
		expect(contact!.profile_name).toBe('Ana');
		for (const client of [teamA.owner, teamA.admin, teamA.agent]) {
			const { data } = await client
				.from('notifications')
				.select('kind, title, body, conversation_id')
				.eq('conversation_id', conversation!.id);
			expect(data).toEqual([
				{
					kind: 'new_message',
					title: 'New message from Ana',
					body: 'Hello! Do you ship to Monterrey?',
					conversation_id: conversation!.id
				}
			]);
		}
		// Team B sees none of it.
		expect((await teamB.owner.from('conversations').select('id')).data).toEqual([]);
		expect((await teamB.owner.from('notifications').select('id')).data).toEqual([]);
		const { data: events } = await teamA.admin
			.from('webhook_events')
			.select('provider, signature_valid, processed_at, error, raw_body, headers')
			.eq('number_id', twilioNumberA)
			.order('received_at', { ascending: false })
			.limit(1);
		expect(events![0]).toMatchObject({
			provider: 'twilio',
			signature_valid: true,
			error: null,
			raw_body: new URLSearchParams(params).toString(),
			headers: { 'content-type': 'application/x-www-form-urlencoded' }
		});
		expect(events![0].headers).not.toHaveProperty('x-twilio-signature');
		expect((await teamA.agent.from('webhook_events').select('id')).data).toEqual([]);
	});

	it("Twilio's inbound media keeps the media reference and caption", async () => {
		const params = fixture('twilio/inbound-media.json');
		expect((await postTwilio(params)).status).toBe(200);
		const message = await messageByProviderId(params.MessageSid);
		expect(message).toMatchObject({
			type: 'image',
			body: 'This is the one I want',
			media: {
				provider_ref: params.MediaUrl0,
				mime_type: 'image/jpeg',
				caption: 'This is the one I want'
			}
		});
	});

	it("Meta's text, image, location and reaction are stored; the reaction shows on its message", async () => {
		for (const name of ['text', 'image', 'location', 'reaction']) {
			const response = await postMeta(fixture(`meta/${name}.json`));
			expect(response.status, name).toBe(200);
		}
		const conversation = await conversationOf(teamA.agent, metaNumberA, '+5215512345678');
		const { data: messages } = await teamA.agent
			.from('messages')
			.select('id, type, body, media, location, provider_message_id')
			.eq('conversation_id', conversation!.id)
			.order('created_at');
		expect(messages!.map((m) => m.type)).toEqual(['text', 'image', 'location']);
		expect(messages![0].body).toBe('Hola, ¿tienen envío?');
		expect(messages![1]).toMatchObject({
			body: 'Este modelo',
			media: { provider_ref: '1234567890123456', mime_type: 'image/jpeg', caption: 'Este modelo' }
		});
		expect(messages![2].location).toEqual({
			latitude: 19.4326,
			longitude: -99.1332,
			name: 'Zócalo',
			address: 'Plaza de la Constitución, Ciudad de México'
		});
		const { data: reactions } = await teamA.agent
			.from('message_reactions')
			.select('message_id, emoji, reactor');
		expect(reactions).toEqual([{ message_id: messages![0].id, emoji: '👍', reactor: 'customer' }]);
		expect(conversation!.unread_count).toBe(3);
	});

	it('every entry and message of one Meta delivery is stored, including replies and unsupported ones', async () => {
		const text = fixture<any>('meta/text.json'); // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture JSON
		const entry = (id: string, message: Record<string, unknown>) => ({
			...text.entry[0],
			changes: [
				{
					field: 'messages',
					value: {
						...text.entry[0].changes[0].value,
						contacts: [{ profile: { name: 'Luis' }, wa_id: '5215599990000' }],
						messages: [{ from: '5215599990000', id, timestamp: '1732400400', ...message }]
					}
				}
			]
		});
		const delivery = {
			object: 'whatsapp_business_account',
			entry: [
				entry('wamid.multi-1', { type: 'text', text: { body: 'first' } }),
				entry('wamid.multi-2', {
					type: 'interactive',
					interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes please' } },
					context: { from: '15550001111', id: 'wamid.multi-1' }
				}),
				entry('wamid.multi-3', {
					type: 'unsupported',
					errors: [{ code: 131051, title: 'Message type unknown' }]
				}),
				entry('wamid.multi-4', {
					type: 'contacts',
					contacts: [
						{ name: { formatted_name: 'Luis Pérez' }, phones: [{ phone: '+52 55 1234 5678' }] }
					]
				}),
				entry('wamid.multi-5', {
					type: 'document',
					document: { id: '998877', mime_type: 'application/pdf', filename: 'invoice.pdf' }
				}),
				entry('wamid.multi-6', {
					type: 'button',
					button: { text: 'Track my order', payload: 'track' }
				})
			]
		};
		expect((await postMeta(delivery)).status).toBe(200);
		const first = await messageByProviderId('wamid.multi-1');
		expect(await messageByProviderId('wamid.multi-2')).toMatchObject({
			type: 'interactive',
			body: 'Yes please',
			reply_to_provider_id: 'wamid.multi-1',
			reply_to_message_id: first.id
		});
		expect(await messageByProviderId('wamid.multi-3')).toMatchObject({ type: 'unsupported' });
		expect(await messageByProviderId('wamid.multi-4')).toMatchObject({
			type: 'contacts',
			body: 'Luis Pérez'
		});
		expect(await messageByProviderId('wamid.multi-5')).toMatchObject({
			type: 'document',
			media: { provider_ref: '998877', mime_type: 'application/pdf', filename: 'invoice.pdf' }
		});
		expect(await messageByProviderId('wamid.multi-6')).toMatchObject({
			type: 'button',
			body: 'Track my order',
			content: { text: 'Track my order', payload: 'track' }
		});
		const conversation = await conversationOf(teamA.agent, metaNumberA, '+5215599990000');
		expect(conversation!.last_message_preview).toBe('Track my order');
	});

	it('the same delivery posted 10 times at once gives one message and one notification per member', async () => {
		const params = {
			...fixture('twilio/inbound-text.json'),
			MessageSid: 'SMconcurrent00000000000000000000',
			SmsSid: 'SMconcurrent00000000000000000000',
			SmsMessageSid: 'SMconcurrent00000000000000000000',
			From: 'whatsapp:+14155550999',
			WaId: '14155550999',
			Body: 'Are you there?'
		};
		const answers = await Promise.all(Array.from({ length: 10 }, () => postTwilio(params)));
		expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
		const message = await messageByProviderId(params.MessageSid);
		expect(await count('messages', 'provider_message_id = $1', [params.MessageSid])).toBe(1);
		expect(await count('notifications', 'message_id = $1', [message.id])).toBe(3);
		const conversation = await conversationOf(teamA.agent, twilioNumberA, '+14155550999');
		expect(conversation!.unread_count).toBe(1);
		// Every delivery is kept for audit, duplicates included.
		expect(
			await count('webhook_events', `raw_body like '%' || $1 || '%'`, [params.MessageSid])
		).toBe(10);
	});

	it('Twilio locations and button replies from the sandbox are stored as what they are', async () => {
		const phone = customerPhone();
		for (const input of [
			{ location: { latitude: 25.6866, longitude: -100.3161, name: 'Tienda', address: 'Centro' } },
			{ button: { text: 'Yes, confirm', payload: 'confirm' } }
		]) {
			const { delivery } = await sandbox.sendCustomerMessage({
				provider: 'twilio',
				to: '+15550100001',
				from: phone,
				...input
			});
			expect(delivery.responseStatus).toBe(200);
		}
		const conversation = await conversationOf(teamA.agent, twilioNumberA, phone);
		const { data } = await teamA.agent
			.from('messages')
			.select('type, body, location, content')
			.eq('conversation_id', conversation!.id)
			.order('created_at');
		expect(data).toEqual([
			{
				type: 'location',
				body: null,
				location: { latitude: 25.6866, longitude: -100.3161, name: 'Tienda', address: 'Centro' },
				content: null
			},
			{
				type: 'button',
				body: 'Yes, confirm',
				location: null,
				content: { text: 'Yes, confirm', payload: 'confirm' }
			}
		]);
	});

	it('a Twilio number is found by To and AccountSid whether or not a Messaging Service delivered it', async () => {
		const params = {
			...fixture('twilio/inbound-text.json'),
			MessageSid: 'SMviaservice00000000000000000000',
			MessagingServiceSid: 'MG' + 'a'.repeat(32)
		};
		expect((await postTwilio(params)).status).toBe(200);
		expect((await messageByProviderId(params.MessageSid)).tenant_id).toBe(teamA.tenantId);
	});

	it("a signed webhook for team A's number never writes into team B", async () => {
		const params = {
			...fixture('twilio/inbound-text.json'),
			MessageSid: 'SMcrosstenant0000000000000000000',
			From: 'whatsapp:+14155550777',
			WaId: '14155550777'
		};
		// Team B's account with team A's address: no such number for that account.
		const withAccountB = { ...params, AccountSid: twilioB.accountSid };
		expect(
			(
				await postTwilio(
					withAccountB,
					twilioSignature(twilioB.authToken, twilioWebhookUrl(), withAccountB)
				)
			).status
		).toBe(403);
		expect((await postTwilio(params)).status).toBe(200);
		const message = await messageByProviderId(params.MessageSid);
		expect(message.tenant_id).toBe(teamA.tenantId);
		expect(await count('messages', 'tenant_id = $1', [teamB.tenantId])).toBe(0);
		expect(await count('contacts', 'tenant_id = $1', [teamB.tenantId])).toBe(0);
		expect(await count('conversations', 'number_id = $1', [twilioNumberB])).toBe(0);
	});

	it("Meta's subscription check echoes the challenge for a number's verify token only", async () => {
		const { rows } = await stack.db.query<{ verify_token: string }>(
			'select verify_token from public.whatsapp_number_secrets where number_id = $1',
			[metaNumberA]
		);
		const url = (token: string) =>
			`${functionsUrl}/meta-webhook?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
		const good = await fetch(url(rows[0].verify_token));
		expect(good.status).toBe(200);
		expect(await good.text()).toBe('1158201444');
		expect((await fetch(url('not-the-token'))).status).toBe(403);
	});
});
