import { expect, test, type Page } from '@playwright/test';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DEMO_CREDENTIALS } from '../../sandbox/demo.ts';
import { ANON_KEY, SERVICE_ROLE_KEY } from '../../supabase/local/keys.ts';
import { accessibilityViolations } from './support/axe.ts';

// An agent attaches a photo in the composer, adds a caption and sends it: it shows in the thread
// from Storage. A file WhatsApp would refuse is turned away in words before anything is sent. In
// its own workspace, with the sandbox's Meta number.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const PASSWORD = 'parley-demo';
const AGENT = { id: '0a000000-0000-4000-8000-000000000003', email: 'agent@parley.local' };
const OWNER = { id: '0a000000-0000-4000-8000-000000000001', email: 'owner@parley.local' };
const metaDemo = DEMO_CREDENTIALS.meta;
const CUSTOMER = { phone: '+5215587650001', name: 'Olga Outbound' };

const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/outbound-media-${name}.png`, fullPage: true });

async function signIn(page: Page, email: string) {
	await page.goto('/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/app/);
}

/** Where the e2e server's stack and sandbox listen (the stack.json `scripts/dev.ts --e2e` wrote). */
async function findStack(page: Page): Promise<{ supabaseUrl: string; sandboxUrl: string }> {
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

/** A workspace whose owner connected the sandbox's Meta number, with the demo agent as a member. */
async function createWorkspace(supabaseUrl: string) {
	const service = createClient(supabaseUrl, SERVICE_ROLE_KEY, clientOptions);
	const slug = `sending-files-${randomBytes(3).toString('hex')}`;
	const { data: tenant, error } = await service
		.from('tenants')
		.insert({ name: 'Sending Files Co', slug })
		.select('id')
		.single();
	if (error) throw error;
	const members = await service.from('memberships').insert([
		{ tenant_id: tenant.id, user_id: OWNER.id, role: 'owner' },
		{ tenant_id: tenant.id, user_id: AGENT.id, role: 'agent' }
	]);
	if (members.error) throw members.error;
	const owner = createClient(supabaseUrl, ANON_KEY, clientOptions);
	const signedIn = await owner.auth.signInWithPassword({ email: OWNER.email, password: PASSWORD });
	if (signedIn.error) throw signedIn.error;
	const connected = await owner.functions.invoke(`whatsapp-numbers/${tenant.id}`, {
		method: 'POST',
		body: {
			provider: 'meta',
			displayName: 'Support line',
			phoneNumberId: metaDemo.phoneNumberId,
			businessAccountId: metaDemo.wabaId,
			accessToken: metaDemo.accessToken,
			appSecret: metaDemo.appSecret
		}
	});
	if (connected.error) throw connected.error;
	return { service, tenantId: tenant.id as string, slug };
}

/** Removes the workspace and, with it, its number, so other tests can connect the demo number. */
async function deleteWorkspace(service: SupabaseClient, tenantId: string) {
	await service.from('whatsapp_numbers').delete().eq('tenant_id', tenantId);
	await service.from('tenants').delete().eq('id', tenantId);
}

/** The customer sends a message through the sandbox, as the phone page would. */
async function customerSends(sandboxUrl: string, content: Record<string, unknown>) {
	const response = await fetch(`${sandboxUrl}/customer/messages`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			provider: 'meta',
			to: metaDemo.phoneNumberId,
			from: CUSTOMER.phone,
			profileName: CUSTOMER.name,
			...content
		})
	});
	expect(response.status, await response.clone().text()).toBe(201);
}

const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

test('an agent sends a photo with a caption from the composer; a file too large is refused in words', async ({
	page
}) => {
	test.setTimeout(240_000);
	await page.setViewportSize(DESKTOP);
	await signIn(page, AGENT.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl);
	// A real PNG, drawn by the browser, so the thread can show it inline.
	const scratch = await page.context().newPage();
	await scratch.setContent(
		'<div style="width:48px;height:32px;background:linear-gradient(90deg,#047857,#fbbf24)"></div>'
	);
	const photo = await scratch.locator('div').screenshot();
	await scratch.close();

	try {
		await customerSends(sandboxUrl, { text: 'Can I see the colour?' });
		await page.goto(`/app/${slug}/whatsapp/conversations`);
		await page.getByRole('link', { name: `View Chat with ${CUSTOMER.name}` }).click();
		await expect(page.getByTestId('chat-contact')).toHaveText(CUSTOMER.name);
		await expect(page.getByTestId('chat-live-status')).toHaveAttribute('data-status', 'live');

		await test.step('a file WhatsApp would refuse is turned away with a sentence', async () => {
			await page.getByTestId('attach-input').setInputFiles({
				name: 'huge.png',
				mimeType: 'image/png',
				buffer: Buffer.alloc(6 * 1024 * 1024)
			});
			await expect(page.getByTestId('attachment-error')).toHaveText(
				'Images can be at most 5 MB on WhatsApp; this one is 6 MB.'
			);
			await expect(page.getByTestId('composer-attachment')).toHaveCount(0);
			await expect(page.getByRole('button', { name: 'Send', exact: true })).toBeDisabled();
		});

		await test.step('a photo with a caption is sent and shows in the thread', async () => {
			await page.getByTestId('attach-input').setInputFiles({
				name: 'colour.png',
				mimeType: 'image/png',
				buffer: photo
			});
			await expect(page.getByTestId('attachment-error')).toHaveCount(0);
			await expect(page.getByTestId('composer-attachment')).toContainText('colour.png');
			await page.getByLabel('Caption').fill('This is the colour');
			await screenshot(page, 'composer-desktop');
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.getByRole('button', { name: 'Send', exact: true }).click();
			const sent = message(page, 'This is the colour');
			await expect(sent).toHaveAttribute('data-status', /^(sent|delivered|read)$/);
			const image = sent.getByRole('img', { name: 'This is the colour' });
			await expect(image).toBeVisible();
			await expect
				.poll(() => image.evaluate((element: HTMLImageElement) => element.naturalWidth))
				.toBeGreaterThan(0);
			await expect(page.getByTestId('composer-attachment')).toHaveCount(0);
			await screenshot(page, 'sent-desktop');
			expect(await accessibilityViolations(page)).toEqual([]);
		});

		await test.step('on a phone the composer and the photo fit', async () => {
			await page.setViewportSize(PHONE);
			await page.reload();
			await expect(
				message(page, 'This is the colour').getByRole('img', { name: 'This is the colour' })
			).toBeVisible();
			await page.getByTestId('attach-input').setInputFiles({
				name: 'terms.pdf',
				mimeType: 'application/pdf',
				buffer: Buffer.from('%PDF-1.7 terms')
			});
			await expect(page.getByTestId('composer-attachment')).toContainText('terms.pdf');
			const overflow = await page.evaluate(
				() => document.documentElement.scrollWidth - document.documentElement.clientWidth
			);
			expect(overflow).toBeLessThanOrEqual(0);
			await screenshot(page, 'composer-phone');
			expect(await accessibilityViolations(page)).toEqual([]);
		});
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
