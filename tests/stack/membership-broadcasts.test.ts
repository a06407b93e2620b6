import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { startTestStack, type TestClient, type TestStack } from '../support/stack.ts';
import { Inbox, subscribed } from '../support/clients.ts';

// A member's open tabs follow their membership: a role change or a removal is broadcast on the
// person's own topic, user:<id>, event `membership`, by the database itself. Real clients over
// the local Realtime socket, as the app's tabs are.

let stack: TestStack;
const clients: TestClient[] = [];

beforeAll(async () => {
	stack = await startTestStack();
});

afterAll(async () => {
	for (const client of clients) await client.removeAllChannels();
	await stack?.close();
});

interface Person {
	client: TestClient;
	id: string;
	email: string;
}

type Broadcast = { event: string; payload: Record<string, unknown> };

/** Signs a new person up through Auth and gives back a client acting as them. */
async function signedUp(name: string): Promise<Person> {
	const email = `${name}-${randomUUID().slice(0, 8)}@example.test`;
	const client = stack.client();
	clients.push(client);
	const { data, error } = await client.auth.signUp({ email, password: 'correct-horse-1' });
	if (error || !data.session || !data.user) throw error ?? new Error('sign-up gave no session');
	await client.realtime.setAuth(data.session.access_token);
	return { client, id: data.user.id, email };
}

/** A workspace of `owner`'s with these people in it, each joined through an accepted invitation. */
async function workspace(owner: Person, members: [Person, 'admin' | 'agent'][]): Promise<string> {
	const { data: tenant, error } = await owner.client.rpc('create_tenant', {
		name: 'Broadcast Team',
		slug: `mb-${randomUUID().slice(0, 8)}`
	});
	if (error || !tenant) throw error ?? new Error('no tenant');
	for (const [member, role] of members) {
		const { data: token, error: inviteError } = await owner.client.rpc('invite_member', {
			tenant_id: tenant.id,
			email: member.email,
			role
		});
		if (inviteError || !token) throw inviteError ?? new Error('no invitation token');
		const { error: acceptError } = await member.client.rpc('accept_invitation', { token });
		if (acceptError) throw acceptError;
	}
	return tenant.id;
}

/** Joins `topic` as `person`, collecting what arrives. */
async function listen(person: Person, topic = `user:${person.id}`) {
	const inbox = new Inbox<Broadcast>();
	const channel: RealtimeChannel = person.client.channel(topic, { config: { private: true } });
	channel.on('broadcast', { event: '*' }, inbox.push);
	await subscribed(channel);
	return inbox;
}

/**
 * Waits until `inbox` (on user:<person>) receives a marker sent now, and gives back everything that
 * arrived before it: broadcasts go out in commit order, so a membership event sent earlier would
 * be among them.
 */
async function receivedBefore(person: Person, inbox: Inbox<Broadcast>): Promise<string[]> {
	const marker = `marker-${randomUUID().slice(0, 8)}`;
	await stack.db.query(`select realtime.send($1::jsonb, $2, $3)`, [
		JSON.stringify({}),
		marker,
		`user:${person.id}`
	]);
	for (;;) {
		const item = await inbox.next();
		if (item.event === marker) break;
	}
	const index = inbox.items.findIndex((item) => item.event === marker);
	return inbox.items.slice(0, index).map((item) => item.event);
}

describe('membership broadcasts on user:<id>', () => {
	it("a role change reaches that member alone: not a teammate, not another workspace's member", async () => {
		const owner = await signedUp('owner');
		const agent = await signedUp('agent');
		const teammate = await signedUp('teammate');
		const otherOwner = await signedUp('other-owner');
		const outsider = await signedUp('outsider');
		const tenantId = await workspace(owner, [
			[agent, 'agent'],
			[teammate, 'agent']
		]);
		await workspace(otherOwner, [[outsider, 'agent']]);

		const agentInbox = await listen(agent);
		const teammateInbox = await listen(teammate);
		const outsiderInbox = await listen(outsider);
		const ownerInbox = await listen(owner);

		const { error } = await owner.client.rpc('change_member_role', {
			tenant_id: tenantId,
			user_id: agent.id,
			role: 'admin'
		});
		expect(error).toBeNull();

		const received = await agentInbox.next();
		expect(received).toMatchObject({
			event: 'membership',
			payload: { tenant_id: tenantId, role: 'admin', left: false }
		});
		expect(await receivedBefore(teammate, teammateInbox)).toEqual([]);
		expect(await receivedBefore(outsider, outsiderInbox)).toEqual([]);
		expect(await receivedBefore(owner, ownerInbox)).toEqual([]);
	});

	it("nobody can join another person's user topic to read their membership changes", async () => {
		const owner = await signedUp('owner');
		const agent = await signedUp('agent');
		const outsider = await signedUp('outsider');
		await workspace(owner, [[agent, 'agent']]);

		await expect(listen(outsider, `user:${agent.id}`)).rejects.toThrow();
		// A teammate, even an owner, is no closer to it.
		await expect(listen(owner, `user:${agent.id}`)).rejects.toThrow();
	});

	it('saving the role someone already has sends nothing', async () => {
		const owner = await signedUp('owner');
		const agent = await signedUp('agent');
		const tenantId = await workspace(owner, [[agent, 'agent']]);
		const inbox = await listen(agent);

		const { error } = await owner.client.rpc('change_member_role', {
			tenant_id: tenantId,
			user_id: agent.id,
			role: 'agent'
		});
		expect(error).toBeNull();
		expect(await receivedBefore(agent, inbox)).toEqual([]);
	});

	it('a removal says the membership is gone; leaving says the person left', async () => {
		const owner = await signedUp('owner');
		const removed = await signedUp('removed');
		const leaver = await signedUp('leaver');
		const tenantId = await workspace(owner, [
			[removed, 'agent'],
			[leaver, 'admin']
		]);
		const removedInbox = await listen(removed);
		const leaverInbox = await listen(leaver);

		const { error: removeError } = await owner.client.rpc('remove_member', {
			tenant_id: tenantId,
			user_id: removed.id
		});
		expect(removeError).toBeNull();
		expect(await removedInbox.next()).toMatchObject({
			event: 'membership',
			payload: { tenant_id: tenantId, role: null, left: false }
		});

		const { error: leaveError } = await leaver.client.rpc('leave_tenant', { tenant_id: tenantId });
		expect(leaveError).toBeNull();
		expect(await leaverInbox.next()).toMatchObject({
			event: 'membership',
			payload: { tenant_id: tenantId, role: null, left: true }
		});
		// The removed person heard of their own removal only.
		expect(await receivedBefore(removed, removedInbox)).toEqual(['membership']);
	});

	it("a refused role change (an agent's attempt) sends nothing", async () => {
		const owner = await signedUp('owner');
		const agent = await signedUp('agent');
		const teammate = await signedUp('teammate');
		const tenantId = await workspace(owner, [
			[agent, 'agent'],
			[teammate, 'agent']
		]);
		const inbox = await listen(teammate);

		const { error } = await agent.client.rpc('change_member_role', {
			tenant_id: tenantId,
			user_id: teammate.id,
			role: 'admin'
		});
		expect(error?.message).toBe('Only owners and admins can change roles in this workspace.');
		expect(await receivedBefore(teammate, inbox)).toEqual([]);
	});
});
