import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../support/stack.ts';
import {
	attempt,
	broadcastsOldestFirst,
	commitAs,
	failure,
	rowsOf,
	type Actor
} from './support.ts';
import { useNumbersDatabase } from './numbers-support.ts';

// Database rules of WhatsApp numbers: an active number needs a WhatsApp agent, addresses are
// unique and well formed, credential health alerts once per incident, and changes are broadcast.

const numbers = useNumbersDatabase();
const { team, createAgent, connectNumber } = numbers;
let stack: TestStack;
beforeAll(() => {
	stack = numbers.stack;
});

describe('the agent rule', () => {
	const activate = (actor: Actor, numberId: string) =>
		attempt(stack.db, actor, 'update public.whatsapp_numbers set active = true where id = $1', [
			numberId
		]);

	it('activating a number without an assigned agent is refused with the reason', async () => {
		const { tenantId, owner } = await team('rule-no-agent');
		const number = await connectNumber(tenantId);
		expect(failure(await activate(owner, number.id))).toEqual({
			code: 'P0001',
			message:
				'A number can only be active with an AI agent assigned. Assign an AI agent with WhatsApp enabled, then activate the number.'
		});
	});

	it('no path bypasses the rule: not the service role, not a direct insert', async () => {
		const { tenantId } = await team('rule-service');
		const number = await connectNumber(tenantId);
		await expect(
			stack.db.query('update public.whatsapp_numbers set active = true where id = $1', [number.id])
		).rejects.toMatchObject({ code: 'P0001' });
		await expect(connectNumber(tenantId, { active: true })).rejects.toMatchObject({
			code: 'P0001'
		});
	});

	it('an agent without WhatsApp enabled cannot be assigned', async () => {
		const { tenantId, owner } = await team('rule-whatsapp');
		const agentId = await createAgent(owner, tenantId, {
			name: 'Mail only',
			whatsapp_enabled: false
		});
		const number = await connectNumber(tenantId);
		const outcome = await attempt(
			stack.db,
			owner,
			'update public.whatsapp_numbers set assigned_agent_id = $2 where id = $1',
			[number.id, agentId]
		);
		expect(failure(outcome)).toEqual({
			code: 'P0001',
			message:
				'The AI agent "Mail only" does not have WhatsApp enabled. Enable its WhatsApp channel or choose another agent.'
		});
	});

	it('an inactive agent can be assigned, but the number cannot be active with it', async () => {
		const { tenantId, owner } = await team('rule-inactive');
		const agentId = await createAgent(owner, tenantId, { name: 'Sleepy', active: false });
		const number = await connectNumber(tenantId);
		rowsOf(
			await commitAs(
				stack.db,
				owner,
				'update public.whatsapp_numbers set assigned_agent_id = $2 where id = $1',
				[number.id, agentId]
			)
		);
		expect(failure(await activate(owner, number.id))).toMatchObject({
			code: 'P0001',
			message: expect.stringContaining('"Sleepy" is inactive')
		});
	});

	it('with an active WhatsApp agent assigned, the number can be activated', async () => {
		const { tenantId, admin } = await team('rule-ok');
		const agentId = await createAgent(admin, tenantId);
		const number = await connectNumber(tenantId, { agentId });
		expect(await activate(admin, number.id)).toMatchObject({ ok: true, affectedRows: 1 });
	});

	it('an agent of another tenant cannot be assigned', async () => {
		const { tenantId } = await team('rule-foreign');
		const other = await team('rule-foreign-other');
		const foreignAgent = await createAgent(other.owner, other.tenantId);
		await expect(connectNumber(tenantId, { agentId: foreignAgent })).rejects.toMatchObject({
			code: 'P0001',
			message: 'That AI agent does not belong to this workspace.'
		});
	});

	it('disabling WhatsApp for an agent that numbers use is refused, naming the numbers', async () => {
		const { tenantId, owner } = await team('rule-disable');
		const agentId = await createAgent(owner, tenantId, { name: 'Sofia' });
		await connectNumber(tenantId, { agentId });
		const outcome = await attempt(
			stack.db,
			owner,
			'update public.ai_agents set whatsapp_enabled = false where id = $1',
			[agentId]
		);
		expect(failure(outcome)).toMatchObject({
			code: 'P0001',
			message: expect.stringMatching(
				/^WhatsApp cannot be disabled for the AI agent "Sofia" while numbers use it \("Number \d+"\)/
			)
		});
	});

	it('deactivating or deleting an agent that active numbers use is refused', async () => {
		const { tenantId, owner } = await team('rule-deactivate');
		const agentId = await createAgent(owner, tenantId, { name: 'Sofia' });
		await connectNumber(tenantId, { agentId, active: true });
		expect(
			failure(
				await attempt(stack.db, owner, 'update public.ai_agents set active = false where id = $1', [
					agentId
				])
			)
		).toMatchObject({
			code: 'P0001',
			message: expect.stringContaining('cannot be deactivated while active numbers use it')
		});
		expect(
			failure(
				await attempt(stack.db, owner, 'delete from public.ai_agents where id = $1', [agentId])
			)
		).toMatchObject({
			code: 'P0001',
			message: expect.stringContaining('answers on active numbers')
		});
	});

	it('deleting an agent that only inactive numbers use unassigns it from them', async () => {
		const { tenantId, owner } = await team('rule-delete-inactive');
		const agentId = await createAgent(owner, tenantId);
		const number = await connectNumber(tenantId, { agentId });
		rowsOf(
			await commitAs(stack.db, owner, 'delete from public.ai_agents where id = $1', [agentId])
		);
		const { rows } = await stack.db.query(
			'select assigned_agent_id from public.whatsapp_numbers where id = $1',
			[number.id]
		);
		expect(rows).toEqual([{ assigned_agent_id: null }]);
	});
});

describe('uniqueness and format', () => {
	it('the same Twilio address cannot be connected twice, even by another tenant', async () => {
		const first = await team('unique-twilio-a');
		const second = await team('unique-twilio-b');
		await connectNumber(first.tenantId, { provider: 'twilio', address: 'whatsapp:+15550188001' });
		await expect(
			connectNumber(second.tenantId, { provider: 'twilio', address: 'whatsapp:+15550188001' })
		).rejects.toMatchObject({
			code: '23505',
			message:
				'whatsapp:+15550188001 is already connected to Parley. A number can be connected to one workspace only.'
		});
	});

	it("Twilio's shared Sandbox number is unique per Twilio account, and webhooks find the account's own", async () => {
		const sandboxAddress = 'whatsapp:+14155238886';
		const accountOne = 'AC' + '1'.repeat(32);
		const accountTwo = 'AC' + '2'.repeat(32);
		const first = await team('twilio-sandbox-a');
		const second = await team('twilio-sandbox-b');
		const sameAccount = await team('twilio-sandbox-c');
		const one = await connectNumber(first.tenantId, {
			provider: 'twilio',
			address: sandboxAddress,
			accountSid: accountOne
		});
		const two = await connectNumber(second.tenantId, {
			provider: 'twilio',
			address: sandboxAddress,
			accountSid: accountTwo
		});
		await expect(
			connectNumber(sameAccount.tenantId, {
				provider: 'twilio',
				address: sandboxAddress,
				accountSid: accountOne
			})
		).rejects.toMatchObject({
			code: '23505',
			message: `The Twilio Sandbox of account ${accountOne} is already connected to Parley. A Twilio account's sandbox can be connected to one workspace only.`
		});
		for (const [accountSid, number, tenantId] of [
			[accountOne, one, first.tenantId],
			[accountTwo, two, second.tenantId]
		] as const) {
			const { rows } = await stack.db.query(
				'select number_id, tenant_id from public.twilio_webhook_number($1, $2)',
				[accountSid, sandboxAddress]
			);
			expect(rows).toEqual([{ number_id: number.id, tenant_id: tenantId }]);
		}
	});

	it('the same Meta phone number id cannot be connected twice, even by another tenant', async () => {
		const first = await team('unique-meta-a');
		const second = await team('unique-meta-b');
		await connectNumber(first.tenantId, { phoneNumberId: '123123123' });
		await expect(
			connectNumber(second.tenantId, { phoneNumberId: '123123123' })
		).rejects.toMatchObject({ code: '23505' });
	});

	it('a Twilio address that is not whatsapp:+E164 is refused with a sentence', async () => {
		const { tenantId } = await team('format-address');
		await expect(
			connectNumber(tenantId, { provider: 'twilio', address: '+14155238886' })
		).rejects.toMatchObject({
			code: '22023',
			message: expect.stringContaining('is not a WhatsApp address')
		});
	});
});

describe('credential health', () => {
	const numberState = async (id: string) =>
		(
			await stack.db.query<{ needs_attention: boolean; last_error: string | null }>(
				'select needs_attention, last_error from public.whatsapp_numbers where id = $1',
				[id]
			)
		).rows[0];
	const flag = async (id: string, error: string) =>
		(
			await stack.db.query<{ told: boolean }>(
				'select public.flag_number_credentials($1, $2) as told',
				[id, error]
			)
		).rows[0].told;
	const alerts = async (id: string) =>
		(
			await stack.db.query<{ recipient_id: string; title: string; body: string }>(
				`select recipient_id, title, body from public.notifications
				 where number_id = $1 and kind = 'credentials' order by created_at, recipient_id`,
				[id]
			)
		).rows;
	const webhookStored = (id: string) =>
		stack.db.query('select private.mark_number_healthy($1)', [id]);
	const credentialsWorked = (id: string) =>
		stack.db.query('select public.record_credentials_working($1)', [[id]]);

	it('a rejection alerts owners and admins once per incident; a working send ends it, and the next rejection alerts again', async () => {
		const { tenantId, owner, admin } = await team('health-meta');
		const number = await connectNumber(tenantId);
		const error = 'Meta rejected the access token (error 190). Generate a new one.';
		expect(await flag(number.id, error)).toBe(true);
		expect(await flag(number.id, error)).toBe(false);
		expect(await numberState(number.id)).toEqual({ needs_attention: true, last_error: error });
		const firstAlerts = await alerts(number.id);
		expect(firstAlerts.map((alert) => alert.recipient_id).sort()).toEqual(
			[owner.id, admin.id].sort()
		);
		expect(firstAlerts[0]).toMatchObject({
			title: expect.stringMatching(/^Number \d+ needs attention$/),
			body: error
		});

		// Meta signs webhooks with the app secret: a stored webhook does not prove the token works.
		await webhookStored(number.id);
		expect(await numberState(number.id)).toEqual({ needs_attention: true, last_error: error });

		await credentialsWorked(number.id);
		expect(await numberState(number.id)).toEqual({ needs_attention: false, last_error: null });
		expect(await alerts(number.id)).toHaveLength(2);

		expect(await flag(number.id, error)).toBe(true);
		expect(await alerts(number.id)).toHaveLength(4);
	});

	it('a Twilio webhook, signed with the same token Parley sends with, ends the incident and the integration failure', async () => {
		const { tenantId } = await team('health-twilio');
		const number = await connectNumber(tenantId, { provider: 'twilio' });
		const error = 'Twilio rejected the credentials (error 20003).';
		expect(await flag(number.id, error)).toBe(true);
		const integration = async () =>
			(
				await stack.db.query<{ status: string; last_error: string | null }>(
					'select status, last_error from public.integrations where tenant_id = $1',
					[tenantId]
				)
			).rows[0];
		expect(await integration()).toEqual({ status: 'failed', last_error: error });
		await webhookStored(number.id);
		expect(await numberState(number.id)).toEqual({ needs_attention: false, last_error: null });
		expect(await integration()).toEqual({ status: 'connected', last_error: null });
		expect(await flag(number.id, error)).toBe(true);
	});

	it('marking a healthy number healthy writes nothing', async () => {
		const { tenantId } = await team('health-cheap');
		const number = await connectNumber(tenantId, { provider: 'twilio' });
		const versions = async () =>
			(
				await stack.db.query<{ number: string; integration: string }>(
					`select n.xmin::text as number, i.xmin::text as integration
					 from public.whatsapp_numbers n join public.integrations i on i.id = n.integration_id
					 where n.id = $1`,
					[number.id]
				)
			).rows[0];
		const before = await versions();
		await webhookStored(number.id);
		await credentialsWorked(number.id);
		expect(await versions()).toEqual(before);
	});

	it('signed-in users cannot call the health functions', async () => {
		const { tenantId, owner } = await team('health-grants');
		const number = await connectNumber(tenantId);
		for (const sql of [
			'select private.mark_number_healthy($1)',
			'select public.record_credentials_working(array[$1]::uuid[])'
		]) {
			expect(failure(await attempt(stack.db, owner, sql, [number.id]))).toMatchObject({
				code: '42501'
			});
		}
	});
});

describe('realtime', () => {
	it('changes to a number are broadcast on its tenant topic, without secrets', async () => {
		const { tenantId, owner } = await team('numbers-broadcast');
		const number = await connectNumber(tenantId);
		rowsOf(
			await commitAs(
				stack.db,
				owner,
				`update public.whatsapp_numbers set display_name = 'Front desk' where id = $1`,
				[number.id]
			)
		);
		rowsOf(
			await commitAs(stack.db, owner, 'delete from public.whatsapp_numbers where id = $1', [
				number.id
			])
		);
		const { rows } = await stack.db.query<{
			event: string;
			private: boolean;
			payload: { operation: string; record: { display_name: string } | null };
		}>(
			`select event, private, payload from realtime.messages where topic = $1 order by ${broadcastsOldestFirst}`,
			[`tenant:${tenantId}`]
		);
		expect(rows.map((row) => [row.event, row.private, row.payload.operation])).toEqual([
			['whatsapp_numbers', true, 'INSERT'],
			['whatsapp_numbers', true, 'UPDATE'],
			['whatsapp_numbers', true, 'DELETE']
		]);
		expect(rows[1].payload.record?.display_name).toBe('Front desk');
		expect(JSON.stringify(rows)).not.toMatch(/v1\.aaa|verify-/);
	});
});
