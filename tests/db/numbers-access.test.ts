import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../support/stack.ts';
import { anon, attempt, commitAs, failure, rowsOf } from './support.ts';
import { useNumbersDatabase } from './numbers-support.ts';

// Database rules of AI agents, integrations and WhatsApp numbers: who may read and change them,
// and that their secrets stay out of reach of every role.

const numbers = useNumbersDatabase();
const { team, createAgent, connectNumber } = numbers;
let stack: TestStack;
beforeAll(() => {
	stack = numbers.stack;
});

describe('AI agents', () => {
	it('owners and admins create and edit AI agents; agents and other tenants cannot', async () => {
		const { tenantId, owner, admin, agent } = await team('agents-crud');
		const other = await team('agents-crud-other');
		const agentId = await createAgent(owner, tenantId);
		await createAgent(admin, tenantId, { name: 'Leo' });

		expect(
			failure(
				await attempt(
					stack.db,
					agent,
					`insert into public.ai_agents (tenant_id, name) values ($1, 'X')`,
					[tenantId]
				)
			)
		).toMatchObject({ code: '42501' });
		expect(
			failure(
				await attempt(
					stack.db,
					other.owner,
					`insert into public.ai_agents (tenant_id, name) values ($1, 'X')`,
					[tenantId]
				)
			)
		).toMatchObject({ code: '42501' });
		const agentUpdate = await attempt(
			stack.db,
			agent,
			`update public.ai_agents set name = 'Hacked' where id = $1`,
			[agentId]
		);
		expect(agentUpdate).toMatchObject({ ok: true, affectedRows: 0 });
		const agentDelete = await attempt(
			stack.db,
			agent,
			`delete from public.ai_agents where id = $1`,
			[agentId]
		);
		expect(agentDelete).toMatchObject({ ok: true, affectedRows: 0 });
		const adminUpdate = await attempt(
			stack.db,
			admin,
			`update public.ai_agents set instructions = 'Be brief.' where id = $1`,
			[agentId]
		);
		expect(adminUpdate).toMatchObject({ ok: true, affectedRows: 1 });
	});

	it('every member reads the AI agents of their tenant, and nobody else does', async () => {
		const { tenantId, owner, agent } = await team('agents-read');
		const other = await team('agents-read-other');
		await createAgent(owner, tenantId, { name: 'Sofia' });
		const seenByAgent = rowsOf(
			await attempt<{ name: string }>(
				stack.db,
				agent,
				'select name from public.ai_agents where tenant_id = $1',
				[tenantId]
			)
		);
		expect(seenByAgent.map((row) => row.name)).toEqual(['Sofia']);
		expect(
			rowsOf(
				await attempt(
					stack.db,
					other.owner,
					'select 1 from public.ai_agents where tenant_id = $1',
					[tenantId]
				)
			)
		).toEqual([]);
		expect(failure(await attempt(stack.db, anon, 'select 1 from public.ai_agents'))).toMatchObject({
			code: '42501'
		});
	});

	it('an AI agent without a name is refused with a sentence', async () => {
		const { tenantId, owner } = await team('agents-name');
		const outcome = await attempt(
			stack.db,
			owner,
			`insert into public.ai_agents (tenant_id, name) values ($1, '  ')`,
			[tenantId]
		);
		expect(failure(outcome)).toEqual({
			code: '22023',
			message: 'An AI agent needs a name of 1 to 80 characters.'
		});
	});
});

describe('WhatsApp numbers: who may do what', () => {
	it('members of every role read their numbers; other tenants and anon read nothing', async () => {
		const { tenantId, agent } = await team('numbers-read');
		const other = await team('numbers-read-other');
		const number = await connectNumber(tenantId);
		const seen = rowsOf(
			await attempt<{ id: string }>(stack.db, agent, 'select id from public.whatsapp_numbers')
		);
		expect(seen.map((row) => row.id)).toEqual([number.id]);
		expect(
			rowsOf(
				await attempt(
					stack.db,
					other.owner,
					'select 1 from public.whatsapp_numbers where tenant_id = $1',
					[tenantId]
				)
			)
		).toEqual([]);
		expect(
			failure(await attempt(stack.db, anon, 'select 1 from public.whatsapp_numbers'))
		).toMatchObject({ code: '42501' });
	});

	it('the agent role cannot edit or delete numbers; owners and admins can', async () => {
		const { tenantId, admin, agent } = await team('numbers-manage');
		const number = await connectNumber(tenantId);
		expect(
			await attempt(
				stack.db,
				agent,
				`update public.whatsapp_numbers set display_name = 'Mine' where id = $1`,
				[number.id]
			)
		).toMatchObject({ ok: true, affectedRows: 0 });
		expect(
			await attempt(stack.db, agent, 'delete from public.whatsapp_numbers where id = $1', [
				number.id
			])
		).toMatchObject({ ok: true, affectedRows: 0 });
		expect(
			await attempt(
				stack.db,
				admin,
				`update public.whatsapp_numbers set display_name = 'Sales' where id = $1`,
				[number.id]
			)
		).toMatchObject({ ok: true, affectedRows: 1 });
		expect(
			await attempt(stack.db, admin, 'delete from public.whatsapp_numbers where id = $1', [
				number.id
			])
		).toMatchObject({ ok: true, affectedRows: 1 });
	});

	it('nobody signed in can insert a number directly or change what it points at', async () => {
		const { tenantId, owner } = await team('numbers-insert');
		const number = await connectNumber(tenantId);
		expect(
			failure(
				await attempt(
					stack.db,
					owner,
					`insert into public.whatsapp_numbers (tenant_id, provider, display_name, phone_number_id) values ($1, 'meta', 'X', '77')`,
					[tenantId]
				)
			)
		).toMatchObject({ code: '42501' });
		expect(
			failure(
				await attempt(
					stack.db,
					owner,
					`update public.whatsapp_numbers set phone_number_id = '1' where id = $1`,
					[number.id]
				)
			)
		).toMatchObject({ code: '42501' });
		expect(
			failure(
				await attempt(
					stack.db,
					owner,
					`update public.whatsapp_numbers set last_error = 'x' where id = $1`,
					[number.id]
				)
			)
		).toMatchObject({ code: '42501' });
	});

	it('the service-role functions that store credentials cannot be called by signed-in users', async () => {
		const { tenantId, owner } = await team('numbers-rpc');
		expect(
			failure(
				await attempt(
					stack.db,
					owner,
					`select public.save_twilio_integration($1, $2, 'x', 'v1.a.b', '1234')`,
					[tenantId, 'AC' + 'a'.repeat(32)]
				)
			)
		).toMatchObject({ code: '42501' });
		expect(
			failure(
				await attempt(
					stack.db,
					owner,
					`select public.connect_whatsapp_number(tenant_id => $1, provider => 'meta', display_name => 'X', phone_number_id => '5')`,
					[tenantId]
				)
			)
		).toMatchObject({ code: '42501' });
	});

	it('current_member_role answers the caller role, and null outside the tenant', async () => {
		const { tenantId, admin } = await team('numbers-role');
		const other = await team('numbers-role-other');
		expect(
			rowsOf(
				await attempt(stack.db, admin, 'select public.current_member_role($1) as role', [tenantId])
			)
		).toEqual([{ role: 'admin' }]);
		expect(
			rowsOf(
				await attempt(stack.db, other.owner, 'select public.current_member_role($1) as role', [
					tenantId
				])
			)
		).toEqual([{ role: null }]);
	});
});

describe('secrets', () => {
	it('number and integration secrets are not selectable by authenticated (any role) or anon', async () => {
		const { tenantId, owner, admin, agent } = await team('secrets-sql');
		await connectNumber(tenantId);
		await connectNumber(tenantId, { provider: 'twilio' });
		for (const actor of [owner, admin, agent, anon]) {
			for (const table of ['whatsapp_number_secrets', 'integration_secrets']) {
				expect(
					failure(await attempt(stack.db, actor, `select * from public.${table}`))
				).toMatchObject({ code: '42501' });
				expect(
					failure(await attempt(stack.db, actor, `delete from public.${table}`))
				).toMatchObject({ code: '42501' });
			}
		}
	});

	it('through the REST API, a signed-in owner is refused the secrets tables', async () => {
		const { tenantId, owner } = await team('secrets-rest');
		await connectNumber(tenantId);
		const client = stack.client();
		const { error: signInError } = await client.auth.signInWithPassword({
			email: owner.email!,
			password: 'secret-password'
		});
		expect(signInError).toBeNull();
		const numbers = await client.from('whatsapp_numbers').select('*');
		expect(numbers.data).toHaveLength(1);
		expect(JSON.stringify(numbers.data)).not.toMatch(/v1\.aaa|abcd|wxyz|verify-/);
		for (const table of ['whatsapp_number_secrets', 'integration_secrets'] as const) {
			const { data, error } = await client.from(table).select('*');
			expect(data).toBeNull();
			expect(error?.code).toBe('42501');
		}
	});

	it('integrations are visible to owners and admins only', async () => {
		const { tenantId, owner, admin, agent } = await team('integrations-read');
		const other = await team('integrations-read-other');
		await connectNumber(tenantId, { provider: 'twilio' });
		for (const actor of [owner, admin]) {
			expect(
				rowsOf(
					await attempt(
						stack.db,
						actor,
						'select account_sid from public.integrations where tenant_id = $1',
						[tenantId]
					)
				)
			).toHaveLength(1);
		}
		for (const actor of [agent, other.owner]) {
			expect(
				rowsOf(
					await attempt(stack.db, actor, 'select 1 from public.integrations where tenant_id = $1', [
						tenantId
					])
				)
			).toEqual([]);
		}
		expect(
			failure(await attempt(stack.db, owner, `update public.integrations set status = 'connected'`))
		).toMatchObject({ code: '42501' });
	});

	it('a Twilio integration cannot be removed while its numbers exist', async () => {
		const { tenantId } = await team('integrations-restrict');
		await connectNumber(tenantId, { provider: 'twilio' });
		await expect(
			stack.db.query(`delete from public.integrations where tenant_id = $1`, [tenantId])
		).rejects.toMatchObject({ code: '23503' });
	});

	it('deleting a tenant deletes its integration and numbers together', async () => {
		const { tenantId, owner } = await team('integrations-tenant-delete');
		await connectNumber(tenantId, { provider: 'twilio' });
		expect(
			await commitAs(stack.db, owner, 'delete from public.tenants where id = $1', [tenantId])
		).toMatchObject({ ok: true, affectedRows: 1 });
		const { rows } = await stack.db.query(
			'select 1 from public.integrations where tenant_id = $1',
			[tenantId]
		);
		expect(rows).toEqual([]);
	});

	it('deleting a number deletes its secrets', async () => {
		const { tenantId, owner } = await team('secrets-cascade');
		const number = await connectNumber(tenantId);
		rowsOf(
			await commitAs(stack.db, owner, 'delete from public.whatsapp_numbers where id = $1', [
				number.id
			])
		);
		const { rows } = await stack.db.query(
			'select 1 from public.whatsapp_number_secrets where number_id = $1',
			[number.id]
		);
		expect(rows).toEqual([]);
	});
});
