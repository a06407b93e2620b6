import { expect, test, type Page } from '@playwright/test';
import { accessibilityViolations } from './support/axe.ts';
import {
	createWorkspace,
	customerSends,
	deleteWorkspace,
	findStack,
	signIn,
	openPage,
	reloadPage
} from './support/workspace.ts';

// An agent attaches a photo in the composer, adds a caption and sends it: it shows in the thread
// from Storage. A file WhatsApp would refuse is turned away in words before anything is sent. In
// its own workspace, with the sandbox's Meta number.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const AGENT = { id: '0a000000-0000-4000-8000-000000000003', email: 'agent@parley.local' };
const CUSTOMER = { phone: '+5215587650001', name: 'Olga Outbound' };

const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/outbound-media-${name}.png`, fullPage: true });

const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

test('an agent sends a photo with a caption from the composer; a file too large is refused in words', async ({
	page
}) => {
	test.setTimeout(240_000);
	await page.setViewportSize(DESKTOP);
	await signIn(page, AGENT.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Sending Files Co',
		slugPrefix: 'sending-files',
		members: ['agent']
	});
	// A real PNG, drawn by the browser, so the thread can show it inline.
	const scratch = await page.context().newPage();
	await scratch.setContent(
		'<div style="width:48px;height:32px;background:linear-gradient(90deg,#047857,#fbbf24)"></div>'
	);
	const photo = await scratch.locator('div').screenshot();
	await scratch.close();

	try {
		await customerSends(sandboxUrl, CUSTOMER, { text: 'Can I see the colour?' });
		await openPage(page, `/app/${slug}/whatsapp/conversations`);
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
			await reloadPage(page);
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
