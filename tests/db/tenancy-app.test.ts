import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';

// What the app's members and invitation pages rely on beyond the tenancy flows themselves.

let stack: TestStack;

beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

function newClient(): SupabaseClient {
	return createClient(stack.url, stack.anonKey, {
		auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
		realtime: { transport: WebSocket as never }
	});
}

async function signedUp(name: string) {
	const client = newClient();
	const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.test`;
	const { data, error } = await client.auth.signUp({
		email,
		password: 'correct-horse-1',
		options: { data: { display_name: name } }
	});
	if (error || !data.user) throw error ?? new Error('no user');
	return { client, email, id: data.user.id };
}

describe('invitation preview', () => {
	it('shows workspace, role, address and inviter for a valid token, to anyone holding it', async () => {
		const owner = await signedUp('Olivia');
		const slug = `prev-${randomUUID().slice(0, 8)}`;
		const { data: tenant } = await owner.client
			.rpc('create_tenant', { name: 'Preview Team', slug })
			.single<{ id: string }>();
		const { data: token } = await owner.client.rpc('invite_member', {
			tenant_id: tenant!.id,
			email: 'Guest@Example.test',
			role: 'admin'
		});

		const { data, error } = await newClient().rpc('invitation_preview', { token });
		expect(error).toBeNull();
		expect(data).toEqual([
			{
				tenant_name: 'Preview Team',
				tenant_slug: slug,
				email: 'guest@example.test',
				role: 'admin',
				invited_by_name: 'Olivia',
				expires_at: expect.any(String),
				accepted: false,
				expired: false
			}
		]);
	});

	it('reveals nothing for a token that matches no invitation, or for none', async () => {
		const anon = newClient();
		expect((await anon.rpc('invitation_preview', { token: 'f'.repeat(64) })).data).toEqual([]);
		expect((await anon.rpc('invitation_preview', { token: '' })).data).toEqual([]);
	});

	it('says an invitation was used once it is accepted', async () => {
		const owner = await signedUp('Owner');
		const guest = await signedUp('Guest');
		const { data: tenant } = await owner.client
			.rpc('create_tenant', { name: 'Used Team', slug: `used-${randomUUID().slice(0, 8)}` })
			.single<{ id: string }>();
		const { data: token } = await owner.client.rpc('invite_member', {
			tenant_id: tenant!.id,
			email: guest.email,
			role: 'agent'
		});
		expect((await guest.client.rpc('accept_invitation', { token })).error).toBeNull();
		const { data } = await newClient().rpc('invitation_preview', { token });
		expect(data).toMatchObject([{ accepted: true }]);
	});
});

describe('profile emails', () => {
	it("teammates see each other's email, and it follows a change of address", async () => {
		const owner = await signedUp('Owner');
		const agent = await signedUp('Agent');
		const { data: tenant } = await owner.client
			.rpc('create_tenant', { name: 'Mail Team', slug: `mail-${randomUUID().slice(0, 8)}` })
			.single<{ id: string }>();
		const { data: token } = await owner.client.rpc('invite_member', {
			tenant_id: tenant!.id,
			email: agent.email,
			role: 'agent'
		});
		await agent.client.rpc('accept_invitation', { token });

		const emailSeenByOwner = async () =>
			(await owner.client.from('profiles').select('email').eq('id', agent.id).single()).data?.email;
		expect(await emailSeenByOwner()).toBe(agent.email);

		await stack.db.query(`update auth.users set email = $1 where id = $2`, [
			`renamed-${agent.email}`,
			agent.id
		]);
		expect(await emailSeenByOwner()).toBe(`renamed-${agent.email}`);
	});

	it('a stranger sees no profile, so no email', async () => {
		const owner = await signedUp('Owner');
		const stranger = await signedUp('Stranger');
		const { data } = await stranger.client.from('profiles').select('email').eq('id', owner.id);
		expect(data).toEqual([]);
	});
});

describe('dev mailbox', () => {
	it('accepts a mail from the app and lists it with the others', async () => {
		const posted = await fetch(`${stack.url}/_parley/mailbox`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				to: 'guest@example.test',
				subject: 'You are invited',
				text: 'Open the link.',
				link: 'http://localhost:5173/invite/abc'
			})
		});
		expect(posted.status).toBe(201);
		const listed = (await (await fetch(`${stack.url}/_parley/mailbox`)).json()) as unknown[];
		expect(listed).toContainEqual(
			expect.objectContaining({
				to: 'guest@example.test',
				link: 'http://localhost:5173/invite/abc'
			})
		);
	});

	it('refuses a mail without a recipient', async () => {
		const posted = await fetch(`${stack.url}/_parley/mailbox`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ subject: 'No one' })
		});
		expect(posted.status).toBe(400);
	});
});
