/**
 * The pipeline suites' shared world: the local stack with real Deno and the provider sandbox, team A
 * with the demo Twilio and Meta numbers, team B with a Twilio account of its own, and helpers that
 * post webhooks signed as Twilio and Meta sign them and read back what was stored.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { DEMO_CREDENTIALS, twilioSignature, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import {
	connectDemoNumbers,
	connectNumber,
	connectTwilio,
	createTeam,
	hubSignature,
	postMeta as postToMetaWebhook,
	postTwilio as postToTwilioWebhook,
	startPipelineStack,
	type PipelineStack,
	type Team
} from '../support/webhooks.ts';

export const twilioDemo = DEMO_CREDENTIALS.twilio;
export const metaDemo = DEMO_CREDENTIALS.meta;

/** A provider payload from `tests/fixtures/providers`. */
export function fixture<T = Record<string, string>>(path: string): T {
	return JSON.parse(
		readFileSync(resolve(import.meta.dirname, '../fixtures/providers', path), 'utf8')
	) as T;
}

/** What the suite's beforeAll arranged, as users do. */
export interface PipelineWorld {
	sandbox: Sandbox;
	stack: TestStack;
	functionsUrl: string;
	teamA: Team;
	teamB: Team;
	twilioNumberA: string;
	metaNumberA: string;
	twilioNumberB: string;
	twilioB: { accountSid: string; authToken: string };
}

/** Registers the suite's hooks (the stack and both teams before all, closing after all) and its helpers. */
export function usePipelineStack() {
	let pipeline: PipelineStack | undefined;
	let arranged: PipelineWorld | undefined;
	/** Channels a test subscribed; they are unsubscribed after all. */
	const channels: RealtimeChannel[] = [];
	const world = (): PipelineWorld => {
		if (!arranged) throw new Error('the pipeline stack is used before its beforeAll started it');
		return arranged;
	};

	const team = (slug: string) => createTeam(world().stack, slug);

	beforeAll(async () => {
		pipeline = await startPipelineStack();
		const { sandbox, stack, functionsUrl } = pipeline;
		const teamA = await createTeam(stack, 'pipeline-a');
		const { twilioNumberId: twilioNumberA, metaNumberId: metaNumberA } =
			await connectDemoNumbers(teamA);
		const accountB = sandbox.addTwilioAccount({ friendlyName: 'Team B' });
		sandbox.upsertTwilioNumber({ accountSid: accountB.sid, phoneNumber: '+15550200001' });
		const twilioB = { accountSid: accountB.sid, authToken: accountB.authToken };
		const teamB = await createTeam(stack, 'pipeline-b');
		await connectTwilio(teamB, { accountSid: accountB.sid, authToken: accountB.authToken });
		const twilioNumberB = await connectNumber(teamB, {
			provider: 'twilio',
			displayName: 'B store',
			address: 'whatsapp:+15550200001'
		});
		arranged = {
			sandbox,
			stack,
			functionsUrl,
			teamA,
			teamB,
			twilioNumberA,
			metaNumberA,
			twilioNumberB,
			twilioB
		};
	}, 240_000);

	afterAll(async () => {
		for (const channel of channels) await channel.unsubscribe();
		await pipeline?.close();
	});

	// ---------------------------------------------------------------- webhooks, signed independently

	const twilioWebhookUrl = () => `${world().functionsUrl}/twilio-webhook`;

	/** Posts to twilio-webhook, signed with the demo account's token unless another header is given. */
	function postTwilio(
		params: Record<string, string>,
		signature: string | null = twilioSignature(twilioDemo.authToken, twilioWebhookUrl(), params)
	): Promise<Response> {
		return postToTwilioWebhook(world().functionsUrl, params, { header: signature });
	}

	/** Posts to meta-webhook, signed with the demo app secret unless another header (or signer) is given. */
	function postMeta(
		payload: unknown,
		signature: string | null | ((raw: string) => string) = (raw) =>
			hubSignature(metaDemo.appSecret, raw)
	): Promise<Response> {
		const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
		const header = typeof signature === 'function' ? signature(raw) : signature;
		return postToMetaWebhook(world().functionsUrl, raw, { header });
	}

	// ---------------------------------------------------------------- reading back what was stored

	async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
		const { rows } = await world().stack.db.query<{ n: number }>(
			`select count(*)::int as n from public.${table} where ${where}`,
			params
		);
		return rows[0].n;
	}

	async function messageByProviderId(id: string) {
		const { rows } = await world().stack.db.query<Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any -- raw rows
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
		const { sandbox, teamA, twilioNumberA, metaNumberA } = world();
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

	return {
		get world(): PipelineWorld {
			return world();
		},
		channels,
		team,
		twilioWebhookUrl,
		postTwilio,
		postMeta,
		count,
		messageByProviderId,
		customerPhone,
		conversationOf,
		customerWrites
	};
}
