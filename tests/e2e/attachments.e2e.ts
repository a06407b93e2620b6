import { expect, test, type BrowserContext, type Download, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { ANON_KEY } from '../../supabase/local/keys.ts';
import { accessibilityViolations } from './support/axe.ts';
import {
	createWorkspace,
	customerSends,
	deleteWorkspace,
	findStack,
	signedInClient,
	signIn,
	openPage
} from './support/workspace.ts';

// A customer's attachment is the customer's content: an HTML document or an SVG "image" must never
// run script as the agent who opens it, however they open it. Photos still show inline, and a very
// long message opens collapsed. In its own workspace, with the sandbox's Meta number.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const AGENT = { id: '0a000000-0000-4000-8000-000000000003', email: 'agent@parley.local' };
const CUSTOMER = { phone: '+5215587654321', name: 'Mallory Attachments' };

/**
 * What each attack runs when it gets the chance: it reports where it ran through a function the
 * test exposes in every page of the browser context (so it is seen even where a CSP would stop a
 * network beacon), marks the origin's storage, and renames the page that opened it.
 */
const PROBE = `
	if (window.attachmentScriptRan) window.attachmentScriptRan(location.href);
	try { localStorage.setItem('attachment-script-ran', location.href); } catch {}
	try { if (window.opener) window.opener.document.title = 'Script ran'; } catch {}
`;
const HTML_ATTACK = Buffer.from(
	`<!doctype html><html><head><title>Invoice</title></head><body><h1>Invoice</h1><script>${PROBE}</script></body></html>`
);
const SVG_ATTACK = Buffer.from(
	`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="window.attachmentScriptRan && window.attachmentScriptRan('svg onload ' + location.href)"><rect width="64" height="64" fill="#b91c1c"/><script><![CDATA[${PROBE}]]></script></svg>`
);

const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/attachments-${name}.png`, fullPage: true });

/** Every download any page of the context starts, new tabs included. */
function watchDownloads(context: BrowserContext): Download[] {
	const downloads: Download[] = [];
	const watch = (page: Page) => page.on('download', (download) => downloads.push(download));
	context.pages().forEach(watch);
	context.on('page', watch);
	return downloads;
}

const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

test("a customer's HTML or SVG attachment never runs script in the app; photos still show", async ({
	page,
	context
}) => {
	// A safety net, not a speed goal: at load average 28 on two cores every step passed in 2 minutes
	// and the last accessibility check ran out of time.
	test.setTimeout(360_000);
	const scriptRuns: string[] = [];
	await context.exposeBinding('attachmentScriptRan', (_source, where: string) => {
		scriptRuns.push(where);
	});
	const downloads = watchDownloads(context);
	const refusedByCsp: string[] = [];
	page.on('console', (entry) => {
		if (/Content Security Policy/i.test(entry.text())) refusedByCsp.push(entry.text());
	});

	// The probes do run wherever script may run, so their silence below means something; the same
	// page makes the real PNG the customer sends.
	const scratch = await context.newPage();
	await scratch.setContent(HTML_ATTACK.toString());
	await expect.poll(() => scriptRuns.length).toBe(1);
	await scratch.setContent(`<!doctype html><body>${SVG_ATTACK.toString()}</body>`);
	await expect.poll(() => scriptRuns.length).toBeGreaterThanOrEqual(2);
	await scratch.setContent(
		'<div style="width:48px;height:32px;background:linear-gradient(90deg,#047857,#fbbf24)"></div>'
	);
	const photo = await scratch.locator('div').screenshot();
	await scratch.close();
	scriptRuns.length = 0;

	await page.setViewportSize(DESKTOP);
	await signIn(page, AGENT.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Attachments Test Co',
		slugPrefix: 'attachments',
		members: ['agent']
	});
	const { accessToken: agentToken } = await signedInClient(supabaseUrl, AGENT.email);
	const longStory = Array.from(
		{ length: 40 },
		(_, index) => `Line ${index + 1} of a long complaint.`
	).join('\n');

	try {
		await customerSends(sandboxUrl, CUSTOMER, { text: 'Hola, who can help me?' });
		await customerSends(sandboxUrl, CUSTOMER, {
			text: 'Here is the invoice',
			media: {
				contentType: 'text/html',
				dataBase64: HTML_ATTACK.toString('base64'),
				filename: 'invoice.html'
			}
		});
		await customerSends(sandboxUrl, CUSTOMER, {
			text: 'My drawing',
			media: { contentType: 'image/svg+xml', dataBase64: SVG_ATTACK.toString('base64') }
		});
		await customerSends(sandboxUrl, CUSTOMER, {
			text: 'The product',
			media: { contentType: 'image/png', dataBase64: photo.toString('base64') }
		});
		await customerSends(sandboxUrl, CUSTOMER, { text: longStory });

		let chatUrl = '';
		await test.step('the chat is served with a Content-Security-Policy and stays live', async () => {
			await openPage(page, `/app/${slug}/whatsapp/conversations`);
			await page.getByRole('link', { name: `View Chat with ${CUSTOMER.name}` }).click();
			await expect(page.getByTestId('chat-contact')).toHaveText(CUSTOMER.name);
			chatUrl = new URL(page.url()).pathname;
			const response = await openPage(page, chatUrl);
			const csp = response?.headers()['content-security-policy'] ?? '';
			expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
			expect(csp).toContain("object-src 'none'");
			expect(csp).toContain("base-uri 'self'");
			expect(csp).toContain("frame-ancestors 'none'");
			// Dev allows any loopback port, as the local stack's port changes from run to run.
			const connectSources = /connect-src ([^;]+)/.exec(csp)?.[1].split(' ') ?? [];
			const stack = new URL(supabaseUrl);
			for (const scheme of ['http', 'ws']) {
				expect(connectSources, scheme).toEqual(
					expect.arrayContaining([
						expect.stringMatching(
							new RegExp(
								`^${scheme}://${stack.hostname.replaceAll('.', '\\.')}:(${stack.port}|\\*)$`
							)
						)
					])
				);
			}
			// Realtime's websocket and the attachments' fetches are allowed by it.
			await expect(page.getByTestId('chat-live-status')).toHaveAttribute('data-status', 'live');
			await expect(
				message(page, 'Here is the invoice').getByTestId('media-download')
			).toBeVisible();
		});

		await test.step('a real PNG still shows inline', async () => {
			const image = message(page, 'The product').getByRole('img', { name: 'The product' });
			await expect(image).toBeVisible();
			await expect(image).toHaveAttribute('src', /^blob:/);
			await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);
			await message(page, 'Here is the invoice').scrollIntoViewIfNeeded();
			await screenshot(page, 'attachments-desktop');
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.setViewportSize(PHONE);
			await message(page, 'Here is the invoice').scrollIntoViewIfNeeded();
			await screenshot(page, 'attachments-phone');
			await page.setViewportSize(DESKTOP);
		});

		for (const attack of [
			{ caption: 'Here is the invoice', name: 'invoice.html', bytes: HTML_ATTACK },
			{ caption: 'My drawing', name: 'Photo', bytes: SVG_ATTACK }
		]) {
			await test.step(`"${attack.caption}" is only ever a download`, async () => {
				const bubble = message(page, attack.caption);
				await expect(bubble.getByRole('img')).toHaveCount(0);
				const link = bubble.getByTestId('media-download');
				await expect(link).toHaveText(attack.name);
				await expect(link).toHaveAttribute('download', attack.name);
				const href = (await link.getAttribute('href')) ?? '';
				expect(href).toMatch(/^blob:http:\/\/localhost:\d+\//);
				const messageId = (await bubble.getAttribute('data-message-id')) ?? '';
				const functionUrl = `${supabaseUrl}/functions/v1/whatsapp-media/${messageId}`;

				// A click saves the customer's bytes as they are.
				let before = downloads.length;
				await link.click();
				await expect.poll(() => downloads.length).toBe(before + 1);
				const saved = downloads[before];
				expect(saved.suggestedFilename()).toBe(attack.name);
				expect(await readFile(await saved.path())).toEqual(attack.bytes);

				// A middle click (a new tab) saves it too.
				before = downloads.length;
				await link.click({ button: 'middle' });
				await expect.poll(() => downloads.length).toBe(before + 1);

				// Pasting the link's address into a new tab: the blob is octet-stream, so it is saved.
				const tab = await context.newPage();
				before = downloads.length;
				await tab.goto(href).catch(() => 'the navigation became a download');
				expect(scriptRuns).toEqual([]);
				await expect.poll(() => downloads.length).toBe(before + 1);

				// The function's own URL, opened with the agent's token: an attachment, never a page.
				await tab.route(functionUrl, (route) =>
					route.continue({
						headers: {
							...route.request().headers(),
							authorization: `Bearer ${agentToken}`,
							apikey: ANON_KEY
						}
					})
				);
				before = downloads.length;
				await tab.goto(functionUrl).catch(() => 'the navigation became a download');
				expect(scriptRuns).toEqual([]);
				await expect.poll(() => downloads.length).toBe(before + 1);
				expect(await readFile(await downloads[before].path())).toEqual(attack.bytes);
				await tab.close();

				const served = await page.request.get(functionUrl, {
					headers: { authorization: `Bearer ${agentToken}`, apikey: ANON_KEY }
				});
				expect(served.status()).toBe(200);
				expect(served.headers()['content-type']).toBe('application/octet-stream');
				expect(served.headers()['content-disposition']).toMatch(/^attachment; /);
				expect(served.headers()['x-content-type-options']).toBe('nosniff');
				expect(served.headers()['content-security-policy']).toBe("default-src 'none'; sandbox");

				expect(scriptRuns).toEqual([]);
			});
		}

		await test.step("no script ran in the app's origin", async () => {
			expect(scriptRuns).toEqual([]);
			expect(await page.evaluate(() => localStorage.getItem('attachment-script-ran'))).toBeNull();
			await expect(page).not.toHaveTitle('Script ran');
			for (const open of context.pages()) {
				await expect(open).not.toHaveTitle(/Invoice|Script ran/);
			}
		});

		await test.step('a very long message opens collapsed and expands on request', async () => {
			const long = message(page, 'Line 1 of a long complaint.');
			const body = long.getByTestId('message-body');
			const more = long.getByRole('button', { name: 'Show more' });
			await expect(more).toHaveAttribute('aria-expanded', 'false');
			await expect(more).toHaveAttribute('aria-controls', (await body.getAttribute('id')) ?? '');
			await expect(body).toContainText('Line 20 of a long complaint.');
			await expect(body).not.toContainText('Line 21 of a long complaint.');
			await more.scrollIntoViewIfNeeded();
			await screenshot(page, 'chat-desktop');
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.setViewportSize(PHONE);
			await more.scrollIntoViewIfNeeded();
			await screenshot(page, 'chat-phone');
			await page.setViewportSize(DESKTOP);

			await more.click();
			const less = long.getByRole('button', { name: 'Show less' });
			await expect(less).toHaveAttribute('aria-expanded', 'true');
			await expect(body).toContainText('Line 40 of a long complaint.');
			expect(await accessibilityViolations(page)).toEqual([]);
			await less.click();
			await expect(body).not.toContainText('Line 21 of a long complaint.');
			await expect(long.getByRole('button', { name: 'Show more' })).toBeFocused();
		});

		expect(refusedByCsp).toEqual([]);
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
