import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	anon,
	attempt,
	broadcastsNewestFirst,
	commitAs,
	createUser,
	failure,
	rowsOf,
	type Actor,
	workspaceWithTwilioNumber
} from './support.ts';

// Labels belong to a workspace: owners and admins keep the list, every member puts them on and
// takes them off conversations, the inbox filters by one, and another workspace reaches none.

let stack: TestStack;
let owner: Actor, admin: Actor, agent: Actor, outsider: Actor;
let tenantId: string, numberId: string, otherTenantId: string, otherNumberId: string;

beforeAll(async () => {
	stack = await startTestStack({ snoozeWakeEveryMs: 0 });
	owner = await createUser(stack.db, 'labels-owner@example.test', { display_name: 'Olga Owner' });
	admin = await createUser(stack.db, 'labels-admin@example.test', { display_name: 'Abe Admin' });
	agent = await createUser(stack.db, 'labels-agent@example.test', { display_name: 'Ava Agent' });
	outsider = await createUser(stack.db, 'labels-outsider@example.test');
	({ tenantId, numberId } = await workspaceWithTwilioNumber(stack.db, owner, 'labels', [
		[admin, 'admin'],
		[agent, 'agent']
	]));
	({ tenantId: otherTenantId, numberId: otherNumberId } = await workspaceWithTwilioNumber(
		stack.db,
		outsider,
		'labels-other',
		[]
	));
});
afterAll(() => stack?.close());

let contactCount = 0;
/** A customer's conversation as the webhook leaves it. */
async function conversation(name: string, tenant = tenantId, number = numberId): Promise<string> {
	contactCount += 1;
	const { rows } = await stack.db.query<{ id: string }>(
		`with contact as (
			insert into public.contacts (tenant_id, wa_id, profile_name)
			values ($1, '1415777' || lpad($3::text, 4, '0'), $4) returning id
		)
		insert into public.conversations (tenant_id, number_id, contact_id, last_message_at, last_inbound_at)
		select $1, $2, id, now(), now() from contact returning id`,
		[tenant, number, contactCount, name]
	);
	return rows[0].id;
}

const insertLabel = `insert into public.labels (tenant_id, name, colour) values ($1, $2, $3)
	returning id, name, colour`;

async function createLabel(actor: Actor, name: string, colour = 'slate', tenant = tenantId) {
	const [label] = rowsOf(
		await commitAs<{ id: string; name: string; colour: string }>(stack.db, actor, insertLabel, [
			tenant,
			name,
			colour
		])
	);
	return label;
}

function label(actor: Actor, conversationId: string, labelId: string) {
	return commitAs<{ label_ids: string[] }>(
		stack.db,
		actor,
		'select label_ids from public.label_conversation($1, $2)',
		[conversationId, labelId]
	);
}

function unlabel(actor: Actor, conversationId: string, labelId: string) {
	return commitAs<{ label_ids: string[] }>(
		stack.db,
		actor,
		'select label_ids from public.unlabel_conversation($1, $2)',
		[conversationId, labelId]
	);
}

async function labelsOf(conversationId: string): Promise<string[]> {
	const { rows } = await stack.db.query<{ label_ids: string[] }>(
		'select label_ids from public.conversations where id = $1',
		[conversationId]
	);
	return rows[0].label_ids;
}

describe('keeping the list', () => {
	it('an admin creates a label, trimmed, and every member reads it; the outsider does not', async () => {
		const vip = await createLabel(admin, '  VIP   customer ', 'violet');
		expect(vip).toMatchObject({ name: 'VIP customer', colour: 'violet' });
		for (const member of [owner, admin, agent]) {
			const seen = rowsOf(
				await attempt<{ name: string }>(
					stack.db,
					member,
					'select name from public.labels where tenant_id = $1',
					[tenantId]
				)
			);
			expect(seen.map((row) => row.name)).toContain('VIP customer');
		}
		const outsiderSees = await attempt(stack.db, outsider, 'select id from public.labels', []);
		expect(rowsOf(outsiderSees)).toEqual([]);
	});

	it('an owner renames and recolours a label; an admin deletes one', async () => {
		const lead = await createLabel(owner, 'Lead', 'sky');
		const [renamed] = rowsOf(
			await commitAs<{ name: string; colour: string }>(
				stack.db,
				owner,
				`update public.labels set name = 'Hot lead', colour = 'orange' where id = $1 returning name, colour`,
				[lead.id]
			)
		);
		expect(renamed).toEqual({ name: 'Hot lead', colour: 'orange' });
		const deleted = await commitAs(
			stack.db,
			admin,
			'delete from public.labels where id = $1 returning id',
			[lead.id]
		);
		expect(rowsOf(deleted)).toHaveLength(1);
	});

	it('an agent can neither create, rename nor delete a label', async () => {
		const kept = await createLabel(admin, 'Wholesale', 'teal');
		expect(
			failure(await attempt(stack.db, agent, insertLabel, [tenantId, 'Mine', 'red']))
		).toMatchObject({ code: '42501' });
		const renamed = await attempt(
			stack.db,
			agent,
			`update public.labels set name = 'Retail' where id = $1 returning id`,
			[kept.id]
		);
		expect(rowsOf(renamed)).toEqual([]);
		const deleted = await attempt(
			stack.db,
			agent,
			'delete from public.labels where id = $1 returning id',
			[kept.id]
		);
		expect(rowsOf(deleted)).toEqual([]);
		const { rows } = await stack.db.query('select name from public.labels where id = $1', [
			kept.id
		]);
		expect(rows).toEqual([{ name: 'Wholesale' }]);
	});

	it("another workspace's owner cannot add a label to this workspace", async () => {
		expect(
			failure(await attempt(stack.db, outsider, insertLabel, [tenantId, 'Sneaky', 'red']))
		).toMatchObject({ code: '42501' });
	});

	it('a name is unique in a workspace whatever its case, yet free in another workspace', async () => {
		await createLabel(admin, 'Refund', 'red');
		expect(
			failure(await attempt(stack.db, owner, insertLabel, [tenantId, 'REFUND', 'amber']))
		).toEqual({
			code: '23505',
			message: 'This workspace already has a label called REFUND; choose another name.'
		});
		expect((await createLabel(outsider, 'refund', 'red', otherTenantId)).name).toBe('refund');
	});

	it('bad names and colours are refused in sentences, and nothing is stored', async () => {
		const cases: [string, string, string][] = [
			['   ', 'green', 'A label needs a name of 1 to 40 characters.'],
			['x'.repeat(41), 'green', 'A label needs a name of 1 to 40 characters.'],
			[
				'Fine',
				'chartreuse',
				'chartreuse is not one of the label colours. Choose slate, red, orange, amber, green, teal, sky, indigo, violet or pink.'
			]
		];
		for (const [name, colour, message] of cases) {
			expect(
				failure(await attempt(stack.db, admin, insertLabel, [tenantId, name, colour]))
			).toEqual({ code: '22023', message });
		}
		// Postgres text holds no NUL: such a name never reaches the table.
		expect(
			failure(await attempt(stack.db, admin, insertLabel, [tenantId, 'Bad\u0000name', 'red']))
		).not.toBe('succeeded');
		const { rows } = await stack.db.query(
			`select name from public.labels where tenant_id = $1 and name in ('Fine', 'Badname')`,
			[tenantId]
		);
		expect(rows).toEqual([]);
	});

	it('a label cannot move to another workspace', async () => {
		const moving = await createLabel(owner, 'Moving', 'pink');
		// The owner is also an owner of a workspace of their own.
		const { tenantId: ownersOther } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			'labels-owners-other',
			[]
		);
		const outcome = await attempt(
			stack.db,
			owner,
			'update public.labels set tenant_id = $2 where id = $1',
			[moving.id, ownersOther]
		);
		expect(failure(outcome)).toMatchObject({ code: '42501' });
	});
});

describe('applying labels', () => {
	it('an agent applies and removes a label; twice is no error and no duplicate', async () => {
		const id = await conversation('Ana Label');
		const vip = await createLabel(admin, 'Priority', 'red');
		expect(rowsOf(await label(agent, id, vip.id))[0].label_ids).toEqual([vip.id]);
		expect(rowsOf(await label(agent, id, vip.id))[0].label_ids).toEqual([vip.id]);
		expect(rowsOf(await unlabel(agent, id, vip.id))[0].label_ids).toEqual([]);
		expect(rowsOf(await unlabel(agent, id, vip.id))[0].label_ids).toEqual([]);
	});

	it('nobody writes label_ids directly: the functions are the only way', async () => {
		const id = await conversation('Dora Direct');
		const { id: labelId } = await createLabel(admin, 'Direct', 'slate');
		const direct = await commitAs(
			stack.db,
			owner,
			'update public.conversations set label_ids = array[$2::uuid] where id = $1',
			[id, labelId]
		);
		expect(failure(direct)).toMatchObject({ code: '42501' });
		expect(await labelsOf(id)).toEqual([]);
	});

	it("another workspace's member can neither apply nor remove this workspace's labels", async () => {
		const id = await conversation('Olly Other');
		const ours = await createLabel(admin, 'Ours', 'green');
		rowsOf(await label(agent, id, ours.id));
		expect(failure(await label(outsider, id, ours.id))).toMatchObject({ code: 'PT404' });
		expect(failure(await unlabel(outsider, id, ours.id))).toMatchObject({ code: 'PT404' });
		expect(await labelsOf(id)).toEqual([ours.id]);
		// Nor can this workspace's owner put the other workspace's label on its conversation.
		const theirs = await createLabel(outsider, 'Theirs', 'red', otherTenantId);
		expect(failure(await label(owner, id, theirs.id))).toEqual({
			code: 'PT404',
			message:
				'That label was not found in this workspace. It may have been deleted; reload to see the current labels.'
		});
		const theirConversation = await conversation('Tess Theirs', otherTenantId, otherNumberId);
		expect(failure(await label(owner, theirConversation, ours.id))).toMatchObject({
			code: 'PT404'
		});
		expect(await labelsOf(theirConversation)).toEqual([]);
	});

	it('anonymous callers cannot call the functions', async () => {
		const id = await conversation('Anna Anon');
		const ours = await createLabel(admin, 'Anon probe', 'green');
		expect(
			failure(
				await commitAs(stack.db, anon, 'select public.label_conversation($1, $2)', [id, ours.id])
			)
		).toMatchObject({ code: '42501' });
	});

	it('a conversation carries at most 20 labels, said in a sentence', async () => {
		const id = await conversation('Max Many');
		for (let i = 0; i < 20; i += 1) {
			const { id: labelId } = await createLabel(admin, `Many ${i}`, 'slate');
			rowsOf(await label(agent, id, labelId));
		}
		const extra = await createLabel(admin, 'One too many', 'slate');
		expect(failure(await label(agent, id, extra.id))).toEqual({
			code: '22023',
			message: 'A conversation can carry at most 20 labels. Remove one before adding another.'
		});
		expect(await labelsOf(id)).toHaveLength(20);
	});

	it('deleting a label takes it off every conversation, and the inbox hears of it', async () => {
		const a = await conversation('Ben Both');
		const b = await conversation('Cleo Both');
		const gone = await createLabel(admin, 'Temporary', 'amber');
		const stays = await createLabel(admin, 'Stays', 'teal');
		for (const id of [a, b]) {
			rowsOf(await label(agent, id, gone.id));
			rowsOf(await label(agent, id, stays.id));
		}
		rowsOf(await commitAs(stack.db, admin, 'delete from public.labels where id = $1', [gone.id]));
		expect(await labelsOf(a)).toEqual([stays.id]);
		expect(await labelsOf(b)).toEqual([stays.id]);
		const { rows } = await stack.db.query<{ payload: { record: { label_ids: string[] } } }>(
			`select payload from realtime.messages
			 where topic = $1 and event = 'conversations' and payload -> 'record' ->> 'id' = $2
			 order by ${broadcastsNewestFirst} limit 1`,
			[`tenant:${tenantId}`, b]
		);
		expect(rows[0].payload.record.label_ids).toEqual([stays.id]);
	});
});

describe('the label rows the filter joins', () => {
	async function labelRows(actor?: Actor, conversationId?: string) {
		const sql = `select label_id, conversation_id, tenant_id from public.conversation_labels
			${conversationId ? 'where conversation_id = $1' : ''} order by label_id`;
		const params = conversationId ? [conversationId] : [];
		if (!actor) return (await stack.db.query(sql, params)).rows;
		return rowsOf(await commitAs(stack.db, actor, sql, params));
	}

	it('follow label_ids as labels are applied, removed and deleted, and as conversations go', async () => {
		const id = await conversation('Rita Rows');
		const first = await createLabel(admin, 'Rows one', 'slate');
		const second = await createLabel(admin, 'Rows two', 'teal');
		rowsOf(await label(agent, id, first.id));
		rowsOf(await label(agent, id, second.id));
		expect(await labelRows(undefined, id)).toEqual(
			[first.id, second.id].sort().map((labelId) => ({
				label_id: labelId,
				conversation_id: id,
				tenant_id: tenantId
			}))
		);
		rowsOf(await unlabel(agent, id, first.id));
		expect((await labelRows(undefined, id)).map((row) => row.label_id)).toEqual([second.id]);
		rowsOf(await commitAs(stack.db, admin, 'delete from public.labels where id = $1', [second.id]));
		expect(await labelRows(undefined, id)).toEqual([]);

		const again = await createLabel(admin, 'Rows three', 'sky');
		rowsOf(await label(agent, id, again.id));
		await stack.db.query('delete from public.conversations where id = $1', [id]);
		expect(await labelRows(undefined, id)).toEqual([]);
	});

	it('a conversation stored with labels has its rows from the start', async () => {
		const tagged = await createLabel(admin, 'From the start', 'violet');
		const { rows } = await stack.db.query<{ id: string }>(
			`with contact as (
				insert into public.contacts (tenant_id, wa_id, profile_name)
				values ($1, '14157779999', 'Sam Start') returning id
			)
			insert into public.conversations (tenant_id, number_id, contact_id, label_ids)
			select $1, $2, id, array[$3::uuid] from contact returning id`,
			[tenantId, numberId, tagged.id]
		);
		expect((await labelRows(undefined, rows[0].id)).map((row) => row.label_id)).toEqual([
			tagged.id
		]);
	});

	it("members read their workspace's rows only, and nobody writes them", async () => {
		const id = await conversation('Walt Walls');
		const walls = await createLabel(admin, 'Walls', 'orange');
		rowsOf(await label(agent, id, walls.id));
		expect((await labelRows(agent, id)).map((row) => row.label_id)).toEqual([walls.id]);
		expect(await labelRows(outsider, id)).toEqual([]);
		const forged = await commitAs(
			stack.db,
			owner,
			'insert into public.conversation_labels (label_id, conversation_id, tenant_id) values ($1, $2, $3)',
			[walls.id, id, tenantId]
		);
		expect(failure(forged)).toMatchObject({ code: '42501' });
		const removed = await commitAs(
			stack.db,
			owner,
			'delete from public.conversation_labels where conversation_id = $1',
			[id]
		);
		expect(failure(removed)).toMatchObject({ code: '42501' });
		const anonymous = await attempt(stack.db, anon, 'select * from public.conversation_labels');
		expect(failure(anonymous)).toMatchObject({ code: '42501' });
		expect((await labelRows(undefined, id)).map((row) => row.label_id)).toEqual([walls.id]);
	});

	it("with a label, each view's count holds what that view lists", async () => {
		const { tenantId: t, numberId: n } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			'labels-counts',
			[[agent, 'agent']]
		);
		const urgent = await createLabel(owner, 'Urgent', 'red', t);
		const ids = {
			mine: await conversation('Mia Mine', t, n),
			escalated: await conversation('Eli Escalated', t, n),
			snoozed: await conversation('Sid Snoozed', t, n),
			plain: await conversation('Pia Plain', t, n)
		};
		await conversation('Una Unlabelled', t, n);
		for (const id of Object.values(ids)) rowsOf(await label(agent, id, urgent.id));
		await stack.db.query(
			`update public.conversations set assignee_id = $2, assigned_at = now() where id = $1`,
			[ids.mine, agent.id]
		);
		await stack.db.query(`update public.conversations set escalated_at = now() where id = $1`, [
			ids.escalated
		]);
		await stack.db.query(
			`update public.conversations set snoozed_until = now() + interval '1 day' where id = $1`,
			[ids.snoozed]
		);
		/** Each view's count under the label beside the length of that view's list, as the agent. */
		async function countsAndLists(status: string | null = null) {
			const [counts] = rowsOf(
				await commitAs(
					stack.db,
					agent,
					'select * from public.inbox_view_counts($1, status => $2, label_id => $3)',
					[t, status, urgent.id]
				)
			);
			const listed: Record<string, number> = {};
			for (const view of ['mine', 'unassigned', 'all', 'escalated', 'snoozed']) {
				listed[view] = rowsOf(
					await commitAs(
						stack.db,
						agent,
						`select id from public.inbox_conversations($1, status => $2, view => $3,
							label_id => $4, page_size => 100)`,
						[t, status, view, urgent.id]
					)
				).length;
			}
			const { all_conversations, ...rest } = counts as Record<string, number>;
			return { counts: { ...rest, all: all_conversations }, listed };
		}

		let seen = await countsAndLists();
		expect(seen.listed).toEqual({ mine: 1, unassigned: 2, all: 3, escalated: 1, snoozed: 1 });
		expect(seen.counts).toEqual(seen.listed);

		// The counts read the label's own rows: each change to a labelled conversation reaches them,
		// also a column a trigger changes (a customer's message ends a snooze).
		await stack.db.query(
			`update public.conversations set assignee_id = null, status = 'closed' where id = $1`,
			[ids.mine]
		);
		await stack.db.query(`update public.conversations set assignee_id = $2 where id = $1`, [
			ids.plain,
			agent.id
		]);
		await stack.db.query(
			`update public.conversations set last_message_at = now(), last_message_direction = 'inbound'
			where id = $1`,
			[ids.snoozed]
		);
		seen = await countsAndLists();
		expect(seen.listed).toEqual({ mine: 1, unassigned: 3, all: 4, escalated: 1, snoozed: 0 });
		expect(seen.counts).toEqual(seen.listed);
		seen = await countsAndLists('closed');
		expect(seen.listed).toEqual({ mine: 0, unassigned: 1, all: 1, escalated: 0, snoozed: 0 });
		expect(seen.counts).toEqual(seen.listed);

		// Turning AI back on ends the escalation (a trigger clears it).
		await stack.db.query(`update public.conversations set ai_active = false where id = $1`, [
			ids.escalated
		]);
		await stack.db.query(`update public.conversations set ai_active = true where id = $1`, [
			ids.escalated
		]);
		// A label put on after the changes starts with the conversation's columns as they are.
		rowsOf(await unlabel(agent, ids.plain, urgent.id));
		rowsOf(await label(agent, ids.plain, urgent.id));
		seen = await countsAndLists('open');
		expect(seen.listed).toEqual({ mine: 1, unassigned: 2, all: 3, escalated: 0, snoozed: 0 });
		seen = await countsAndLists();
		expect(seen.listed).toEqual({ mine: 1, unassigned: 3, all: 4, escalated: 0, snoozed: 0 });
		expect(seen.counts).toEqual(seen.listed);
		expect(seen.counts).toEqual(seen.listed);
	});
});

describe('live and filtered', () => {
	it('a renamed label reaches the workspace topic; applying one reaches it with the row', async () => {
		const id = await conversation('Lia Live');
		const live = await createLabel(admin, 'Live', 'sky');
		rowsOf(
			await commitAs(stack.db, admin, `update public.labels set name = 'Live now' where id = $1`, [
				live.id
			])
		);
		const renamed = await stack.db.query<{
			payload: { operation: string; record: { name: string } };
		}>(
			`select payload from realtime.messages where topic = $1 and event = 'labels'
			 order by ${broadcastsNewestFirst} limit 1`,
			[`tenant:${tenantId}`]
		);
		expect(renamed.rows[0].payload).toMatchObject({
			operation: 'UPDATE',
			record: { name: 'Live now' }
		});
		rowsOf(await label(agent, id, live.id));
		const applied = await stack.db.query<{
			payload: { record: { label_ids: string[]; contact_name: string } };
		}>(
			`select payload from realtime.messages where topic = $1 and event = 'conversations'
			 order by ${broadcastsNewestFirst} limit 1`,
			[`tenant:${tenantId}`]
		);
		expect(applied.rows[0].payload.record).toMatchObject({
			label_ids: [live.id],
			contact_name: 'Lia Live'
		});
	});

	it('the inbox filters by a label, with counts to match, for members only', async () => {
		const { tenantId: t, numberId: n } = await workspaceWithTwilioNumber(
			stack.db,
			owner,
			'labels-filter',
			[[agent, 'agent']]
		);
		const billing = await createLabel(owner, 'Billing', 'indigo', t);
		const tagged = await conversation('Tina Tagged', t, n);
		await conversation('Ulla Untagged', t, n);
		rowsOf(await label(agent, tagged, billing.id));
		const rows = rowsOf(
			await commitAs<{ id: string; label_ids: string[] }>(
				stack.db,
				agent,
				`select id, label_ids from public.inbox_conversations($1, view => 'all', label_id => $2)`,
				[t, billing.id]
			)
		);
		expect(rows).toEqual([{ id: tagged, label_ids: [billing.id] }]);
		const everything = rowsOf(
			await commitAs(
				stack.db,
				agent,
				`select id from public.inbox_conversations($1, view => 'all')`,
				[t]
			)
		);
		expect(everything).toHaveLength(2);
		const [counts] = rowsOf(
			await commitAs(
				stack.db,
				agent,
				'select * from public.inbox_view_counts($1, label_id => $2)',
				[t, billing.id]
			)
		);
		expect(counts).toMatchObject({ all_conversations: 1, unassigned: 1, mine: 0 });
		const outsiderRows = rowsOf(
			await commitAs(
				stack.db,
				outsider,
				`select id from public.inbox_conversations($1, view => 'all', label_id => $2)`,
				[t, billing.id]
			)
		);
		expect(outsiderRows).toEqual([]);
	});
});
