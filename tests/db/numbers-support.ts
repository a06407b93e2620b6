/**
 * The numbers database suites' shared world: a stack, workspaces with an owner, an admin and an
 * agent, AI agents, and numbers connected the way the whatsapp-numbers function connects them.
 */
import { afterAll, beforeAll } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { commitAs, createUser, rowsOf, type Actor, joinTenant } from './support.ts';

/** Registers the suite's hooks (a stack before all, closing after all) and its helpers. */
export function useNumbersDatabase() {
	let started: TestStack | undefined;
	let userCount = 0;
	let numberCount = 0;
	const fixture = {
		get stack(): TestStack {
			if (!started) throw new Error('the stack is used before its beforeAll started it');
			return started;
		},
		team,
		createAgent,
		connectNumber
	};

	beforeAll(async () => {
		started = await startTestStack();
	});
	afterAll(() => started?.close());

	function newUser(name: string): Promise<Actor> {
		userCount += 1;
		return createUser(fixture.stack.db, `${name}-${userCount}@example.test`);
	}

	const join = (owner: Actor, tenantId: string, user: Actor, role: string) =>
		joinTenant(fixture.stack.db, owner, tenantId, user, role);

	/** A workspace with an owner, an admin and an agent. */
	async function team(slug: string) {
		const owner = await newUser('owner');
		const admin = await newUser('admin');
		const agent = await newUser('agent');
		const [tenant] = rowsOf(
			await commitAs<{ id: string }>(
				fixture.stack.db,
				owner,
				'select * from public.create_tenant($1, $2)',
				[`Team ${slug}`, slug]
			)
		);
		await join(owner, tenant.id, admin, 'admin');
		await join(owner, tenant.id, agent, 'agent');
		return { tenantId: tenant.id, owner, admin, agent };
	}

	async function createAgent(
		actor: Actor,
		tenantId: string,
		values: { name?: string; whatsapp_enabled?: boolean; active?: boolean } = {}
	): Promise<string> {
		const [row] = rowsOf(
			await commitAs<{ id: string }>(
				fixture.stack.db,
				actor,
				`insert into public.ai_agents (tenant_id, name, instructions, whatsapp_enabled, active)
				 values ($1, $2, 'Answer politely.', $3, $4) returning id`,
				[tenantId, values.name ?? 'Sofia', values.whatsapp_enabled ?? true, values.active ?? true]
			)
		);
		return row.id;
	}

	/** Connects a number the way the whatsapp-numbers function does: the service-role rpc. */
	async function connectNumber(
		tenantId: string,
		values: {
			provider?: 'twilio' | 'meta';
			address?: string;
			/** The Twilio account the tenant's integration names (one of ten made-up ones otherwise). */
			accountSid?: string;
			phoneNumberId?: string;
			agentId?: string;
			active?: boolean;
		} = {}
	): Promise<{ id: string }> {
		numberCount += 1;
		const provider = values.provider ?? 'meta';
		let integrationId: string | null = null;
		if (provider === 'twilio') {
			const { rows } = await fixture.stack.db.query<{ id: string }>(
				`select id from public.save_twilio_integration($1, $2, 'Demo', 'v1.x.y', '1234')`,
				[tenantId, values.accountSid ?? 'AC' + '0'.repeat(31) + (numberCount % 10)]
			);
			integrationId = rows[0].id;
		}
		const { rows } = await fixture.stack.db.query<{ id: string }>(
			`select id from public.connect_whatsapp_number(
			   tenant_id => $1, provider => $2, display_name => $3, address => $4, integration_id => $5,
			   phone_number_id => $6, assigned_agent_id => $7, active => $8,
			   access_token_ciphertext => case when $2 = 'meta' then 'v1.aaa.bbb' end,
			   access_token_last4 => case when $2 = 'meta' then 'abcd' end,
			   app_secret_ciphertext => case when $2 = 'meta' then 'v1.ccc.ddd' end,
			   app_secret_last4 => case when $2 = 'meta' then 'wxyz' end,
			   verify_token => case when $2 = 'meta' then 'verify-' || $3 end)`,
			[
				tenantId,
				provider,
				`Number ${numberCount}`,
				provider === 'twilio'
					? (values.address ?? `whatsapp:+1555010${String(numberCount).padStart(4, '0')}`)
					: null,
				integrationId,
				provider === 'meta' ? (values.phoneNumberId ?? String(900000 + numberCount)) : null,
				values.agentId ?? null,
				values.active ?? false
			]
		);
		return rows[0];
	}

	return fixture;
}
