import { createHmac, randomBytes } from 'node:crypto';
import {
	DEMO_CREDENTIALS,
	sandboxFunctionSecrets,
	startSandbox,
	twilioSignature,
	type Sandbox
} from '../../sandbox/index.ts';
import { commitAs, createUser, joinTenant, rowsOf } from '../db/support.ts';
import { callFunction, signedIn } from './clients.ts';
import type { StackOptions } from '../../supabase/local/stack.ts';
import { startTestStack, type TestClient, type TestStack } from './stack.ts';

// What the pipeline suites arrange as people and providers do: a team that signs up and connects
// its numbers through the functions, and webhooks signed the way Twilio and Meta sign them.

/** A test stack whose functions talk to a provider sandbox, which delivers to those functions. */
export interface PipelineStack {
	sandbox: Sandbox;
	stack: TestStack;
	/** `<stack>/functions/v1`, where the sandbox delivers webhooks. */
	functionsUrl: string;
	close(): Promise<void>;
}

/** Starts a provider sandbox and a test stack wired to each other (statuses a few ms apart). */
export async function startPipelineStack(
	options: Pick<StackOptions, 'functionsDatabaseUrl'> = {}
): Promise<PipelineStack> {
	const sandbox = await startSandbox({ port: 0, settings: { statusDelayMs: 5 } });
	const stack = await startTestStack({
		...options,
		functionSecrets: {
			...sandboxFunctionSecrets(sandbox),
			PARLEY_ENCRYPTION_KEY: randomBytes(32).toString('base64')
		}
	});
	const functionsUrl = `${stack.url}/functions/v1`;
	sandbox.setWebhookBaseUrl(functionsUrl);
	return {
		sandbox,
		stack,
		functionsUrl,
		async close() {
			await stack.close();
			await sandbox.close();
		}
	};
}

/** The sandbox's demo Twilio account with its store number, and its demo Meta number, connected by the team's owner. */
export async function connectDemoNumbers(
	team: Team
): Promise<{ twilioNumberId: string; metaNumberId: string }> {
	const { twilio, meta } = DEMO_CREDENTIALS;
	await connectTwilio(team, twilio);
	const twilioNumberId = await connectNumber(team, {
		provider: 'twilio',
		displayName: 'Store',
		address: 'whatsapp:+15550100001'
	});
	const metaNumberId = await connectNumber(team, {
		provider: 'meta',
		displayName: 'Meta line',
		phoneNumberId: meta.phoneNumberId,
		businessAccountId: meta.wabaId,
		accessToken: meta.accessToken,
		appSecret: meta.appSecret
	});
	return { twilioNumberId, metaNumberId };
}

/** A tenant with an owner, an admin and an agent, each signed in. */
export interface Team {
	tenantId: string;
	owner: TestClient;
	admin: TestClient;
	agent: TestClient;
	ids: { owner: string; admin: string; agent: string };
}

let userCount = 0;

/** A workspace its owner creates, with an admin and an agent who join by invitation. */
export async function createTeam(stack: TestStack, slug: string): Promise<Team> {
	userCount += 1;
	const owner = await createUser(stack.db, `${slug}-owner-${userCount}@example.test`);
	const admin = await createUser(stack.db, `${slug}-admin-${userCount}@example.test`);
	const agent = await createUser(stack.db, `${slug}-agent-${userCount}@example.test`);
	const [tenant] = rowsOf(
		await commitAs<{ id: string }>(stack.db, owner, 'select * from public.create_tenant($1, $2)', [
			`Team ${slug}`,
			slug
		])
	);
	await joinTenant(stack.db, owner, tenant.id, admin, 'admin');
	await joinTenant(stack.db, owner, tenant.id, agent, 'agent');
	return {
		tenantId: tenant.id,
		owner: await signedIn(stack, owner),
		admin: await signedIn(stack, admin),
		agent: await signedIn(stack, agent),
		ids: { owner: owner.id!, admin: admin.id!, agent: agent.id! }
	};
}

/** Saves the team's Twilio credentials through the twilio-integration function. */
export async function connectTwilio(
	team: Team,
	credentials: { accountSid: string; authToken: string }
): Promise<void> {
	const answer = await callFunction(team.owner, `twilio-integration/${team.tenantId}`, 'POST', {
		accountSid: credentials.accountSid,
		authToken: credentials.authToken
	});
	if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
}

/** Connects a number through the whatsapp-numbers function and returns its id. */
export async function connectNumber(team: Team, body: Record<string, unknown>): Promise<string> {
	const answer = await callFunction(team.owner, `whatsapp-numbers/${team.tenantId}`, 'POST', body);
	if (answer.status !== 201) throw new Error(JSON.stringify(answer.body));
	return answer.body.number.id;
}

/** Meta's X-Hub-Signature-256 over the raw body. */
export function hubSignature(secret: string, raw: string): string {
	return 'sha256=' + createHmac('sha256', secret).update(raw, 'utf8').digest('hex');
}

/** Posts form parameters to twilio-webhook, signed with `authToken` (or with the given header). */
export function postTwilio(
	functionsUrl: string,
	params: Record<string, string>,
	signature: { authToken: string } | { header: string | null }
): Promise<Response> {
	const url = `${functionsUrl}/twilio-webhook`;
	const header =
		'authToken' in signature ? twilioSignature(signature.authToken, url, params) : signature.header;
	return fetch(url, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/x-www-form-urlencoded',
			...(header === null ? {} : { 'X-Twilio-Signature': header })
		},
		body: new URLSearchParams(params).toString()
	});
}

/** Posts a Meta delivery (an object, or raw text) to meta-webhook, signed with the app secret. */
export function postMeta(
	functionsUrl: string,
	payload: unknown,
	signature: { appSecret: string } | { header: string | null }
): Promise<Response> {
	const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
	const header =
		'appSecret' in signature ? hubSignature(signature.appSecret, raw) : signature.header;
	return fetch(`${functionsUrl}/meta-webhook`, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/json',
			...(header === null ? {} : { 'X-Hub-Signature-256': header })
		},
		body: raw
	});
}

/** A Meta delivery for one phone number id (of a business account) with these contacts, messages and statuses. */
export function metaDelivery(
	phoneNumberId: string,
	value: { contacts?: unknown[]; messages?: unknown[]; statuses?: unknown[] },
	businessAccountId = '102290129340398'
): Record<string, unknown> {
	return {
		object: 'whatsapp_business_account',
		entry: [
			{
				id: businessAccountId,
				changes: [
					{
						field: 'messages',
						value: {
							messaging_product: 'whatsapp',
							metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
							...value
						}
					}
				]
			}
		]
	};
}

/** A Meta inbound text message as Meta sends it. */
export function metaText(from: string, id: string, body: string): Record<string, unknown> {
	return { from, id, timestamp: '1732400000', type: 'text', text: { body } };
}
