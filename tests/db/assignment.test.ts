import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	broadcastsNewestFirst,
	commitAs,
	createUser,
	failure,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// A conversation's assignee is a member of its tenant or nobody. Agents take and release their
// own; owners and admins assign any member; nobody reaches another tenant's conversations.

let stack: TestStack;
let owner: Actor, admin: Actor, agent: Actor, otherAgent: Actor, outsider: Actor;
let tenantId: string, numberId: string;
let otherTenantId: string;

beforeAll(async () => {
	stack = await startTestStack();
	owner = await createUser(stack.db, 'assign-owner@example.test', { display_name: 'Olivia Owner' });
	admin = await createUser(stack.db, 'assign-admin@example.test', { display_name: 'Adam Admin' });
	agent = await createUser(stack.db, 'assign-agent@example.test', { display_name: 'Alba Agent' });
	otherAgent = await createUser(stack.db, 'assign-agent2@example.test', {
		display_name: 'Bruno Agent'
	});
	outsider = await createUser(stack.db, 'assign-outsider@example.test', {
		display_name: 'Oscar Outsider'
	});
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'assignment', [
		[admin, 'admin'],
		[agent, 'agent'],
		[otherAgent, 'agent']
	]));
	({ tenantId: otherTenantId } = await workspaceWithTwilioNumber(
		stack.db,
		outsider,
		'assignment-other',
		[]
	));
});
afterAll(() => stack?.close());

let contactCount = 0;
/** A customer's conversation as the webhook leaves it: unassigned, AI on, inside the window. */
async function conversation(name = 'Ana Gómez', inTenant = tenantId): Promise<string> {
	contactCount += 1;
	const number =
		inTenant === tenantId
			? numberId
			: (
					await stack.db.query<{ id: string }>(
						'select id from public.whatsapp_numbers where tenant_id = $1',
						[inTenant]
					)
				).rows[0].id;
	const { rows } = await stack.db.query<{ id: string }>(
		`with contact as (
			insert into public.contacts (tenant_id, wa_id, profile_name)
			values ($1, '1415555' || lpad($3::text, 4, '0'), $4) returning id
		)
		insert into public.conversations
			(tenant_id, number_id, contact_id, last_message_preview, last_message_at, last_inbound_at, unread_count)
		select $1, $2, id, 'Is my order on its way?', now(), now(), 1 from contact returning id`,
		[inTenant, number, contactCount, name]
	);
	return rows[0].id;
}

function assign(actor: Actor, conversationId: string, assigneeId: string | null) {
	return commitAs<{ assignee_id: string | null; assigned_at: string | null }>(
		stack.db,
		actor,
		'select assignee_id, assigned_at from public.assign_conversation($1, $2)',
		[conversationId, assigneeId]
	);
}

async function assigneeOf(conversationId: string): Promise<string | null> {
	const { rows } = await stack.db.query<{ assignee_id: string | null }>(
		'select assignee_id from public.conversations where id = $1',
		[conversationId]
	);
	return rows[0].assignee_id;
}

async function notificationsFor(recipient: Actor, conversationId: string) {
	const { rows } = await stack.db.query<{ kind: string; title: string; body: string | null }>(
		`select kind, title, body from public.notifications
		 where recipient_id = $1 and conversation_id = $2 order by created_at`,
		[recipient.id, conversationId]
	);
	return rows;
}

describe('agents take and release', () => {
	let id: string;
	beforeEach(async () => {
		id = await conversation();
	});

	it('an agent takes an unassigned conversation and releases it', async () => {
		const [taken] = rowsOf(await assign(agent, id, agent.id!));
		expect(taken.assignee_id).toBe(agent.id);
		expect(taken.assigned_at).not.toBeNull();
		// Taking it again is a no-op, not a refusal.
		expect(rowsOf(await assign(agent, id, agent.id!))[0].assignee_id).toBe(agent.id);
		const [released] = rowsOf(await assign(agent, id, null));
		expect(released).toEqual({ assignee_id: null, assigned_at: null });
	});

	it('an agent cannot assign a conversation to someone else', async () => {
		expect(failure(await assign(agent, id, otherAgent.id!))).toMatchObject({
			code: '42501',
			message: expect.stringContaining('ask an owner or admin to assign it') as unknown
		});
		expect(failure(await assign(agent, id, admin.id!))).toMatchObject({ code: '42501' });
		expect(await assigneeOf(id)).toBeNull();
	});

	it("an agent can neither take nor release a teammate's conversation", async () => {
		rowsOf(await assign(otherAgent, id, otherAgent.id!));
		expect(failure(await assign(agent, id, agent.id!))).toMatchObject({
			code: '42501',
			message: expect.stringContaining('assigned to Bruno Agent') as unknown
		});
		expect(failure(await assign(agent, id, null))).toMatchObject({ code: '42501' });
		expect(await assigneeOf(id)).toBe(otherAgent.id);
	});

	it('nobody writes the assignee directly: the function is the only way', async () => {
		const direct = await commitAs(
			stack.db,
			agent,
			'update public.conversations set assignee_id = $2 where id = $1',
			[id, agent.id]
		);
		expect(failure(direct)).toMatchObject({ code: '42501' });
		expect(await assigneeOf(id)).toBeNull();
	});
});

describe('owners and admins assign anyone in the workspace', () => {
	it('an admin assigns an agent, reassigns to the owner and unassigns', async () => {
		const id = await conversation();
		expect(rowsOf(await assign(admin, id, agent.id!))[0].assignee_id).toBe(agent.id);
		expect(rowsOf(await assign(admin, id, owner.id!))[0].assignee_id).toBe(owner.id);
		expect(rowsOf(await assign(admin, id, null))[0].assignee_id).toBeNull();
		rowsOf(await assign(admin, id, agent.id!));
		// Leaving the assignee out unassigns too: what a client sends when nobody is picked.
		const [left] = rowsOf(
			await commitAs<{ assignee_id: string | null }>(
				stack.db,
				admin,
				'select assignee_id from public.assign_conversation(conversation_id => $1)',
				[id]
			)
		);
		expect(left.assignee_id).toBeNull();
	});

	it("an owner takes an agent's conversation for themselves", async () => {
		const id = await conversation();
		rowsOf(await assign(agent, id, agent.id!));
		expect(rowsOf(await assign(owner, id, owner.id!))[0].assignee_id).toBe(owner.id);
	});

	it('nobody, not even the owner, assigns someone outside the workspace', async () => {
		const id = await conversation();
		for (const actor of [owner, admin]) {
			expect(failure(await assign(actor, id, outsider.id!))).toMatchObject({
				code: 'P0001',
				message: expect.stringContaining('not a member of this workspace') as unknown
			});
		}
		expect(await assigneeOf(id)).toBeNull();
	});

	it('a member who leaves the workspace leaves their conversations unassigned', async () => {
		const leaving = await createUser(stack.db, 'assign-leaving@example.test');
		const { tenantId: team } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			'assignment-leaving',
			[[leaving, 'agent']]
		);
		const id = await conversation('Leo Leaving', team);
		rowsOf(await assign(leaving, id, leaving.id!));
		rowsOf(
			await commitAs(stack.db, owner, 'select public.remove_member($1, $2)', [team, leaving.id])
		);
		const { rows } = await stack.db.query<{ assignee_id: string | null; assigned_at: null }>(
			'select assignee_id, assigned_at from public.conversations where id = $1',
			[id]
		);
		expect(rows[0]).toEqual({ assignee_id: null, assigned_at: null });
	});
});

describe("another tenant's conversations are unreachable", () => {
	it("a member of another workspace can neither assign nor see this workspace's conversation", async () => {
		const id = await conversation();
		expect(failure(await assign(outsider, id, outsider.id!))).toMatchObject({ code: 'PT404' });
		expect(failure(await assign(outsider, id, null))).toMatchObject({ code: 'PT404' });
		expect(await assigneeOf(id)).toBeNull();
		const seen = rowsOf(
			await commitAs(
				stack.db,
				outsider,
				'select id from public.inbox_conversations($1, view => $2)',
				[tenantId, 'unassigned']
			)
		);
		expect(seen).toEqual([]);
	});

	it("this workspace's owner cannot assign the other workspace's conversation", async () => {
		const theirs = await conversation('Tomás Theirs', otherTenantId);
		expect(failure(await assign(owner, theirs, owner.id!))).toMatchObject({ code: 'PT404' });
		expect(failure(await assign(owner, theirs, outsider.id!))).toMatchObject({ code: 'PT404' });
		expect(await assigneeOf(theirs)).toBeNull();
	});

	it('anonymous callers cannot call the function', async () => {
		const id = await conversation();
		const outcome = await commitAs(stack.db, anon, 'select public.assign_conversation($1, null)', [
			id
		]);
		expect(failure(outcome)).toMatchObject({ code: '42501' });
	});
});

describe('the assignee is told', () => {
	it('assigning someone else notifies them with a sentence naming the customer', async () => {
		const id = await conversation('Carmen Ruiz');
		rowsOf(await assign(admin, id, agent.id!));
		expect(await notificationsFor(agent, id)).toEqual([
			{
				kind: 'assignment',
				title: 'Adam Admin assigned you the conversation with Carmen Ruiz',
				body: 'Is my order on its way?'
			}
		]);
		expect(await notificationsFor(admin, id)).toEqual([]);
	});

	it('taking a conversation for oneself notifies nobody', async () => {
		const id = await conversation('Diego Self');
		rowsOf(await assign(agent, id, agent.id!));
		rowsOf(await assign(admin, id, admin.id!));
		expect(await notificationsFor(agent, id)).toEqual([]);
		expect(await notificationsFor(admin, id)).toEqual([]);
		const { rows } = await stack.db.query<{ count: string }>(
			`select count(*) from public.notifications where conversation_id = $1`,
			[id]
		);
		expect(Number(rows[0].count)).toBe(0);
	});

	it('the notification reaches the assignee on their own topic', async () => {
		const id = await conversation('Elena Live');
		rowsOf(await assign(owner, id, otherAgent.id!));
		const { rows } = await stack.db.query<{ payload: { record: { kind: string } } }>(
			`select payload from realtime.messages
			 where topic = $1 and event = 'notifications' order by ${broadcastsNewestFirst} limit 1`,
			[`user:${otherAgent.id}`]
		);
		expect(rows[0].payload.record.kind).toBe('assignment');
	});
});

describe('views, escalations and replies', () => {
	let t: string;
	let mine: string, theirs: string, escalated: string, free: string;
	beforeAll(async () => {
		const viewOwner = await createUser(stack.db, 'views-owner@example.test');
		const viewAgent = await createUser(stack.db, 'views-agent@example.test');
		const viewOther = await createUser(stack.db, 'views-other@example.test');
		({ tenantId: t } = await workspaceWithTwilioNumber(stack.db, viewOwner, 'assignment-views', [
			[viewAgent, 'agent'],
			[viewOther, 'agent']
		]));
		agentInViews = viewAgent;
		otherInViews = viewOther;
		mine = await conversation('Mina Mine', t);
		theirs = await conversation('Theo Theirs', t);
		escalated = await conversation('Esme Escalated', t);
		free = await conversation('Fred Free', t);
		rowsOf(await assign(viewAgent, mine, viewAgent.id!));
		rowsOf(await assign(viewOther, theirs, viewOther.id!));
		await stack.db.query(`select public.ai_escalate($1, 'The customer asked for a refund.')`, [
			escalated
		]);
	});
	let agentInViews: Actor, otherInViews: Actor;

	async function view(name: string | null) {
		const rows = rowsOf(
			await commitAs<{ id: string; assignee_name: string | null }>(
				stack.db,
				agentInViews,
				'select id, assignee_name from public.inbox_conversations($1, view => $2)',
				[t, name]
			)
		);
		return rows.map((row) => row.id).sort();
	}

	it('Mine, Unassigned, All and Escalated hold what they say, with counts to match', async () => {
		expect(await view('mine')).toEqual([mine]);
		expect(await view('unassigned')).toEqual([escalated, free].sort());
		expect(await view('all')).toEqual([mine, theirs, escalated, free].sort());
		expect(await view(null)).toEqual(await view('all'));
		expect(await view('escalated')).toEqual([escalated]);
		const [counts] = rowsOf(
			await commitAs(stack.db, agentInViews, 'select * from public.inbox_view_counts($1)', [t])
		);
		expect(counts).toEqual({
			mine: 1,
			unassigned: 2,
			all_conversations: 4,
			escalated: 1,
			snoozed: 0
		});
	});

	it("each row names its assignee, and a teammate's Mine is their own", async () => {
		const rows = rowsOf(
			await commitAs<{ id: string; assignee_name: string | null }>(
				stack.db,
				otherInViews,
				'select id, assignee_name from public.inbox_conversations($1, view => $2)',
				[t, 'mine']
			)
		);
		expect(rows).toEqual([{ id: theirs, assignee_name: 'views-other' }]);
	});

	it('an AI hand-over stays unassigned and escalated until AI is turned back on', async () => {
		const { rows } = await stack.db.query<{
			assignee_id: string | null;
			escalated_at: string | null;
			ai_active: boolean;
		}>('select assignee_id, escalated_at, ai_active from public.conversations where id = $1', [
			escalated
		]);
		expect(rows[0]).toMatchObject({ assignee_id: null, ai_active: false });
		expect(rows[0].escalated_at).not.toBeNull();
		const probe = await conversation('Paula Probe', t);
		await stack.db.query(`select public.ai_escalate($1, 'Wants a person.')`, [probe]);
		rowsOf(
			await commitAs(
				stack.db,
				agentInViews,
				'update public.conversations set ai_active = true where id = $1',
				[probe]
			)
		);
		const after = await stack.db.query<{ escalated_at: string | null }>(
			'select escalated_at from public.conversations where id = $1',
			[probe]
		);
		expect(after.rows[0].escalated_at).toBeNull();
	});

	it("a member's reply in an unassigned conversation makes it theirs, not in a teammate's", async () => {
		const unassigned = await conversation('Rita Reply', t);
		rowsOf(
			await commitAs(stack.db, agentInViews, 'select public.queue_outbound_message($1, $2)', [
				unassigned,
				'On its way, Rita.'
			])
		);
		expect(await assigneeOf(unassigned)).toBe(agentInViews.id);
		rowsOf(
			await commitAs(stack.db, agentInViews, 'select public.queue_outbound_message($1, $2)', [
				theirs,
				'Jumping in here.'
			])
		);
		expect(await assigneeOf(theirs)).toBe(otherInViews.id);
	});
});

describe('the inbox broadcast carries the assignee', () => {
	it('assigning sends the row with the assignee and their name on the tenant topic', async () => {
		const id = await conversation('Bea Broadcast');
		rowsOf(await assign(admin, id, agent.id!));
		const { rows } = await stack.db.query<{
			payload: { record: Record<string, unknown>; old_record: Record<string, unknown> };
		}>(
			`select payload from realtime.messages
			 where topic = $1 and event = 'conversations' order by ${broadcastsNewestFirst} limit 1`,
			[`tenant:${tenantId}`]
		);
		expect(rows[0].payload.record).toMatchObject({
			id,
			assignee_id: agent.id,
			assignee_name: 'Alba Agent',
			contact_name: 'Bea Broadcast'
		});
		expect(rows[0].payload.old_record).toMatchObject({ id, assignee_id: null });
	});
});
