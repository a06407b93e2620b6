import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.ts';
import { decryptSecret, importEncryptionKey } from '../../supabase/functions/_shared/crypto.ts';
import type { TestStack } from '../support/stack.ts';
import {
	metaBody,
	metaDemo,
	secretsNeverSent,
	twilioDemo,
	useNumbersStack
} from './numbers-support.ts';

// The whatsapp-numbers Edge Function for Meta numbers and for managing any number, against the
// provider sandbox, called through supabase-js as each role; how secrets are kept; provider outages.

const numbers = useNumbersStack();
const { encryptionKey, answered, call, team, connectTwilio, whatsappAgent } = numbers;
let sandbox: Sandbox;
let stack: TestStack;
beforeAll(() => {
	({ sandbox, stack } = numbers);
});

describe('whatsapp-numbers: Meta', () => {
	it('connects with good credentials checked on the Graph API, and exposes the webhook URL and verify token', async () => {
		const t = await team('meta-good');
		sandbox.clearRequests();
		const { status, body } = await call(
			t.owner,
			`whatsapp-numbers/${t.tenantId}`,
			'POST',
			metaBody()
		);
		expect(status).toBe(201);
		expect(body.number).toMatchObject({
			provider: 'meta',
			displayName: 'Meta line',
			address: `whatsapp:+${metaDemo.displayPhoneNumber}`,
			phoneNumberId: metaDemo.phoneNumberId,
			businessAccountId: metaDemo.wabaId,
			active: false,
			credentials: {
				accessToken: `••••${metaDemo.accessToken.slice(-4)}`,
				appSecret: `••••${metaDemo.appSecret.slice(-4)}`
			},
			webhook: { callbackUrl: `${stack.url}/functions/v1/meta-webhook` }
		});
		expect(body.number.webhook.verifyToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
		const graph = sandbox.requests({ provider: 'meta' });
		expect(graph.map((r) => `${r.method} ${r.path}`)).toEqual([
			`GET /v26.0/${metaDemo.phoneNumberId}`,
			`GET /v26.0/${metaDemo.wabaId}/phone_numbers`,
			// The demo app is already subscribed to the demo business account: checked, not changed.
			`GET /v26.0/${metaDemo.wabaId}/subscribed_apps`,
			`GET /v26.0/app`
		]);
		expect(graph[0].headers.authorization).toBe(`Bearer ${metaDemo.accessToken}`);

		const listed = await call(t.admin, `whatsapp-numbers/${t.tenantId}`);
		expect(listed.body.numbers).toEqual([body.number]);
		await call(t.owner, `whatsapp-numbers/${t.tenantId}/${body.number.id}`, 'DELETE');
	});

	it('a bad access token is refused with the 190 sentence and nothing is saved', async () => {
		const t = await team('meta-bad');
		const { status, body } = await call(
			t.owner,
			`whatsapp-numbers/${t.tenantId}`,
			'POST',
			metaBody({ accessToken: 'wrong-token-000000000000000000' })
		);
		expect(status).toBe(400);
		expect(body).toEqual({
			code: 'meta_token_invalid',
			message:
				'Meta rejected this access token (error 190): it is invalid or has expired. Generate a new permanent token for your System User and paste it again.'
		});
		expect((await call(t.owner, `whatsapp-numbers/${t.tenantId}`)).body).toEqual({ numbers: [] });
	});

	it('a phone number id the token cannot see is refused with the 100 sentence', async () => {
		const t = await team('meta-missing');
		const { status, body } = await call(
			t.owner,
			`whatsapp-numbers/${t.tenantId}`,
			'POST',
			metaBody({ phoneNumberId: '999999999' })
		);
		expect(status).toBe(400);
		expect(body.code).toBe('meta_not_found');
		expect(body.message).toMatch(
			/^Meta found no phone number with ID 999999999 for this access token \(error 100\)\./
		);
	});

	it('an unknown WhatsApp Business Account ID is refused at that field, on connect and on edit', async () => {
		const t = await team('meta-unknown-waba');
		const message =
			"Meta found no WhatsApp Business Account with ID 999000111 for this access token (error 100). Check the ID, and that the token's System User has access to the WhatsApp Business Account.";
		const refusal = {
			status: 400,
			body: {
				code: 'meta_not_found',
				message,
				details: { issues: [{ path: 'businessAccountId', message }] }
			}
		};
		expect(
			await call(
				t.owner,
				`whatsapp-numbers/${t.tenantId}`,
				'POST',
				metaBody({ businessAccountId: '999000111' })
			)
		).toEqual(refusal);
		expect((await call(t.owner, `whatsapp-numbers/${t.tenantId}`)).body).toEqual({ numbers: [] });

		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		expect(created.status).toBe(201);
		const path = `whatsapp-numbers/${t.tenantId}/${created.body.number.id}`;
		expect(await call(t.admin, path, 'PATCH', { businessAccountId: '999000111' })).toEqual(refusal);
		expect((await call(t.owner, path)).body.number.businessAccountId).toBe(metaDemo.wabaId);
		await call(t.owner, path, 'DELETE');
	});

	it('a phone number id the token cannot see names the Phone Number ID field', async () => {
		const t = await team('meta-missing-field');
		const { body } = await call(
			t.owner,
			`whatsapp-numbers/${t.tenantId}`,
			'POST',
			metaBody({ phoneNumberId: '999999998' })
		);
		expect(body.details).toEqual({ issues: [{ path: 'phoneNumberId', message: body.message }] });
	});

	it('required Meta fields are named in the error', async () => {
		const t = await team('meta-fields');
		const { status, body } = await call(
			t.owner,
			`whatsapp-numbers/${t.tenantId}`,
			'POST',
			metaBody({ appSecret: '' })
		);
		expect(status).toBe(400);
		expect(body).toMatchObject({
			code: 'invalid_request',
			message: "Enter the App Secret from your Meta app's Basic settings."
		});
	});
});

describe('whatsapp-numbers: managing', () => {
	it('connecting or switching a number to active without an agent is refused with the reason', async () => {
		const t = await team('activate-no-agent');
		const reason =
			'A number can only be active with an AI agent assigned. Assign an AI agent with WhatsApp enabled, then activate the number.';
		expect(
			await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody({ active: true }))
		).toEqual({
			status: 422,
			body: { code: 'agent_rule_violation', message: reason }
		});
		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		expect(created.status).toBe(201);
		const path = `whatsapp-numbers/${t.tenantId}/${created.body.number.id}`;
		expect(await call(t.owner, path, 'PATCH', { active: true })).toEqual({
			status: 422,
			body: { code: 'agent_rule_violation', message: reason }
		});
		const agentId = await whatsappAgent(t);
		const activated = await call(t.admin, path, 'PATCH', {
			assignedAgentId: agentId,
			active: true,
			displayName: 'Sales'
		});
		expect(activated.status).toBe(200);
		expect(activated.body.number).toMatchObject({
			assignedAgentId: agentId,
			active: true,
			displayName: 'Sales'
		});
		await call(t.owner, path, 'DELETE');
	});

	it('the agent role reads numbers without secrets but cannot manage them', async () => {
		const t = await team('agent-role');
		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		const path = `whatsapp-numbers/${t.tenantId}/${created.body.number.id}`;
		const forbidden = {
			code: 'forbidden',
			message: 'Only owners and admins can manage WhatsApp numbers and integrations.'
		};
		expect(
			await call(
				t.agent,
				`whatsapp-numbers/${t.tenantId}`,
				'POST',
				metaBody({ phoneNumberId: '1' })
			)
		).toEqual({ status: 403, body: forbidden });
		expect(await call(t.agent, path, 'PATCH', { displayName: 'Mine' })).toEqual({
			status: 403,
			body: forbidden
		});
		expect(await call(t.agent, path, 'DELETE')).toEqual({ status: 403, body: forbidden });
		expect(await call(t.agent, path)).toEqual({ status: 403, body: forbidden });
		const { data } = await t.agent.from('whatsapp_numbers').select('*');
		expect(data).toHaveLength(1);
		expect(data![0].display_name).toBe('Meta line');
		const secrets = await t.agent.from('whatsapp_number_secrets').select('*');
		expect(secrets.error?.code).toBe('42501');
		await call(t.owner, path, 'DELETE');
	});

	it('editing with a blank secret keeps it; a new token is checked first and a rejected one changes nothing', async () => {
		const t = await team('edit-secrets');
		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		const id = created.body.number.id;
		const path = `whatsapp-numbers/${t.tenantId}/${id}`;
		const stored = async () =>
			(
				await stack.db.query<{ access_token_ciphertext: string; app_secret_ciphertext: string }>(
					'select access_token_ciphertext, app_secret_ciphertext from public.whatsapp_number_secrets where number_id = $1',
					[id]
				)
			).rows[0];
		const before = await stored();
		const renamed = await call(t.owner, path, 'PATCH', {
			displayName: 'Renamed',
			accessToken: '',
			appSecret: ''
		});
		expect(renamed.body.number).toMatchObject({
			displayName: 'Renamed',
			credentials: created.body.number.credentials
		});
		expect(await stored()).toEqual(before);
		const rejected = await call(t.owner, path, 'PATCH', {
			accessToken: 'wrong-token-000000000000000000'
		});
		expect(rejected.status).toBe(400);
		expect(rejected.body.code).toBe('meta_token_invalid');
		expect(await stored()).toEqual(before);
		const newSecret = await call(t.owner, path, 'PATCH', {
			appSecret: 'a-brand-new-app-secret-9876'
		});
		expect(newSecret.body.number.credentials.appSecret).toBe('••••9876');
		expect((await stored()).app_secret_ciphertext).not.toBe(before.app_secret_ciphertext);
		await call(t.owner, path, 'DELETE');
	});

	it('deleting a number removes it for everyone; it is then not found', async () => {
		const t = await team('delete-number');
		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		const path = `whatsapp-numbers/${t.tenantId}/${created.body.number.id}`;
		expect(await call(t.admin, path, 'DELETE')).toEqual({
			status: 200,
			body: { deleted: true, id: created.body.number.id }
		});
		expect((await call(t.admin, path)).body.code).toBe('not_found');
		const { data } = await t.agent.from('whatsapp_numbers').select('id');
		expect(data).toEqual([]);
	});

	it('each address refuses the methods it does not serve; a missing number is not found first', async () => {
		const t = await team('methods');
		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		const refused = async (path: string, method: 'POST' | 'PATCH' | 'DELETE') => {
			const { status, body } = await call(t.owner, path, method, {});
			return { status, code: body.code };
		};
		const notAllowed = { status: 405, code: 'method_not_allowed' };
		expect(await refused(`whatsapp-numbers/${t.tenantId}`, 'DELETE')).toEqual(notAllowed);
		expect(await refused(`whatsapp-numbers/${t.tenantId}/twilio-numbers`, 'POST')).toEqual(
			notAllowed
		);
		expect(
			await refused(`whatsapp-numbers/${t.tenantId}/${created.body.number.id}`, 'POST')
		).toEqual(notAllowed);
		expect(await refused(`whatsapp-numbers/${t.tenantId}/${crypto.randomUUID()}`, 'POST')).toEqual({
			status: 404,
			code: 'not_found'
		});
		expect(await refused(`whatsapp-numbers/${t.tenantId}/not-a-number`, 'POST')).toEqual({
			status: 404,
			code: 'not_found'
		});
		// The demo Meta number is connected once across tenants: free it for the next test.
		const path = `whatsapp-numbers/${t.tenantId}/${created.body.number.id}`;
		expect((await call(t.owner, path, 'DELETE')).status).toBe(200);
	});

	it('a member of another tenant cannot reach a number through its own tenant', async () => {
		const t = await team('cross-tenant');
		const other = await team('cross-tenant-other');
		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		const id = created.body.number.id;
		expect(
			(await call(other.owner, `whatsapp-numbers/${other.tenantId}/${id}`, 'DELETE')).status
		).toBe(404);
		expect((await call(other.owner, `whatsapp-numbers/${t.tenantId}/${id}`, 'DELETE')).status).toBe(
			403
		);
		await call(t.owner, `whatsapp-numbers/${t.tenantId}/${id}`, 'DELETE');
	});

	it('connecting a number reaches subscribed members live on the tenant topic', async () => {
		const t = await team('live-cards');
		const received: { operation: string; record: { display_name: string } }[] = [];
		const channel = t.agent.channel(`tenant:${t.tenantId}`, { config: { private: true } });
		channel.on('broadcast', { event: 'whatsapp_numbers' }, ({ payload }) => received.push(payload));
		await new Promise<void>((resolve, reject) =>
			channel.subscribe((state, error) => {
				if (state === 'SUBSCRIBED') resolve();
				else if (state === 'CHANNEL_ERROR' || state === 'TIMED_OUT')
					reject(error ?? new Error(state));
			})
		);
		const created = await call(
			t.owner,
			`whatsapp-numbers/${t.tenantId}`,
			'POST',
			metaBody({ displayName: 'Live' })
		);
		await expect
			.poll(() => received.map((event) => [event.operation, event.record.display_name]))
			.toEqual([['INSERT', 'Live']]);
		await t.agent.removeAllChannels();
		await call(t.owner, `whatsapp-numbers/${t.tenantId}/${created.body.number.id}`, 'DELETE');
	});
});

describe('secrets at rest and on the wire', () => {
	it('stored secrets are AES-GCM ciphertext, not the plaintext, and decrypt with the key', async () => {
		const t = await team('encryption');
		await connectTwilio(t);
		const created = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody());
		const key = await importEncryptionKey(encryptionKey);
		const { rows: twilioRows } = await stack.db.query<{ auth_token_ciphertext: string }>(
			`select s.auth_token_ciphertext from public.integration_secrets s
			 join public.integrations i on i.id = s.integration_id where i.tenant_id = $1`,
			[t.tenantId]
		);
		const { rows: metaRows } = await stack.db.query<{
			access_token_ciphertext: string;
			app_secret_ciphertext: string;
		}>(
			'select access_token_ciphertext, app_secret_ciphertext from public.whatsapp_number_secrets where number_id = $1',
			[created.body.number.id]
		);
		const stored = [
			twilioRows[0].auth_token_ciphertext,
			metaRows[0].access_token_ciphertext,
			metaRows[0].app_secret_ciphertext
		];
		const plaintexts = [twilioDemo.authToken, metaDemo.accessToken, metaDemo.appSecret];
		for (const [index, ciphertext] of stored.entries()) {
			expect(ciphertext).toMatch(/^v1\./);
			expect(ciphertext).not.toContain(plaintexts[index]);
			expect(await decryptSecret(ciphertext, key)).toBe(plaintexts[index]);
		}
		const wrongKey = await importEncryptionKey(randomBytes(32).toString('base64'));
		await expect(decryptSecret(stored[0], wrongKey)).rejects.toThrow();
		await call(t.owner, `whatsapp-numbers/${t.tenantId}/${created.body.number.id}`, 'DELETE');
	});

	it('no function answer in this file carried a secret', () => {
		expect(answered.length).toBeGreaterThan(30);
		for (const text of answered) {
			for (const secret of secretsNeverSent) expect(text).not.toContain(secret);
		}
	});

	it('the functions answer CORS preflights themselves', async () => {
		for (const slug of ['twilio-integration', 'whatsapp-numbers']) {
			const response = await fetch(`${stack.url}/functions/v1/${slug}/x`, {
				method: 'OPTIONS',
				headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PATCH' }
			});
			expect(response.status).toBe(200);
			expect(response.headers.get('access-control-allow-origin')).toBe('*');
			expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
			await response.text();
		}
	});
});

describe('provider outages', () => {
	// Last in the file: it stops the sandbox, as if Twilio and Meta were down.
	it('answers 502 provider_unavailable with a sentence when the provider cannot be reached', async () => {
		const t = await team('outage');
		await connectTwilio(t);
		await sandbox.close();
		expect(await call(t.owner, `whatsapp-numbers/${t.tenantId}/twilio-numbers`)).toEqual({
			status: 502,
			body: {
				code: 'provider_unavailable',
				message: 'Parley could not reach Twilio. Try again in a few minutes.'
			}
		});
		expect(await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', metaBody())).toEqual({
			status: 502,
			body: {
				code: 'provider_unavailable',
				message: 'Parley could not reach Meta. Try again in a few minutes.'
			}
		});
	});
});
