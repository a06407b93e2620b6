import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { callFunction } from '../support/clients.ts';
import {
	connectDemoNumbers,
	connectNumber,
	connectTwilio,
	createTeam,
	startPipelineStack,
	type PipelineStack,
	metaDelivery,
	metaText,
	postMeta,
	postTwilio,
	type Team
} from '../support/webhooks.ts';

// Webhooks as an attacker, a retrying provider and a flaky network would send them: concurrent
// batches that name the same customers in opposite orders, NUL characters and lone surrogates,
// garbage ids, huge bodies, statuses signed by another tenant, and a database that refuses.

const twilioDemo = DEMO_CREDENTIALS.twilio;
const metaDemo = DEMO_CREDENTIALS.meta;
const metaB = { phoneNumberId: '106540352200002', appSecret: 'team-b-app-secret-00000000000000' };

let pipeline: PipelineStack;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
let teamA: Team;
let teamB: Team;
let twilioNumberA: string;
let metaNumberA: string;
let twilioB: { accountSid: string; authToken: string };

beforeAll(async () => {
	pipeline = await startPipelineStack();
	({ sandbox, stack, functionsUrl } = pipeline);
	teamA = await createTeam(stack, 'harden-a');
	({ twilioNumberId: twilioNumberA, metaNumberId: metaNumberA } = await connectDemoNumbers(teamA));

	teamB = await createTeam(stack, 'harden-b');
	const accountB = sandbox.addTwilioAccount({ friendlyName: 'Team B' });
	sandbox.upsertTwilioNumber({ accountSid: accountB.sid, phoneNumber: '+15550200001' });
	twilioB = { accountSid: accountB.sid, authToken: accountB.authToken };
	await connectTwilio(teamB, twilioB);
	await connectNumber(teamB, {
		provider: 'twilio',
		displayName: 'B store',
		address: 'whatsapp:+15550200001'
	});
	const metaNumberB = sandbox.upsertMetaNumber({
		phoneNumberId: metaB.phoneNumberId,
		displayPhoneNumber: '15550300001',
		appSecret: metaB.appSecret
	});
	await connectNumber(teamB, {
		provider: 'meta',
		displayName: 'B Meta line',
		phoneNumberId: metaNumberB.phoneNumberId,
		businessAccountId: metaNumberB.wabaId,
		accessToken: metaNumberB.accessToken,
		appSecret: metaB.appSecret
	});
}, 240_000);

afterAll(async () => {
	await pipeline?.close();
});

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
	const { rows } = await stack.db.query<{ n: number }>(
		`select count(*)::int as n from public.${table} where ${where}`,
		params
	);
	return rows[0].n;
}

async function bodiesOf(providerIds: string[]): Promise<Map<string, string | null>> {
	const { rows } = await stack.db.query<{ provider_message_id: string; body: string | null }>(
		'select provider_message_id, body from public.messages where provider_message_id = any($1)',
		[providerIds]
	);
	return new Map(rows.map((row) => [row.provider_message_id, row.body]));
}

const twilioInbound = (overrides: Record<string, string>): Record<string, string> => ({
	SmsMessageSid: overrides.MessageSid,
	NumMedia: '0',
	ProfileName: 'Ana',
	MessageType: 'text',
	WaId: '14155550123',
	SmsStatus: 'received',
	Body: 'Hello',
	To: 'whatsapp:+15550100001',
	AccountSid: twilioDemo.accountSid,
	From: 'whatsapp:+14155550123',
	ApiVersion: '2010-04-01',
	...overrides
});

/** An agent of team A replies in a conversation a customer opened; returns the provider's id. */
async function sentReplyId(): Promise<{ messageId: string; providerId: string }> {
	const { delivery } = await sandbox.sendCustomerMessage({
		provider: 'twilio',
		to: '+15550100001',
		from: '+5215577000001',
		profileName: 'Status customer',
		text: 'Is my order on its way?'
	});
	expect(delivery.responseStatus).toBe(200);
	const { rows } = await stack.db.query<{ id: string }>(
		`select c.id from public.conversations c join public.contacts k on k.id = c.contact_id
		 where c.number_id = $1 and k.wa_id = '5215577000001'`,
		[twilioNumberA]
	);
	const sent = await callFunction(teamA.agent, 'whatsapp-send', 'POST', {
		conversationId: rows[0].id,
		text: 'Yes, it left this morning.'
	});
	expect(sent.status).toBe(200);
	await sandbox.settled();
	return { messageId: sent.body.id, providerId: sent.body.provider_message_id };
}

describe('batches under concurrency', () => {
	it('concurrent Meta batches naming two customers in opposite orders store every good message once and keep every bad item with its reason', async () => {
		const x = '5215511000001';
		const y = '5215511000002';
		const deliveries = Array.from({ length: 30 }, (_, i) => {
			const fromX = metaText(x, `wamid.batch-${i}-x`, `X says ${i}`);
			const fromY = metaText(y, `wamid.batch-${i}-y`, `Y says ${i}`);
			const messages: unknown[] = i % 2 === 0 ? [fromX, fromY] : [fromY, fromX];
			if (i === 3) messages.push(metaText(x, 'wamid.batch-nul', 'before\u0000after'));
			if (i === 4) messages.push(metaText(y, 'wamid.batch-surrogate', 'lone \ud83d here'));
			if (i === 5) messages.push(metaText('0123456789', 'wamid.batch-zero', 'garbage sender'));
			if (i === 6) messages.push({ from: x, type: 'text', text: { body: 'no id' } });
			return metaDelivery(metaDemo.phoneNumberId, {
				contacts: [
					{ profile: { name: 'Xavier\u0000' }, wa_id: x },
					{ profile: { name: 'Yara' }, wa_id: y }
				],
				messages,
				statuses: i === 7 ? [{ id: 'wamid.unknown-status', timestamp: '1732400000' }] : []
			});
		});
		const answers = await Promise.all(
			deliveries.map((delivery) =>
				postMeta(functionsUrl, delivery, { appSecret: metaDemo.appSecret })
			)
		);
		expect(answers.map((answer) => answer.status)).toEqual(deliveries.map(() => 200));

		const good = Array.from({ length: 30 }, (_, i) => [
			`wamid.batch-${i}-x`,
			`wamid.batch-${i}-y`
		]).flat();
		const stored = await bodiesOf([...good, 'wamid.batch-nul', 'wamid.batch-surrogate']);
		expect([...stored.keys()].sort()).toEqual(
			[...good, 'wamid.batch-nul', 'wamid.batch-surrogate'].sort()
		);
		expect(
			await count('messages', "provider_message_id like 'wamid.batch-%' and tenant_id = $1", [
				teamA.tenantId
			])
		).toBe(62);
		expect(stored.get('wamid.batch-nul')).toBe('before\uFFFDafter');
		expect(stored.get('wamid.batch-surrogate')).toBe('lone \uFFFD here');
		expect(await count('webhook_events', 'number_id = $1', [metaNumberA])).toBeGreaterThanOrEqual(
			30
		);

		// What could not be stored is kept with its reason, for owners and admins only.
		const { data: failures } = await teamA.admin
			.from('webhook_item_failures')
			.select('kind, provider_message_id, reason')
			.eq('number_id', metaNumberA)
			.order('provider_message_id');
		expect(failures).toEqual([
			{
				kind: 'message',
				provider_message_id: 'wamid.batch-zero',
				reason: expect.stringContaining('from: must be a WhatsApp id')
			},
			{
				kind: 'status',
				provider_message_id: 'wamid.unknown-status',
				reason: expect.stringContaining('status')
			},
			{
				kind: 'message',
				provider_message_id: null,
				reason: expect.stringContaining('id')
			}
		]);
		const { data: agentSees } = await teamA.agent.from('webhook_item_failures').select('id');
		expect(agentSees).toEqual([]);
		const { data: otherTenantSees } = await teamB.owner.from('webhook_item_failures').select('id');
		expect(otherTenantSees).toEqual([]);
	});

	it('concurrent Twilio deliveries with NUL characters and a garbage sender answer 200, store the readable ones cleaned and keep the rest', async () => {
		const deliveries = [
			twilioInbound({ MessageSid: 'SMnul00000000000000000000000000001', Body: 'a\u0000b' }),
			twilioInbound({
				MessageSid: 'SMnul00000000000000000000000000002',
				ProfileName: 'Ana\u0000Maria',
				From: 'whatsapp:+14155550124',
				WaId: '14155550124'
			}),
			twilioInbound({
				MessageSid: 'SMgarbage000000000000000000000003',
				From: 'whatsapp:not-a-number',
				WaId: 'abc'
			}),
			// A WaId Twilio garbled, with the sender's number still in From: kept as that number.
			twilioInbound({
				MessageSid: 'SMgarbledwaid0000000000000000004',
				From: 'whatsapp:+14155550125',
				WaId: 'garbled'
			})
		];
		const answers = await Promise.all(
			deliveries.map((params) => postTwilio(functionsUrl, params, twilioDemo))
		);
		expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
		const stored = await bodiesOf(deliveries.map((params) => params.MessageSid));
		expect(stored.get('SMnul00000000000000000000000000001')).toBe('a\uFFFDb');
		expect(stored.has('SMnul00000000000000000000000000002')).toBe(true);
		expect(stored.has('SMgarbledwaid0000000000000000004')).toBe(true);
		expect(stored.has('SMgarbage000000000000000000000003')).toBe(false);
		const { rows: names } = await stack.db.query<{ profile_name: string }>(
			"select profile_name from public.contacts where wa_id = '14155550124'"
		);
		expect(names).toEqual([{ profile_name: 'Ana\uFFFDMaria' }]);
		const { data: failures } = await teamA.owner
			.from('webhook_item_failures')
			.select('provider_message_id, reason')
			.eq('number_id', twilioNumberA);
		expect(failures).toEqual([
			{
				provider_message_id: 'SMgarbage000000000000000000000003',
				reason: expect.stringContaining('"whatsapp:not-a-number"')
			}
		]);
	});

	it('a delivery posted ten times at once is stored once', async () => {
		const params = twilioInbound({ MessageSid: 'SMretried00000000000000000000005' });
		const answers = await Promise.all(
			Array.from({ length: 10 }, () => postTwilio(functionsUrl, params, twilioDemo))
		);
		expect(answers.every((answer) => answer.status === 200)).toBe(true);
		expect(await count('messages', 'provider_message_id = $1', [params.MessageSid])).toBe(1);
	});
});

describe('statuses stay with their number', () => {
	it("another tenant's signed status callbacks never touch this tenant's message", async () => {
		const { messageId, providerId } = await sentReplyId();
		const before = await stack.db.query(
			'select status, error_message from public.messages where id = $1',
			[messageId]
		);

		const forgedTwilio = {
			MessageSid: providerId,
			MessageStatus: 'failed',
			ErrorCode: '30008',
			AccountSid: twilioB.accountSid,
			From: 'whatsapp:+15550200001',
			To: 'whatsapp:+5215577000001',
			ChannelPrefix: 'whatsapp'
		};
		expect((await postTwilio(functionsUrl, forgedTwilio, twilioB)).status).toBe(200);
		const forgedMeta = metaDelivery(metaB.phoneNumberId, {
			statuses: [
				{
					id: providerId,
					status: 'failed',
					timestamp: '1732400000',
					recipient_id: '5215577000001',
					errors: [{ code: 131026, title: 'Call +1 555 to unlock your account' }]
				}
			]
		});
		expect((await postMeta(functionsUrl, forgedMeta, { appSecret: metaB.appSecret })).status).toBe(
			200
		);
		const after = await stack.db.query(
			'select status, error_message from public.messages where id = $1',
			[messageId]
		);
		expect(after.rows).toEqual(before.rows);
		expect(after.rows[0]).not.toMatchObject({ status: 'failed' });
	});

	it("a status parked under another tenant's number is not applied when this tenant's send is recorded", async () => {
		const { rows: numbers } = await stack.db.query<{ id: string }>(
			'select id from public.whatsapp_numbers where tenant_id = $1 and provider = $2',
			[teamB.tenantId, 'twilio']
		);
		await stack.db.query(
			`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'forged', '[]',
			   jsonb_build_array(jsonb_build_object('provider_message_id', 'SMparked000000000000000000000006',
			     'status', 'failed', 'error_message', 'Your account is locked: call us')))`,
			[numbers[0].id]
		);
		// A reply of team A's that is still waiting for the provider's answer.
		const { rows: queued } = await stack.db.query<{ id: string }>(
			`insert into public.messages (tenant_id, conversation_id, direction, sender, type, body, provider, status, queued_at)
			 select c.tenant_id, c.id, 'outbound', 'agent', 'text', 'On its way', 'twilio', 'queued', now()
			 from public.conversations c where c.number_id = $1 limit 1
			 returning id`,
			[twilioNumberA]
		);
		const { rows } = await stack.db.query<{ status: string; error_message: string | null }>(
			`select status, error_message from public.record_message_sent($1, 'SMparked000000000000000000000006', 'queued')`,
			[queued[0].id]
		);
		expect(rows).toEqual([{ status: 'queued', error_message: null }]);
	});
});

describe('what Parley tells strangers', () => {
	it('a delivery larger than the provider ever sends is refused unread with 413, keeping nothing', async () => {
		const before = await count('webhook_events');
		const huge = twilioInbound({
			MessageSid: 'SMhuge000000000000000000000000007',
			Body: 'x'.repeat(200 * 1024)
		});
		const twilioAnswer = await postTwilio(functionsUrl, huge, twilioDemo);
		expect(twilioAnswer.status).toBe(413);
		expect((await twilioAnswer.json()).code).toBe('body_too_large');
		const metaAnswer = await postMeta(
			functionsUrl,
			metaDelivery(metaDemo.phoneNumberId, {
				messages: [metaText('5215511000009', 'wamid.huge', 'y'.repeat(4 * 1024 * 1024))]
			}),
			{ appSecret: metaDemo.appSecret }
		);
		expect(metaAnswer.status).toBe(413);
		expect(await count('webhook_events')).toBe(before);
	});

	it('an unknown number and a wrong signature get the same answer, so nobody can probe which numbers use Parley', async () => {
		const unknownTwilio = await postTwilio(
			functionsUrl,
			twilioInbound({
				MessageSid: 'SMprobe0000000000000000000000008',
				To: 'whatsapp:+15559999999'
			}),
			twilioDemo
		);
		const wrongTwilio = await postTwilio(
			functionsUrl,
			twilioInbound({ MessageSid: 'SMprobe0000000000000000000000008' }),
			{ authToken: 'f'.repeat(32) }
		);
		expect([unknownTwilio.status, await unknownTwilio.json()]).toEqual([
			wrongTwilio.status,
			await wrongTwilio.json()
		]);
		expect(wrongTwilio.status).toBe(403);

		const probe = (phoneNumberId: string, businessAccountId?: string) =>
			metaDelivery(
				phoneNumberId,
				{ messages: [metaText('5215511000010', 'wamid.probe', 'hi')] },
				businessAccountId
			);
		const unknownMeta = await postMeta(functionsUrl, probe('999999999999', '999999999999999'), {
			appSecret: metaDemo.appSecret
		});
		const wrongMeta = await postMeta(functionsUrl, probe(metaDemo.phoneNumberId), {
			appSecret: 'another-app-secret'
		});
		expect([unknownMeta.status, await unknownMeta.json()]).toEqual([
			wrongMeta.status,
			await wrongMeta.json()
		]);
		expect(wrongMeta.status).toBe(403);
	});
});

describe('what else Meta sends to the callback', () => {
	/** A delivery of one change with another `field` than messages, for the demo business account. */
	const change = (field: string, value: Record<string, unknown>) => ({
		object: 'whatsapp_business_account',
		entry: [{ id: metaDemo.wabaId, changes: [{ field, value }] }]
	});
	const post = (payload: unknown) =>
		postMeta(functionsUrl, payload, { appSecret: metaDemo.appSecret });

	it('a message sent from the WhatsApp Business app (an echo) shows in the thread as outbound, once', async () => {
		const echo = change('smb_message_echoes', {
			messaging_product: 'whatsapp',
			metadata: { display_phone_number: '15550001111', phone_number_id: metaDemo.phoneNumberId },
			message_echoes: [
				{
					from: '15550001111',
					to: '5215511000020',
					id: 'wamid.echo-1',
					timestamp: '1732400000',
					type: 'text',
					text: { body: 'Sent from the phone app' }
				}
			]
		});
		expect((await post(echo)).status).toBe(200);
		expect((await post(echo)).status).toBe(200);
		const { rows } = await stack.db.query(
			`select m.direction, m.sender, m.status, m.body, m.content ->> 'echo' as echo, c.unread_count
			 from public.messages m join public.conversations c on c.id = m.conversation_id
			 where m.provider_message_id = 'wamid.echo-1'`
		);
		expect(rows).toEqual([
			{
				direction: 'outbound',
				sender: 'agent',
				status: 'sent',
				body: 'Sent from the phone app',
				echo: 'true',
				unread_count: 0
			}
		]);
	});

	it("a template's status update reaches the number's saved template", async () => {
		await stack.db.query(
			`insert into public.whatsapp_templates (tenant_id, number_id, provider, provider_template_id, name, language, status, body)
			 values ($1, $2, 'meta', '594425479261596', 'order_update', 'en_US', 'approved', 'Your order {{1}} is on its way')`,
			[teamA.tenantId, metaNumberA]
		);
		const update = change('message_template_status_update', {
			event: 'REJECTED',
			message_template_id: 594425479261596,
			message_template_name: 'order_update',
			message_template_language: 'en_US',
			reason: 'INCORRECT_CATEGORY'
		});
		expect((await post(update)).status).toBe(200);
		const { data } = await teamA.agent
			.from('whatsapp_templates')
			.select('status, rejection_reason')
			.eq('number_id', metaNumberA)
			.eq('name', 'order_update');
		expect(data).toEqual([{ status: 'rejected', rejection_reason: 'INCORRECT_CATEGORY' }]);
	});

	it("a quality update shows on the number's card in words", async () => {
		const update = change('phone_number_quality_update', {
			display_phone_number: '15550001111',
			event: 'FLAGGED',
			current_limit: 'TIER_1K'
		});
		expect((await post(update)).status).toBe(200);
		const { data } = await teamA.agent
			.from('whatsapp_numbers')
			.select('provider_notice')
			.eq('id', metaNumberA)
			.single();
		expect(data!.provider_notice).toBe(
			'Meta flagged this number for low quality; its messaging limit may be lowered. Messaging limit: 1,000 customers a day.'
		);
	});

	it('a delivery for a phone number of the same account that Parley does not have is acknowledged and kept nowhere', async () => {
		const before = await count('webhook_events');
		const other = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: metaDemo.wabaId,
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: {
									display_phone_number: '15550009999',
									phone_number_id: '106540352299999'
								},
								messages: [metaText('5215511000021', 'wamid.other-number', 'Not for Parley')]
							}
						}
					]
				}
			]
		};
		expect((await post(other)).status).toBe(200);
		expect(await count('webhook_events')).toBe(before);
		expect(await count('messages', "provider_message_id = 'wamid.other-number'")).toBe(0);
	});
});

describe('a database that refuses', () => {
	it('a delivery that cannot be stored is kept raw with the reason, answered 5xx, and stored when delivered again', async () => {
		const params = twilioInbound({
			MessageSid: 'SMrefused00000000000000000000009',
			From: 'whatsapp:+14155550555',
			WaId: '14155550555'
		});
		const grant =
			'execute on function public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, jsonb, text, jsonb, jsonb)';
		await stack.db.query(`revoke ${grant} from service_role`);
		try {
			const refused = await postTwilio(functionsUrl, params, twilioDemo);
			expect(refused.status).toBe(500);
			expect(await refused.json()).toEqual({
				code: 'ingest_failed',
				message:
					'Parley could not store this delivery and kept it to be looked at; deliver it again.'
			});
		} finally {
			await stack.db.query(`grant ${grant} to service_role`);
		}
		const { data: kept } = await teamA.admin
			.from('webhook_events')
			.select('error, processed_at')
			.like('raw_body', '%SMrefused00000000000000000000009%');
		expect(kept).toEqual([
			{ error: expect.stringContaining('database error 42501'), processed_at: null }
		]);
		expect(await count('messages', 'provider_message_id = $1', [params.MessageSid])).toBe(0);

		expect((await postTwilio(functionsUrl, params, twilioDemo)).status).toBe(200);
		expect(await count('messages', 'provider_message_id = $1', [params.MessageSid])).toBe(1);
	});
});
