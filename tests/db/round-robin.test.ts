import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	attempt,
	broadcastsOldestFirst,
	commitAs,
	createUser,
	failure,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// Round robin per number: owners and admins turn it on, members mark themselves available or
// away, and each new conversation goes to the available member auto-assigned longest ago on that
// number, who is told. Nobody reaches another workspace's settings.

let stack: TestStack;
let owner: Actor, admin: Actor, alba: Actor, bruno: Actor, carla: Actor, outsider: Actor;
let tenantId: string, numberId: string, otherTenantId: string, otherNumberId: string;

beforeAll(async () => {
	stack = await startTestStack();
	owner = await createUser(stack.db, 'rr-owner@example.test', { display_name: 'Olivia Owner' });
	admin = await createUser(stack.db, 'rr-admin@example.test', { display_name: 'Adam Admin' });
	alba = await createUser(stack.db, 'rr-alba@example.test', { display_name: 'Alba Agent' });
	bruno = await createUser(stack.db, 'rr-bruno@example.test', { display_name: 'Bruno Agent' });
	carla = await createUser(stack.db, 'rr-carla@example.test', { display_name: 'Carla Agent' });
	outsider = await createUser(stack.db, 'rr-outsider@example.test', {
		display_name: 'Oscar Outsider'
	});
	// Joined in this order: Alba before Bruno before Carla breaks ties between never-assigned members.
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'round-robin', [
		[admin, 'admin'],
		[alba, 'agent'],
		[bruno, 'agent'],
		[carla, 'agent']
	]));
	({ tenantId: otherTenantId, numberId: otherNumberId } = await workspaceWithTwilioNumber(
		stack.db,
		outsider,
		'round-robin-other',
		[]
	));
});
afterAll(() => stack?.close());

let messageCount = 0;
/** A customer's message as the webhook function stores it; returns its conversation's id. */
async function deliver(
	waId: string,
	body = 'Hello, is anyone there?',
	number = numberId,
	type = 'text'
): Promise<string> {
	messageCount += 1;
	const item =
		type === 'reaction'
			? {
					provider_message_id: `SMrr${messageCount}`,
					wa_id: waId,
					type,
					reaction: { emoji: '👍', target_provider_id: 'SMnothing' }
				}
			: { provider_message_id: `SMrr${messageCount}`, wa_id: waId, type, body };
	const outcome = await stack.db.transaction(async (tx) => {
		await tx.query(`select set_config('role', 'service_role', true)`);
		const { rows } = await tx.query<{ result: { messages: { conversation_id: string }[] } }>(
			`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb, '[]') as result`,
			[number, JSON.stringify([item])]
		);
		return rows[0].result;
	});
	return outcome.messages[0].conversation_id;
}

let customerCount = 0;
/** A phone number no conversation has used yet. */
function newCustomer(): string {
	customerCount += 1;
	return `1415556${String(customerCount).padStart(4, '0')}`;
}

function setRoundRobin(actor: Actor, enabled: boolean, number = numberId) {
	return commitAs<{ number_id: string; tenant_id: string; enabled: boolean; updated_by: string }>(
		stack.db,
		actor,
		'select number_id, tenant_id, enabled, updated_by from public.set_round_robin($1, $2)',
		[number, enabled]
	);
}

function setAvailability(actor: Actor, available: boolean, tenant = tenantId) {
	return commitAs<{ user_id: string; available: boolean }>(
		stack.db,
		actor,
		'select user_id, available from public.set_availability($1, $2)',
		[tenant, available]
	);
}

async function assigneeOf(conversationId: string): Promise<string | null> {
	const { rows } = await stack.db.query<{ assignee_id: string | null }>(
		'select assignee_id from public.conversations where id = $1',
		[conversationId]
	);
	return rows[0].assignee_id;
}

/** Everyone in the workspace available again, round robin off, and the turns forgotten. */
async function resetWorkspace() {
	await stack.db.query('delete from public.member_availability where tenant_id = $1', [tenantId]);
	await stack.db.query('delete from public.number_round_robin where tenant_id = $1', [tenantId]);
	await stack.db.query('delete from private.round_robin_turns where tenant_id = $1', [tenantId]);
	await stack.db.query(
		'update public.whatsapp_numbers set active = false, assigned_agent_id = null where id = $1',
		[numberId]
	);
}

describe('who turns round robin on', () => {
	beforeEach(resetWorkspace);

	it('is off by default: a new conversation stays unassigned', async () => {
		const id = await deliver(newCustomer());
		expect(await assigneeOf(id)).toBeNull();
		const setting = await stack.db.query(
			'select 1 from public.number_round_robin where number_id = $1',
			[numberId]
		);
		expect(setting.rows).toEqual([]);
	});

	it('an owner and an admin turn it on and off, and every member reads it', async () => {
		const [on] = rowsOf(await setRoundRobin(admin, true));
		expect(on).toEqual({
			number_id: numberId,
			tenant_id: tenantId,
			enabled: true,
			updated_by: admin.id
		});
		for (const member of [owner, admin, alba]) {
			const seen = rowsOf(
				await attempt(stack.db, member, 'select enabled from public.number_round_robin')
			);
			expect(seen, member.label).toEqual([{ enabled: true }]);
		}
		const [off] = rowsOf(await setRoundRobin(owner, false));
		expect(off).toMatchObject({ enabled: false, updated_by: owner.id });
	});

	it('an agent is refused with a sentence, by the function and by the policies', async () => {
		expect(failure(await setRoundRobin(alba, true))).toEqual({
			code: '42501',
			message:
				'Only owners and admins can turn round robin on or off. Ask one of them to change it.'
		});
		const inserted = await attempt(
			stack.db,
			alba,
			'insert into public.number_round_robin (number_id, enabled) values ($1, true)',
			[numberId]
		);
		expect(failure(inserted)).toMatchObject({ code: '42501' });
		rowsOf(await setRoundRobin(admin, false));
		const updated = await attempt(
			stack.db,
			alba,
			'update public.number_round_robin set enabled = true where number_id = $1',
			[numberId]
		);
		expect(updated).toMatchObject({ ok: true, affectedRows: 0 });
		const { rows } = await stack.db.query<{ enabled: boolean }>(
			'select enabled from public.number_round_robin where number_id = $1',
			[numberId]
		);
		expect(rows).toEqual([{ enabled: false }]);
	});

	it("another workspace's owner neither sees nor changes it, and anonymous callers cannot call", async () => {
		rowsOf(await setRoundRobin(admin, true));
		expect(failure(await setRoundRobin(outsider, false))).toMatchObject({
			code: 'PT404',
			message: 'This number was not found in your workspaces. It may have been removed.'
		});
		expect(
			rowsOf(await attempt(stack.db, outsider, 'select * from public.number_round_robin'))
		).toEqual([]);
		// The row's workspace comes from the number, never from the caller.
		const inserted = await attempt(
			stack.db,
			outsider,
			'insert into public.number_round_robin (number_id, enabled) values ($1, false)',
			[numberId]
		);
		expect(failure(inserted)).toMatchObject({ code: '42501' });
		expect(failure(await setRoundRobin(anon, true))).toMatchObject({ code: '42501' });
		// Their own number is theirs to change.
		expect(rowsOf(await setRoundRobin(outsider, true, otherNumberId))[0]).toMatchObject({
			tenant_id: otherTenantId,
			enabled: true
		});
		expect(
			rowsOf(await attempt(stack.db, owner, 'select number_id from public.number_round_robin'))
		).toEqual([{ number_id: numberId }]);
		await stack.db.query('delete from public.number_round_robin where number_id = $1', [
			otherNumberId
		]);
	});
});

describe('availability', () => {
	beforeEach(resetWorkspace);

	it('a member marks themselves away and back, and teammates see it', async () => {
		expect(rowsOf(await setAvailability(alba, false))).toEqual([
			{ user_id: alba.id, available: false }
		]);
		const seen = rowsOf(
			await attempt(
				stack.db,
				bruno,
				'select user_id, available from public.member_availability where tenant_id = $1',
				[tenantId]
			)
		);
		expect(seen).toEqual([{ user_id: alba.id, available: false }]);
		expect(rowsOf(await setAvailability(alba, true))).toEqual([
			{ user_id: alba.id, available: true }
		]);
	});

	it('each change reaches the workspace topic with only who and whether', async () => {
		const since = (await stack.db.query<{ now: string }>('select clock_timestamp()::text as now'))
			.rows[0].now;
		rowsOf(await setAvailability(alba, false));
		rowsOf(await setAvailability(alba, true));
		const { rows } = await stack.db.query<{ payload: Record<string, unknown> }>(
			`select payload from realtime.messages
			 where topic = $1 and event = 'member_availability' and inserted_at >= $2::timestamptz
			 order by ${broadcastsOldestFirst}`,
			[`tenant:${tenantId}`, since]
		);
		expect(rows.map((row) => [row.payload.operation, row.payload.record])).toEqual([
			['INSERT', { user_id: alba.id, available: false }],
			['UPDATE', { user_id: alba.id, available: true }]
		]);
		const other = await stack.db.query(
			`select 1 from realtime.messages where event = 'member_availability' and topic <> $1
			 and inserted_at >= $2::timestamptz`,
			[`tenant:${tenantId}`, since]
		);
		expect(other.rows).toEqual([]);
	});

	it("nobody, not even the owner, sets a teammate's availability", async () => {
		rowsOf(await setAvailability(alba, true));
		const inserted = await attempt(
			stack.db,
			owner,
			'insert into public.member_availability (tenant_id, user_id, available) values ($1, $2, false)',
			[tenantId, bruno.id]
		);
		expect(failure(inserted)).toMatchObject({ code: '42501' });
		const updated = await attempt(
			stack.db,
			owner,
			'update public.member_availability set available = false where user_id = $1',
			[alba.id]
		);
		expect(updated).toMatchObject({ ok: true, affectedRows: 0 });
	});

	it("another workspace's member neither sees nor sets availability here", async () => {
		rowsOf(await setAvailability(alba, false));
		expect(failure(await setAvailability(outsider, false))).toMatchObject({
			code: 'PT404',
			message: 'This workspace was not found among yours. You may have been removed from it.'
		});
		expect(
			rowsOf(await attempt(stack.db, outsider, 'select * from public.member_availability'))
		).toEqual([]);
		const inserted = await attempt(
			stack.db,
			outsider,
			'insert into public.member_availability (tenant_id, user_id, available) values ($1, $2, true)',
			[tenantId, outsider.id]
		);
		expect(failure(inserted)).toMatchObject({ code: '42501' });
		expect(failure(await setAvailability(anon, true))).toMatchObject({ code: '42501' });
	});
});

describe('round robin at work', () => {
	beforeEach(async () => {
		await resetWorkspace();
		rowsOf(await setRoundRobin(admin, true));
		for (const member of [owner, admin, carla]) rowsOf(await setAvailability(member, false));
	});

	it('new conversations alternate between the available members; an away member gets none', async () => {
		const assignees = [];
		for (let i = 0; i < 4; i += 1) assignees.push(await assigneeOf(await deliver(newCustomer())));
		expect(assignees).toEqual([alba.id, bruno.id, alba.id, bruno.id]);
		const { rows } = await stack.db.query<{ count: number }>(
			'select count(*)::int as count from public.conversations where tenant_id = $1 and assignee_id = $2',
			[tenantId, carla.id]
		);
		expect(rows[0].count).toBe(0);
	});

	it('a message in an existing conversation takes no turn', async () => {
		const first = newCustomer();
		const firstId = await deliver(first);
		expect(await assigneeOf(firstId)).toBe(alba.id);
		// Released and written to again: still nobody's, and Alba's turn is not spent again.
		rowsOf(
			await commitAs(stack.db, alba, 'select public.assign_conversation($1, null)', [firstId])
		);
		expect(await deliver(first, 'Anyone?')).toBe(firstId);
		expect(await assigneeOf(firstId)).toBeNull();
		expect(await assigneeOf(await deliver(newCustomer()))).toBe(bruno.id);
	});

	it('a member back from away joins the turns, first since never assigned', async () => {
		expect(await assigneeOf(await deliver(newCustomer()))).toBe(alba.id);
		expect(await assigneeOf(await deliver(newCustomer()))).toBe(bruno.id);
		rowsOf(await setAvailability(carla, true));
		expect(await assigneeOf(await deliver(newCustomer()))).toBe(carla.id);
		expect(await assigneeOf(await deliver(newCustomer()))).toBe(alba.id);
	});

	it('nobody available leaves the conversation unassigned', async () => {
		for (const member of [alba, bruno]) rowsOf(await setAvailability(member, false));
		expect(await assigneeOf(await deliver(newCustomer()))).toBeNull();
	});

	it('turning it off stops the assigning', async () => {
		rowsOf(await setRoundRobin(owner, false));
		expect(await assigneeOf(await deliver(newCustomer()))).toBeNull();
	});

	it('a conversation opened by a reaction is assigned too', async () => {
		expect(await assigneeOf(await deliver(newCustomer(), '', numberId, 'reaction'))).toBe(alba.id);
	});

	it('the assignee is told, in place of their new-message notification; the others as before', async () => {
		const waId = newCustomer();
		await stack.db.query(
			`insert into public.contacts (tenant_id, wa_id, profile_name) values ($1, $2, 'Rita Robin')`,
			[tenantId, waId]
		);
		const id = await deliver(waId, 'Do you ship to Lisbon?');
		expect(await assigneeOf(id)).toBe(alba.id);
		const { rows } = await stack.db.query<{
			recipient_id: string;
			kind: string;
			title: string;
			body: string;
		}>(
			`select recipient_id, kind, title, body from public.notifications
			 where conversation_id = $1 order by kind, recipient_id`,
			[id]
		);
		expect(rows.filter((row) => row.recipient_id === alba.id)).toEqual([
			{
				recipient_id: alba.id,
				kind: 'assignment',
				title: 'Round robin assigned you the new conversation with Rita Robin',
				body: 'Do you ship to Lisbon?'
			}
		]);
		expect(
			rows
				.filter((row) => row.recipient_id !== alba.id)
				.map((row) => row.kind)
				.sort()
		).toEqual(['new_message', 'new_message', 'new_message', 'new_message']);
		const live = await stack.db.query<{ kind: string }>(
			`select payload -> 'record' ->> 'kind' as kind from realtime.messages
			 where topic = $1 and event = 'notifications' and payload -> 'record' ->> 'conversation_id' = $2`,
			[`user:${alba.id}`, id]
		);
		expect(live.rows).toEqual([{ kind: 'assignment' }]);
	});

	it('the assignment reaches the inbox on the workspace topic with its assignee', async () => {
		const id = await deliver(newCustomer());
		const { rows } = await stack.db.query<{ assignee_id: string | null; assignee_name: string }>(
			`select payload -> 'record' ->> 'assignee_id' as assignee_id,
			   payload -> 'record' ->> 'assignee_name' as assignee_name
			 from realtime.messages
			 where topic = $1 and event = 'conversations' and payload -> 'record' ->> 'id' = $2
			   and payload -> 'record' ->> 'assignee_id' is not null`,
			[`tenant:${tenantId}`, id]
		);
		expect(rows).toEqual([{ assignee_id: alba.id, assignee_name: 'Alba Agent' }]);
	});

	it('a number whose AI agent answers is left to the AI', async () => {
		const { rows } = await stack.db.query<{ id: string }>(
			`insert into public.ai_agents (tenant_id, name, whatsapp_enabled) values ($1, 'Nora', true)
			 returning id`,
			[tenantId]
		);
		await stack.db.query(
			'update public.whatsapp_numbers set assigned_agent_id = $2, active = true where id = $1',
			[numberId, rows[0].id]
		);
		const outcome = await stack.db.transaction(async (tx) => {
			await tx.query(`select set_config('role', 'service_role', true)`);
			const result = await tx.query<{
				result: { messages: { conversation_id: string; ai_reply: boolean }[] };
			}>(
				`select public.ingest_whatsapp_delivery('twilio', $1, '{}', 'raw', $2::jsonb, '[]') as result`,
				[
					numberId,
					JSON.stringify([
						{ provider_message_id: 'SMrr-ai', wa_id: newCustomer(), type: 'text', body: 'Hi' }
					])
				]
			);
			return result.rows[0].result.messages[0];
		});
		expect(outcome.ai_reply).toBe(true);
		expect(await assigneeOf(outcome.conversation_id)).toBeNull();
		// Its hand-over lands in Unassigned and Escalated, as without round robin.
		await stack.db.query(`select public.ai_escalate($1, 'The customer asked for a person.')`, [
			outcome.conversation_id
		]);
		const after = await stack.db.query<{ assignee_id: string | null; escalated: boolean }>(
			'select assignee_id, escalated_at is not null as escalated from public.conversations where id = $1',
			[outcome.conversation_id]
		);
		expect(after.rows[0]).toEqual({ assignee_id: null, escalated: true });
	});

	it('the turns are per number: another workspace is untouched', async () => {
		const theirs = await deliver(newCustomer(), 'Hola', otherNumberId);
		expect(await assigneeOf(theirs)).toBeNull();
		expect(await assigneeOf(await deliver(newCustomer()))).toBe(alba.id);
	});
});
