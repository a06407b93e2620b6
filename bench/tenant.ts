/**
 * A tenant ready for webhook load: an owner who connected the sandbox's demo Twilio account, a
 * Twilio number and a Meta number, and agents who are real members (for realtime subscribers).
 * Also the pre-signed webhook pools the load generators cycle through.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createClient } from '@supabase/supabase-js';
import bcrypt from 'bcryptjs';
import { DEMO_CREDENTIALS, metaSignature, twilioSignature } from '../sandbox/index.ts';
import { signJwt } from '../supabase/local/jwt.ts';
import type { Stack } from '../supabase/local/stack.ts';

export const TWILIO_ADDRESS = 'whatsapp:+15550100001';

export interface BenchTenant {
	tenantId: string;
	ownerId: string;
	agentIds: string[];
	/** Access tokens of the agents, as Auth would issue them. */
	agentTokens: string[];
}

/** One HTTP request of a load pool; `sid` is the provider message id it carries. */
export interface SignedRequest {
	path: string;
	headers: Record<string, string>;
	body: string;
	sid: string;
}

/** Creates the tenant through the same functions the app's settings pages call. */
export async function prepareBenchTenant(
	stack: Pick<Stack, 'db' | 'url' | 'anonKey'>,
	agents: number
): Promise<BenchTenant> {
	const slug = `bench-${randomUUID().slice(0, 8)}`;
	const { rows: users } = await stack.db.query<{ id: string; email: string }>(
		`insert into auth.users (email, encrypted_password, email_confirmed_at, raw_app_meta_data)
		 select $1 || '-' || i || '@example.test', $3,
		        now(), '{"provider":"email","providers":["email"]}'
		 from generate_series(0, $2::int) i order by i returning id, email`,
		[slug, agents, bcrypt.hashSync('secret-password', 4)]
	);
	const [owner, ...agentUsers] = users;
	const tenantId = await stack.db.transaction(async (tx) => {
		await tx.query(
			`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
			[JSON.stringify({ sub: owner.id, role: 'authenticated', aud: 'authenticated' })]
		);
		const { rows } = await tx.query<{ id: string }>('select id from public.create_tenant($1, $2)', [
			'Bench',
			slug
		]);
		return rows[0].id;
	});
	if (agentUsers.length)
		await stack.db.query(
			`insert into public.memberships (tenant_id, user_id, role)
			 select $1, unnest($2::uuid[]), 'agent'`,
			[tenantId, agentUsers.map((user) => user.id)]
		);

	const client = createClient(stack.url, stack.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	});
	const { error } = await client.auth.signInWithPassword({
		email: owner.email,
		password: 'secret-password'
	});
	if (error) throw error;
	const invoke = async (path: string, body: Record<string, unknown>) => {
		const answer = await client.functions.invoke(path, { method: 'POST', body });
		if (answer.error) {
			const context = (answer.error as { context?: Response }).context;
			throw new Error(`Setting up the bench tenant failed at ${path}: ${await context?.text()}`);
		}
	};
	const twilio = DEMO_CREDENTIALS.twilio;
	const meta = DEMO_CREDENTIALS.meta;
	await invoke(`twilio-integration/${tenantId}`, {
		accountSid: twilio.accountSid,
		authToken: twilio.authToken
	});
	await invoke(`whatsapp-numbers/${tenantId}`, {
		provider: 'twilio',
		displayName: 'Bench Twilio',
		address: TWILIO_ADDRESS
	});
	await invoke(`whatsapp-numbers/${tenantId}`, {
		provider: 'meta',
		displayName: 'Bench Meta',
		phoneNumberId: meta.phoneNumberId,
		businessAccountId: meta.wabaId,
		accessToken: meta.accessToken,
		appSecret: meta.appSecret
	});
	await client.auth.signOut();

	const now = Math.floor(Date.now() / 1000);
	const agentTokens = await Promise.all(
		agentUsers.map((user) =>
			signJwt({
				sub: user.id,
				email: user.email,
				role: 'authenticated',
				aud: 'authenticated',
				exp: now + 3600,
				session_id: randomUUID()
			})
		)
	);
	return { tenantId, ownerId: owner.id, agentIds: agentUsers.map((user) => user.id), agentTokens };
}

/** The customer number of the i-th request: a few hundred customers, so conversations repeat. */
function customer(i: number, customers: number, firstCustomer = 0): string {
	return String(14155500000 + firstCustomer + (i % customers));
}

/**
 * Signed Twilio inbound messages, each with its own MessageSid and signature (Twilio signs the URL
 * and every parameter, so bodies cannot be varied after signing).
 */
export function signedTwilioRequests(
	functionsUrl: string,
	count: number,
	tag: string,
	customers = 200,
	/** Customers are numbered from this one: a range no other step used writes new conversations. */
	firstCustomer = 0
): SignedRequest[] {
	const url = `${functionsUrl}/twilio-webhook`;
	const twilio = DEMO_CREDENTIALS.twilio;
	return Array.from({ length: count }, (_, i) => {
		const sid = `SM${tag}${String(i).padStart(32 - tag.length, '0')}`;
		const waId = customer(i, customers, firstCustomer);
		const params = {
			SmsMessageSid: sid,
			NumMedia: '0',
			ProfileName: `Customer ${waId}`,
			MessageType: 'text',
			SmsSid: sid,
			WaId: waId,
			SmsStatus: 'received',
			Body: `bench ${sid}`,
			To: TWILIO_ADDRESS,
			NumSegments: '1',
			MessageSid: sid,
			AccountSid: twilio.accountSid,
			From: `whatsapp:+${waId}`,
			ApiVersion: '2010-04-01'
		};
		return {
			path: new URL(url).pathname,
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				'x-twilio-signature': twilioSignature(twilio.authToken, url, params)
			},
			body: new URLSearchParams(params).toString(),
			sid
		};
	});
}

/** Signed Meta (Cloud API) inbound messages, each with its own wamid and X-Hub-Signature-256. */
export function signedMetaRequests(
	functionsUrl: string,
	count: number,
	tag: string,
	customers = 200
): SignedRequest[] {
	const meta = DEMO_CREDENTIALS.meta;
	const path = new URL(`${functionsUrl}/meta-webhook`).pathname;
	return Array.from({ length: count }, (_, i) => {
		const sid = `wamid.${tag}${i}`;
		const waId = customer(i, customers);
		const body = JSON.stringify({
			object: 'whatsapp_business_account',
			entry: [
				{
					id: meta.wabaId,
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: {
									display_phone_number: '15550001111',
									phone_number_id: meta.phoneNumberId
								},
								contacts: [{ profile: { name: `Customer ${waId}` }, wa_id: waId }],
								messages: [
									{
										from: waId,
										id: sid,
										timestamp: String(Math.floor(Date.now() / 1000)),
										type: 'text',
										text: { body: `bench ${sid}` }
									}
								]
							}
						}
					]
				}
			]
		});
		return {
			path,
			headers: {
				'content-type': 'application/json',
				'x-hub-signature-256': metaSignature(meta.appSecret, body)
			},
			body,
			sid
		};
	});
}
