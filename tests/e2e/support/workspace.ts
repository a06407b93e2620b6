import { expect, type Page, type Response } from '@playwright/test';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DEMO_CREDENTIALS } from '../../../sandbox/demo.ts';
import { ANON_KEY, SERVICE_ROLE_KEY } from '../../../supabase/local/keys.ts';

// What the end-to-end journeys arrange around the seeded demo people: signing in, finding the e2e
// server's stack and sandbox, a workspace of their own with the sandbox's Meta number, and a
// customer writing to it.

/** The seeded demo people (supabase/seed.sql), all with the password `parley-demo`. */
export const DEMO_PASSWORD = 'parley-demo';
export const DEMO_PEOPLE = {
	owner: { id: '0a000000-0000-4000-8000-000000000001', email: 'owner@parley.local' },
	admin: { id: '0a000000-0000-4000-8000-000000000002', email: 'admin@parley.local' },
	agent: { id: '0a000000-0000-4000-8000-000000000003', email: 'agent@parley.local' }
} as const;

/**
 * Resolves once the page answers clicks: the root layout marks the body when it has hydrated. A
 * person waits for the same (the page stops "loading"); a click before it would go unheard.
 */
export async function hydrated(page: Page): Promise<void> {
	await page.locator('body[data-hydrated]').waitFor({ state: 'attached' });
}

/** Opens `path` and waits until it has hydrated; the navigation's response for status checks. */
export async function openPage(page: Page, path: string): Promise<Response | null> {
	const response = await page.goto(path);
	await hydrated(page);
	return response;
}

/** Reloads the page and waits until it has hydrated again. */
export async function reloadPage(page: Page): Promise<void> {
	await page.reload();
	await hydrated(page);
}

/** Signs in through the login form and waits until the app has taken the person in. */
export async function signIn(page: Page, email: string): Promise<void> {
	await openPage(page, '/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(DEMO_PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/app/);
	await hydrated(page);
}

/**
 * Where the e2e server's stack and sandbox listen: the app tells the browser its Supabase URL, and
 * the stack.json that `scripts/dev.ts --e2e` wrote in its temporary directory names the sandbox.
 */
export async function findStack(page: Page): Promise<{ supabaseUrl: string; sandboxUrl: string }> {
	const html = await page.content();
	const supabaseUrl = /supabaseConfig:\{url:"([^"]+)"/.exec(html)?.[1];
	if (!supabaseUrl) throw new Error('The page does not say where Supabase is.');
	for (const entry of await readdir(tmpdir())) {
		if (!entry.startsWith('parley-e2e-')) continue;
		try {
			const info = JSON.parse(await readFile(join(tmpdir(), entry, 'stack.json'), 'utf8'));
			if (info.supabaseUrl === supabaseUrl) return { supabaseUrl, sandboxUrl: info.sandbox.url };
		} catch {
			// Another run's directory being created or removed.
		}
	}
	throw new Error(`No stack.json names ${supabaseUrl}.`);
}

// Node 20 has no WebSocket of its own; these clients never subscribe, but supabase-js asks.
const clientOptions = {
	auth: { persistSession: false },
	realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket }
};

/** A supabase-js client signed in as a demo person, with their access token. */
export async function signedInClient(
	supabaseUrl: string,
	email: string
): Promise<{ client: SupabaseClient; accessToken: string }> {
	const client = createClient(supabaseUrl, ANON_KEY, clientOptions);
	const { data, error } = await client.auth.signInWithPassword({ email, password: DEMO_PASSWORD });
	if (error) throw error;
	return { client, accessToken: data.session.access_token };
}

/**
 * A workspace of the demo owner with these demo people as members, whose owner connected the
 * sandbox's Meta number; delete it with deleteWorkspace so other journeys can connect the number.
 */
export async function createWorkspace(
	supabaseUrl: string,
	workspace: { name: string; slugPrefix: string; members: (keyof typeof DEMO_PEOPLE)[] }
): Promise<{ service: SupabaseClient; tenantId: string; slug: string }> {
	const service = createClient(supabaseUrl, SERVICE_ROLE_KEY, clientOptions);
	const slug = `${workspace.slugPrefix}-${randomBytes(3).toString('hex')}`;
	const { data: tenant, error } = await service
		.from('tenants')
		.insert({ name: workspace.name, slug })
		.select('id')
		.single();
	if (error) throw error;
	const members = await service.from('memberships').insert(
		(['owner', ...workspace.members.filter((role) => role !== 'owner')] as const).map((role) => ({
			tenant_id: tenant.id,
			user_id: DEMO_PEOPLE[role].id,
			role
		}))
	);
	if (members.error) throw members.error;
	const { client: owner } = await signedInClient(supabaseUrl, DEMO_PEOPLE.owner.email);
	const meta = DEMO_CREDENTIALS.meta;
	const connected = await owner.functions.invoke(`whatsapp-numbers/${tenant.id}`, {
		method: 'POST',
		body: {
			provider: 'meta',
			displayName: 'Support line',
			phoneNumberId: meta.phoneNumberId,
			businessAccountId: meta.wabaId,
			accessToken: meta.accessToken,
			appSecret: meta.appSecret
		}
	});
	if (connected.error) throw connected.error;
	return { service, tenantId: tenant.id as string, slug };
}

/** Removes the workspace and, with it, its number, so other tests can connect the demo number. */
export async function deleteWorkspace(service: SupabaseClient, tenantId: string): Promise<void> {
	await service.from('whatsapp_numbers').delete().eq('tenant_id', tenantId);
	await service.from('tenants').delete().eq('id', tenantId);
}

/**
 * Waits for the AI to have written `count` messages in the workspace. The AI answers after a
 * debounce and a model call, which on a machine running two suites can take longer than a screen
 * assertion's wait; the list is checked once the reply is stored.
 */
export async function aiRepliesStored(service: SupabaseClient, tenantId: string, count: number) {
	await expect
		.poll(
			async () => {
				const { count: stored, error } = await service
					.from('messages')
					.select('id', { count: 'exact', head: true })
					.eq('tenant_id', tenantId)
					.eq('sender', 'ai');
				if (error) throw error;
				return stored ?? 0;
			},
			{ timeout: 120_000, message: `the AI's reply number ${count} was not stored` }
		)
		.toBeGreaterThanOrEqual(count);
}

/** A customer sends something to the sandbox's Meta number, as the sandbox's phone page would. */
export async function customerSends(
	sandboxUrl: string,
	customer: { phone: string; name: string },
	content: Record<string, unknown>
): Promise<void> {
	const response = await fetch(`${sandboxUrl}/customer/messages`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			provider: 'meta',
			to: DEMO_CREDENTIALS.meta.phoneNumberId,
			from: customer.phone,
			profileName: customer.name,
			...content
		})
	});
	expect(response.status, await response.clone().text()).toBe(201);
}
