import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { DEMO_CREDENTIALS, twilioSignature, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction, subscribed } from '../support/clients.ts';
import {
	connectDemoNumbers,
	connectNumber,
	connectTwilio,
	createTeam,
	hubSignature,
	startPipelineStack,
	type PipelineStack,
	type Team
} from '../support/webhooks.ts';

// The messaging pipeline end to end: provider webhooks (signed as Twilio and Meta sign them) into
// the twilio-webhook and meta-webhook functions, replies through whatsapp-send, statuses back,
// media through whatsapp-media — all against the local stack, real Deno and the provider sandbox.

const twilioDemo = DEMO_CREDENTIALS.twilio;
const metaDemo = DEMO_CREDENTIALS.meta;

let pipeline: PipelineStack;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
const channels: RealtimeChannel[] = [];

function fixture<T = Record<string, string>>(path: string): T {
	return JSON.parse(
		readFileSync(resolve(import.meta.dirname, '../fixtures/providers', path), 'utf8')
	) as T;
}

beforeAll(async () => {
	pipeline = await startPipelineStack();
	({ sandbox, stack, functionsUrl } = pipeline);
	teamA = await team('pipeline-a');
	({ twilioNumberId: twilioNumberA, metaNumberId: metaNumberA } = await connectDemoNumbers(teamA));
	const accountB = sandbox.addTwilioAccount({ friendlyName: 'Team B' });
	sandbox.upsertTwilioNumber({ accountSid: accountB.sid, phoneNumber: '+15550200001' });
	twilioB = { accountSid: accountB.sid, authToken: accountB.authToken };
	teamB = await team('pipeline-b');
	await connectTwilio(teamB, { accountSid: accountB.sid, authToken: accountB.authToken });
	twilioNumberB = await connectNumber(teamB, {
		provider: 'twilio',
		displayName: 'B store',
		address: 'whatsapp:+15550200001'
	});
}, 240_000);

afterAll(async () => {
	for (const channel of channels) await channel.unsubscribe();
	await pipeline?.close();
});

// ------------------------------------------------------------------ arranging, as users do

let teamA: Team;
let teamB: Team;
let twilioNumberA: string;
let metaNumberA: string;
let twilioNumberB: string;
let twilioB: { accountSid: string; authToken: string };

const team = (slug: string) => createTeam(stack, slug);

// ------------------------------------------------------------------ webhooks, signed independently

const twilioWebhookUrl = () => `${functionsUrl}/twilio-webhook`;

async function postTwilio(
	params: Record<string, string>,
	signature: string | null = twilioSignature(twilioDemo.authToken, twilioWebhookUrl(), params)
): Promise<Response> {
	return fetch(twilioWebhookUrl(), {
		method: 'POST',
		headers: {
			'Content-Type': 'application/x-www-form-urlencoded',
			...(signature === null ? {} : { 'X-Twilio-Signature': signature })
		},
		body: new URLSearchParams(params).toString()
	});
}

async function postMeta(
	payload: unknown,
	signature: string | null | ((raw: string) => string) = (raw) =>
		hubSignature(metaDemo.appSecret, raw)
): Promise<Response> {
	const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
	const header = typeof signature === 'function' ? signature(raw) : signature;
	return fetch(`${functionsUrl}/meta-webhook`, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/json',
			...(header === null ? {} : { 'X-Hub-Signature-256': header })
		},
		body: raw
	});
}

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
	const { rows } = await stack.db.query<{ n: number }>(
		`select count(*)::int as n from public.${table} where ${where}`,
		params
	);
	return rows[0].n;
}

async function messageByProviderId(id: string) {
	const { rows } = await stack.db.query<Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any -- raw rows
		'select * from public.messages where provider_message_id = $1',
		[id]
	);
	return rows[0];
}

/** A customer phone no other test uses, so each test has its own conversation. */
let phoneCount = 0;
function customerPhone(): string {
	phoneCount += 1;
	return `+5215500${String(phoneCount).padStart(5, '0')}`;
}

async function conversationOf(client: SupabaseClient, numberId: string, phone: string) {
	const { data: contact } = await client
		.from('contacts')
		.select('id')
		.eq('wa_id', phone.slice(1))
		.maybeSingle();
	if (!contact) return null;
	const { data } = await client
		.from('conversations')
		.select('*')
		.eq('number_id', numberId)
		.eq('contact_id', contact.id)
		.maybeSingle();
	return data;
}

/** A customer writes through the sandbox (a real signed webhook) and the conversation exists. */
async function customerWrites(
	provider: 'twilio' | 'meta',
	phone: string,
	text = 'Hello there'
): Promise<string> {
	const { delivery } = await sandbox.sendCustomerMessage({
		provider,
		to: provider === 'twilio' ? '+15550100001' : metaDemo.phoneNumberId,
		from: phone,
		profileName: 'Sandbox Ana',
		text
	});
	expect(delivery.responseStatus, delivery.responseBody).toBe(200);
	const conversation = await conversationOf(
		teamA.agent,
		provider === 'twilio' ? twilioNumberA : metaNumberA,
		phone
	);
	return conversation!.id;
}

// ------------------------------------------------------------------ tests

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
		const { data } = await teamA.admin.from('webhook_events').select('error').eq('raw_body', raw);
		expect(data).toEqual([{ error: 'The delivery body is not valid JSON.' }]);
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
			.select('provider, signature_valid, processed_at, error, raw_body')
			.eq('number_id', twilioNumberA)
			.order('received_at', { ascending: false })
			.limit(1);
		expect(events![0]).toMatchObject({
			provider: 'twilio',
			signature_valid: true,
			error: null,
			raw_body: new URLSearchParams(params).toString()
		});
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
