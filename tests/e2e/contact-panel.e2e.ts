import { expect, test, type Page } from '@playwright/test';
import { accessibilityViolations } from './support/axe.ts';
import {
	DEMO_PEOPLE,
	createWorkspace,
	customerSends,
	deleteWorkspace,
	findStack,
	openPage,
	reloadPage,
	signIn
} from './support/workspace.ts';
import { DESKTOP, PHONE, SCREENS_DIR } from './support/screens.ts';

// The customer in view, in its own workspace: an agent opens a chat and sees who the customer is
// beside the thread, renames them (the inbox in another tab hears it at once), keeps a note that
// is there after a reload, and follows the customer's conversation on another number. On a phone
// the panel is a sheet the header's Contact button opens and its Close button closes.

const CUSTOMER = { phone: '+5215544440001', name: 'rita' };

/** A screenshot of the page as it is, after axe finds nothing wrong with it. */
async function accessibleScreen(page: Page, name: string) {
	expect(await accessibilityViolations(page), name).toEqual([]);
	await page.screenshot({ path: `${SCREENS_DIR}/contact-${name}.png`, fullPage: true });
}

const panel = (page: Page) => page.getByTestId('contact-column').getByTestId('contact-panel');

test('an agent sees, renames and notes the customer, and follows their other conversation', async ({
	page,
	browser
}) => {
	test.setTimeout(600_000);
	await page.setViewportSize(DESKTOP);
	await signIn(page, DEMO_PEOPLE.agent.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Contact Co',
		slugPrefix: 'contact',
		members: ['agent']
	});

	try {
		await customerSends(sandboxUrl, CUSTOMER, { text: 'Hi, is my order ready?' });
		let current: { id: string; contact_id: string } | undefined;
		await expect
			.poll(async () => {
				const { data } = await service
					.from('conversations')
					.select('id, contact_id')
					.eq('tenant_id', tenantId);
				current = data?.[0];
				return data?.length;
			})
			.toBe(1);
		// The same customer wrote to the workspace's other number last week.
		const { data: integration } = await service
			.from('integrations')
			.insert({ tenant_id: tenantId, provider: 'twilio', account_sid: `AC${'7'.repeat(32)}` })
			.select('id')
			.single();
		const { data: sales } = await service
			.from('whatsapp_numbers')
			.insert({
				tenant_id: tenantId,
				provider: 'twilio',
				display_name: 'Sales line',
				address: 'whatsapp:+15550777001',
				integration_id: integration!.id
			})
			.select('id')
			.single();
		const { data: past, error } = await service
			.from('conversations')
			.insert({
				tenant_id: tenantId,
				number_id: sales!.id,
				contact_id: current!.contact_id,
				status: 'closed',
				last_message_preview: 'The refund is on its way.',
				last_message_direction: 'outbound',
				last_message_at: new Date(Date.now() - 6 * 86_400_000).toISOString()
			})
			.select('id')
			.single();
		if (error) throw error;

		const chatPath = `/app/${slug}/whatsapp/${current!.id}`;
		const inbox = await page.context().newPage();
		await openPage(inbox, `/app/${slug}/whatsapp/conversations`);
		await expect(inbox.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');

		await test.step('the chat shows the customer beside the thread', async () => {
			await openPage(page, chatPath);
			await expect(panel(page).getByTestId('contact-name')).toHaveText('rita');
			await expect(panel(page).getByTestId('contact-phone')).toHaveText('+5215544440001');
			await expect(panel(page).getByTestId('contact-business-number')).toContainText(
				'Support line'
			);
			const pastRow = panel(page).getByTestId('past-conversation');
			await expect(pastRow).toHaveCount(1);
			await expect(pastRow).toContainText('Sales line');
			await expect(pastRow).toContainText('closed');
			await expect(pastRow).toContainText('The refund is on its way.');
			await expect(panel(page).getByTestId('insights')).toBeVisible();
			await expect(page.getByTestId('show-contact')).toBeHidden();
			await accessibleScreen(page, 'panel-desktop');
		});

		await test.step('a blank name is refused in words; a new one reaches the inbox live', async () => {
			await panel(page).getByRole('button', { name: 'Rename rita' }).click();
			const field = panel(page).getByLabel('Contact name');
			await field.fill('   ');
			await field.press('Enter');
			await expect(panel(page).getByRole('alert')).toHaveText('Type a name for this contact.');
			await expect(field).toHaveAttribute('aria-invalid', 'true');
			await accessibleScreen(page, 'rename-refused-desktop');
			await field.fill('  Rita   Gómez ');
			await panel(page).getByRole('button', { name: 'Save name' }).click();
			await expect(panel(page).getByTestId('contact-name')).toHaveText('Rita Gómez');
			await expect(page.getByTestId('chat-contact')).toHaveText('Rita Gómez');
			await expect(panel(page).getByTestId('contact-whatsapp-name')).toHaveText('rita');
			// Both of her conversations take the new name in the inbox, without a reload.
			await expect(
				inbox.getByTestId('conversation-row').filter({ hasText: 'Rita Gómez' })
			).toHaveCount(2);
		});

		await test.step('a note is saved with a clear state and is there after a reload', async () => {
			const note = panel(page).getByLabel('Contact notes');
			const state = panel(page).getByTestId('contact-note-state');
			await expect(state).toHaveText('No note yet');
			await note.fill('Prefers WhatsApp over calls. Order #4417 ships Friday.');
			await expect(state).toHaveText('Unsaved changes');
			await accessibleScreen(page, 'note-unsaved-desktop');
			await panel(page).getByRole('button', { name: 'Save note' }).click();
			await expect(state).toHaveText('Saved just now by you');
			await expect(panel(page).getByRole('button', { name: 'Save note' })).toBeDisabled();
			await reloadPage(page);
			await expect(panel(page).getByLabel('Contact notes')).toHaveValue(
				'Prefers WhatsApp over calls. Order #4417 ships Friday.'
			);
			await expect(panel(page).getByTestId('contact-note-state')).toHaveText(
				'Saved just now by you'
			);
			await accessibleScreen(page, 'note-saved-desktop');
		});

		await test.step('the past conversation opens, and lists this one as past', async () => {
			// Unsaved words are not lost to a click: the page asks first.
			await panel(page).getByLabel('Contact notes').fill('Half a thought');
			// The question blocks the page, so it is answered from the handler, not after the click.
			const asked = new Promise<string>((answered) =>
				page.once('dialog', (dialog) => {
					answered(dialog.message());
					void dialog.dismiss();
				})
			);
			await panel(page).getByTestId('past-conversation').click();
			expect(await asked).toBe('Your contact note is not saved. Leave without saving it?');
			await expect(panel(page).getByLabel('Contact notes')).toHaveValue('Half a thought');
			await expect(page).toHaveURL(new RegExp(`/whatsapp/${current!.id}$`));
			await panel(page)
				.getByLabel('Contact notes')
				.fill('Prefers WhatsApp over calls. Order #4417 ships Friday.');
			await expect(panel(page).getByTestId('contact-note-state')).not.toHaveText('Unsaved changes');
			await panel(page).getByTestId('past-conversation').click();
			await expect(page).toHaveURL(new RegExp(`/whatsapp/${past!.id}$`));
			await expect(page.getByTestId('chat-contact')).toHaveText('Rita Gómez');
			await expect(panel(page).getByTestId('contact-business-number')).toContainText('Sales line');
			await expect(panel(page).getByTestId('past-conversation')).toContainText(
				'Hi, is my order ready?'
			);
			await expect(panel(page).getByLabel('Contact notes')).toHaveValue(/Order #4417/);
		});

		await test.step('on a phone the panel is a sheet the Contact button opens and closes', async () => {
			const phone = await browser.newContext({ viewport: PHONE });
			const mobile = await phone.newPage();
			try {
				await signIn(mobile, DEMO_PEOPLE.agent.email);
				await openPage(mobile, chatPath);
				await expect(mobile.getByTestId('contact-column')).toBeHidden();
				await expect(mobile.getByTestId('thread')).toBeVisible();
				await accessibleScreen(mobile, 'chat-phone');
				await mobile.getByTestId('show-contact').click();
				const sheet = mobile.getByRole('dialog', { name: 'Contact' });
				await expect(sheet.getByTestId('contact-name')).toHaveText('Rita Gómez');
				await expect(sheet.getByLabel('Contact notes')).toHaveValue(/Order #4417/);
				await expect(sheet.getByTestId('past-conversation')).toContainText('Sales line');
				await expect(sheet.getByTestId('contact-panel')).toHaveAttribute('data-live', 'live');
				await accessibleScreen(mobile, 'sheet-phone');
				// A teammate's note reaches the open sheet live.
				await panel(page).getByLabel('Contact notes').fill('Prefers WhatsApp. VIP since 2024.');
				await panel(page).getByRole('button', { name: 'Save note' }).click();
				await expect(sheet.getByLabel('Contact notes')).toHaveValue(
					'Prefers WhatsApp. VIP since 2024.'
				);
				await sheet.getByRole('button', { name: 'Close' }).click();
				await expect(sheet).toBeHidden();
				await expect(mobile.getByTestId('thread')).toBeVisible();
				// Escape closes it too.
				await mobile.getByTestId('show-contact').click();
				await expect(sheet.getByTestId('contact-name')).toBeVisible();
				await mobile.keyboard.press('Escape');
				await expect(sheet).toBeHidden();
			} finally {
				await phone.close();
			}
		});
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
