/**
 * The numbers suites' shared world: the local stack with the provider sandbox and an encryption key,
 * workspaces with an owner, an admin and an agent, and a `call` that proves no answer carries a secret.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import {
	DEMO_CREDENTIALS,
	sandboxFunctionSecrets,
	startSandbox,
	type Sandbox
} from '../../sandbox/index.ts';
import { startTestStack, type TestClient, type TestStack } from '../support/stack.ts';
import { callFunction, signedIn } from '../support/clients.ts';
import { commitAs, createUser, rowsOf, type Actor, joinTenant } from '../db/support.ts';

export const twilioDemo = DEMO_CREDENTIALS.twilio;
export const metaDemo = DEMO_CREDENTIALS.meta;
/** Secrets a function must never put in an answer. */
export const secretsNeverSent = [
	twilioDemo.authToken,
	metaDemo.accessToken,
	metaDemo.appSecret,
	'wrong-token-000000000000000000'
];

export const notOwnedMessage = (address: string, accountSid: string) =>
	`${address} is not a WhatsApp sender or phone number of the Twilio account ${accountSid}. Add it to that account in Twilio first, or connect the Twilio account that owns it under Integrations.`;

/** The body that connects the sandbox's demo Meta number, with any field changed. */
export const metaBody = (overrides: Record<string, unknown> = {}) => ({
	provider: 'meta',
	displayName: 'Meta line',
	phoneNumberId: metaDemo.phoneNumberId,
	businessAccountId: metaDemo.wabaId,
	accessToken: metaDemo.accessToken,
	appSecret: metaDemo.appSecret,
	...overrides
});

/** A workspace of the numbers suites: its tenant and a signed-in client per role. */
export interface Team {
	tenantId: string;
	owner: TestClient;
	admin: TestClient;
	agent: TestClient;
}

/** Registers the suite's hooks (sandbox and stack before all, closing after all) and its helpers. */
export function useNumbersStack() {
	const encryptionKey = randomBytes(32).toString('base64');
	let startedSandbox: Sandbox | undefined;
	let startedStack: TestStack | undefined;
	let userCount = 0;
	let ownNumberCount = 0;
	/** Every body a function answered in this file, to prove no secret ever left. */
	const answered: string[] = [];

	const fixture = {
		encryptionKey,
		answered,
		get sandbox(): Sandbox {
			if (!startedSandbox) throw new Error('the sandbox is used before its beforeAll started it');
			return startedSandbox;
		},
		get stack(): TestStack {
			if (!startedStack) throw new Error('the stack is used before its beforeAll started it');
			return startedStack;
		},
		call,
		team,
		connectTwilio,
		ownPhone,
		ownTwilioAccount,
		whatsappAgent
	};

	beforeAll(async () => {
		startedSandbox = await startSandbox({ port: 0 });
		startedStack = await startTestStack({
			functionSecrets: {
				...sandboxFunctionSecrets(startedSandbox),
				PARLEY_ENCRYPTION_KEY: encryptionKey
			}
		});
		startedSandbox.setWebhookBaseUrl(`${startedStack.url}/functions/v1`);
	}, 180_000);
	afterAll(async () => {
		await startedStack?.close();
		// The outage test may have closed it already.
		await startedSandbox?.close().catch(() => undefined);
	});

	/** Calls a function (GET unless told), checks its answer holds no secret and records it. */
	async function call(...args: Parameters<typeof callFunction>) {
		const [client, path, method = 'GET', body] = args;
		const answer = await callFunction(client, path, method, body);
		const text = JSON.stringify(answer.body);
		for (const secret of secretsNeverSent) expect(text).not.toContain(secret);
		answered.push(text);
		return answer;
	}

	const join = (owner: Actor, tenantId: string, user: Actor, role: string) =>
		joinTenant(fixture.stack.db, owner, tenantId, user, role);

	/** A workspace with an owner, an admin and an agent, each with a signed-in client. */
	async function team(slug: string): Promise<Team> {
		const { stack } = fixture;
		userCount += 1;
		const owner = await createUser(stack.db, `owner-${userCount}@example.test`);
		const admin = await createUser(stack.db, `admin-${userCount}@example.test`);
		const agent = await createUser(stack.db, `agent-${userCount}@example.test`);
		const [tenant] = rowsOf(
			await commitAs<{ id: string }>(
				stack.db,
				owner,
				'select * from public.create_tenant($1, $2)',
				[`Team ${slug}`, slug]
			)
		);
		await join(owner, tenant.id, admin, 'admin');
		await join(owner, tenant.id, agent, 'agent');
		return {
			tenantId: tenant.id,
			owner: await signedIn(stack, owner),
			admin: await signedIn(stack, admin),
			agent: await signedIn(stack, agent)
		};
	}

	async function connectTwilio(t: Team) {
		return call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: twilioDemo.accountSid,
			authToken: twilioDemo.authToken
		});
	}

	/** A new phone number for this file's own Twilio accounts. */
	function ownPhone(): string {
		return `+1555040${String(++ownNumberCount).padStart(4, '0')}`;
	}

	/**
	 * A Twilio account of the workspace's own in the sandbox, holding these numbers (WhatsApp senders
	 * unless told otherwise), connected as the workspace's Twilio integration.
	 */
	async function ownTwilioAccount(
		t: Team,
		numbers: { phoneNumber: string; whatsapp?: boolean }[] = []
	): Promise<{ sid: string; authToken: string }> {
		const { sandbox } = fixture;
		const account = sandbox.addTwilioAccount({ friendlyName: `Account of ${t.tenantId}` });
		for (const number of numbers)
			sandbox.upsertTwilioNumber({ accountSid: account.sid, ...number });
		const connected = await call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: account.sid,
			authToken: account.authToken
		});
		expect(connected.status).toBe(200);
		return { sid: account.sid, authToken: account.authToken };
	}

	async function whatsappAgent(t: Team, name = 'Sofia'): Promise<string> {
		const { data, error } = await t.admin
			.from('ai_agents')
			.insert({
				tenant_id: t.tenantId,
				name,
				instructions: 'Answer kindly.',
				whatsapp_enabled: true
			})
			.select('id')
			.single();
		if (error) throw error;
		return data.id;
	}

	return fixture;
}
