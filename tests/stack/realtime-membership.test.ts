import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { Inbox, subscribed } from '../support/clients.ts';

let stack: TestStack;
const clients: SupabaseClient[] = [];

beforeAll(async () => {
	stack = await startTestStack();
});

afterAll(async () => {
	for (const client of clients) await client.removeAllChannels();
	await stack?.close();
});

/** Signs a new person up through Auth and gives back a client acting as them. */
async function signedUp(
	name: string
): Promise<{ client: SupabaseClient; id: string; email: string }> {
	const email = `${name}-${randomUUID().slice(0, 8)}@example.test`;
	const client = createClient(stack.url, stack.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
		realtime: { transport: WebSocket as never }
	});
	clients.push(client);
	const { data, error } = await client.auth.signUp({ email, password: 'correct-horse-1' });
	if (error || !data.session || !data.user) throw error ?? new Error('sign-up gave no session');
	await client.realtime.setAuth(data.session.access_token);
	return { client, id: data.user.id, email };
}

type Broadcast = { event: string; payload: Record<string, unknown> };

async function broadcast(topic: string, event: string): Promise<void> {
	await stack.db.query(`select realtime.send($1::jsonb, $2, $3)`, [
		JSON.stringify({ event }),
		event,
		topic
	]);
}

describe('realtime: membership changes reach open channels', () => {
	it("a removed member's channel on tenant:<id> is closed and receives nothing more", async () => {
		const owner = await signedUp('owner');
		const agent = await signedUp('agent');

		const { data: tenant, error: createError } = await owner.client
			.rpc('create_tenant', { name: 'Realtime Team', slug: `rt-${randomUUID().slice(0, 8)}` })
			.single<{ id: string }>();
		expect(createError).toBeNull();
		const { data: token } = await owner.client.rpc('invite_member', {
			tenant_id: tenant!.id,
			email: agent.email,
			role: 'agent'
		});
		const { error: acceptError } = await agent.client.rpc('accept_invitation', { token });
		expect(acceptError).toBeNull();

		const tenantTopic = `tenant:${tenant!.id}`;
		const userTopic = `user:${agent.id}`;
		const tenantInbox = new Inbox<Broadcast>();
		const system = new Inbox<{ message: string; status: string }>();
		const tenantChannel = agent.client.channel(tenantTopic, { config: { private: true } });
		tenantChannel.on('broadcast', { event: '*' }, tenantInbox.push);
		tenantChannel.on('system', {}, system.push);
		const userInbox = new Inbox<Broadcast>();
		const userChannel = agent.client.channel(userTopic, { config: { private: true } });
		userChannel.on('broadcast', { event: '*' }, userInbox.push);
		await Promise.all([subscribed(tenantChannel), subscribed(userChannel)]);

		await broadcast(tenantTopic, 'before-removal');
		expect((await tenantInbox.next()).event).toBe('before-removal');

		const { error: removeError } = await owner.client.rpc('remove_member', {
			tenant_id: tenant!.id,
			user_id: agent.id
		});
		expect(removeError).toBeNull();
		expect(await system.next()).toMatchObject({
			status: 'error',
			message: `You no longer have permission to read from this Channel topic: ${tenantTopic}`
		});

		// Both topics share one socket, and broadcasts go out in commit order: once the user-topic
		// marker arrives, a tenant broadcast sent before it would already have arrived too. (The
		// removal itself tells user:<id> first, so the marker is not the topic's only message.)
		await broadcast(tenantTopic, 'after-removal');
		await broadcast(userTopic, 'marker');
		await expect.poll(() => userInbox.items.map((item) => item.event)).toContain('marker');
		expect(tenantInbox.items.map((item) => item.event)).toEqual(['before-removal']);
	});

	it('a member whose role changes keeps their tenant channel', async () => {
		const owner = await signedUp('owner');
		const agent = await signedUp('agent');
		const { data: tenant } = await owner.client
			.rpc('create_tenant', { name: 'Role Team', slug: `rr-${randomUUID().slice(0, 8)}` })
			.single<{ id: string }>();
		const { data: token } = await owner.client.rpc('invite_member', {
			tenant_id: tenant!.id,
			email: agent.email,
			role: 'agent'
		});
		await agent.client.rpc('accept_invitation', { token });

		const tenantTopic = `tenant:${tenant!.id}`;
		const inbox = new Inbox<Broadcast>();
		const channel = agent.client.channel(tenantTopic, { config: { private: true } });
		channel.on('broadcast', { event: '*' }, inbox.push);
		await subscribed(channel);

		const { error } = await owner.client.rpc('change_member_role', {
			tenant_id: tenant!.id,
			user_id: agent.id,
			role: 'admin'
		});
		expect(error).toBeNull();
		await broadcast(tenantTopic, 'still-here');
		expect((await inbox.next()).event).toBe('still-here');
	});
});
