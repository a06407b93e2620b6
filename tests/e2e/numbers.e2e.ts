import { expect, test, type Locator, type Page } from '@playwright/test';
import { DEMO_CREDENTIALS } from '../../sandbox/demo.ts';
import { openPage, signIn } from './support/workspace.ts';

// WhatsApp numbers end to end, as the seeded owner of Acme Support: an AI agent, the Twilio
// integration, numbers from Twilio (picked and typed) and from Meta, and managing them; then an
// agent-role member sees the same cards, live, without the controls.

// Full pages, except with a dialog open: a dialog covers the viewport, not the whole page.
const screenshot = async (page: Page, name: string) =>
	page.screenshot({
		path: `test-results/screens/${name}.png`,
		fullPage: !(await page.locator('dialog[open]').count())
	});

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const twilioDemo = DEMO_CREDENTIALS.twilio;
const metaDemo = DEMO_CREDENTIALS.meta;
const NO_AGENT_REASON =
	'A number can only be active with an AI agent assigned. Assign an AI agent with WhatsApp enabled, then activate the number.';

/** Screens of the same state at desktop and phone widths. */
async function screens(page: Page, name: string) {
	await screenshot(page, `${name}-desktop`);
	await page.setViewportSize(PHONE);
	await screenshot(page, `${name}-phone`);
	await page.setViewportSize(DESKTOP);
}

const card = (page: Page, name: string): Locator =>
	page.getByTestId('number-card').filter({ has: page.getByRole('heading', { name, exact: true }) });

/** Opens the connect modal once the page is hydrated (its live channel has joined). */
async function openConnectModal(page: Page): Promise<Locator> {
	await expect(page.getByTestId('live-status')).toHaveAttribute('data-status', 'live');
	await page.getByRole('button', { name: 'Connect New Number' }).click();
	const dialog = page.getByRole('dialog', { name: 'Connect a WhatsApp number' });
	await expect(dialog).toBeVisible();
	return dialog;
}

test('an owner connects Twilio and Meta numbers and manages them; an agent watches live', async ({
	page,
	browser
}) => {
	await page.setViewportSize(DESKTOP);
	await signIn(page, 'owner@parley.local');

	await test.step('no numbers yet: the setup checklist, and Twilio not connected in the modal', async () => {
		await openPage(page, '/app/acme/whatsapp');
		await expect(page.getByRole('heading', { name: 'No WhatsApp numbers yet' })).toBeVisible();
		await expect(page.getByTestId('setup-step')).toHaveCount(3);
		await screens(page, 'whatsapp-empty');
		const dialog = await openConnectModal(page);
		await expect(dialog.getByTestId('twilio-not-connected')).toContainText(
			'Twilio is not connected to this workspace.'
		);
		await expect(dialog.getByRole('link', { name: 'Integrations' })).toHaveAttribute(
			'href',
			'/app/acme/integrations'
		);
		await screenshot(page, 'modal-twilio-not-connected-desktop');
		await page.keyboard.press('Escape');
		await expect(dialog).toBeHidden();
	});

	await test.step('an AI agent with WhatsApp enabled', async () => {
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'AI Agents' })
			.click();
		await page.getByRole('button', { name: 'New AI agent' }).click();
		const dialog = page.getByRole('dialog', { name: 'New AI agent' });
		await dialog.getByRole('button', { name: 'Create agent' }).click();
		await expect(dialog.getByText('Enter a name for this AI agent')).toBeVisible();
		await dialog.getByLabel('Name').fill('Sales assistant');
		await dialog.getByLabel('Instructions').fill('Answer questions about orders. Be brief.');
		await expect(dialog.getByRole('switch', { name: 'WhatsApp channel' })).toBeChecked();
		await dialog.getByRole('button', { name: 'Create agent' }).click();
		await expect(dialog).toBeHidden();
		const row = page.getByTestId('agent-row').filter({ hasText: 'Sales assistant' });
		await expect(row).toContainText('WhatsApp on');
		await expect(row).toContainText('gpt-4o-mini');
		await screens(page, 'agents');
	});

	await test.step('Twilio: a wrong token shows the 20003 sentence, the demo credentials connect', async () => {
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'Integrations' })
			.click();
		const twilio = page.getByTestId('twilio-card');
		await expect(twilio.getByTestId('twilio-status')).toHaveText('Not connected');
		await twilio.getByLabel('Account SID').fill(twilioDemo.accountSid);
		await twilio.getByLabel('Auth Token').fill('wrong-token-000000000000000000');
		await twilio.getByRole('button', { name: 'Connect Twilio' }).click();
		await expect(
			twilio.getByText('Twilio rejected these credentials (error 20003).')
		).toBeVisible();
		await screens(page, 'integrations-error');
		await twilio.getByLabel('Auth Token').fill(twilioDemo.authToken);
		await twilio.getByRole('button', { name: 'Connect Twilio' }).click();
		await expect(twilio.getByTestId('twilio-status')).toHaveText('Connected');
		await expect(twilio.getByTestId('twilio-masked-token')).toHaveText(
			`••••${twilioDemo.authToken.slice(-4)}`
		);
		await expect(twilio.getByTestId('twilio-account-name')).toHaveText(twilioDemo.friendlyName);
		await screens(page, 'integrations-connected');
	});

	await test.step('a Twilio number picked from the live dropdown', async () => {
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'WhatsApp' })
			.click();
		const dialog = await openConnectModal(page);
		const picker = dialog.getByLabel('Twilio number');
		await expect(picker).toBeEnabled();
		await expect(
			picker.locator('option', { hasText: twilioDemo.numbers[1].phoneNumber })
		).toBeEnabled();
		await picker.selectOption(`whatsapp:${twilioDemo.numbers[0].phoneNumber}`);
		await dialog.getByLabel('Display Name').fill('Sales Support');
		await dialog.getByRole('switch', { name: 'Active' }).check();
		await dialog.getByRole('button', { name: 'Connect Number' }).click();
		await expect(dialog.getByText('Choose an AI agent with WhatsApp enabled')).toBeVisible();
		await dialog.getByLabel('Assigned Agent').selectOption({ label: 'Sales assistant' });
		await screenshot(page, 'modal-twilio-list-desktop');
		await dialog.getByRole('button', { name: 'Connect Number' }).click();
		await expect(dialog).toBeHidden();
		const sales = card(page, 'Sales Support');
		await expect(sales.getByTestId('number-state')).toHaveText('Active');
		await expect(sales.getByTestId('number-agent')).toHaveText('Sales assistant');
		await expect(sales.getByTestId('number-webhook-health')).toHaveText('No webhooks yet');
	});

	await test.step('a Twilio number typed by hand: a bad format is refused beside the field', async () => {
		const dialog = await openConnectModal(page);
		await expect(
			dialog
				.getByLabel('Twilio number')
				.locator('option', { hasText: twilioDemo.numbers[0].phoneNumber })
		).toBeDisabled();
		await dialog.getByRole('button', { name: "My number isn't listed" }).click();
		await dialog.getByLabel('Display Name').fill('Support Desk');
		await dialog.getByLabel('WhatsApp number').fill('whatsapp:15550100002');
		await dialog.getByRole('button', { name: 'Connect Number' }).click();
		await expect(dialog.getByLabel('WhatsApp number')).toHaveAttribute('aria-invalid', 'true');
		await expect(dialog.getByLabel('WhatsApp number')).toHaveAccessibleDescription(
			'Start the number with + and its country code, like +1 415 523 8886 (not 00 or a local 0).'
		);
		await screens(page, 'modal-twilio-manual-error');
		await dialog.getByLabel('WhatsApp number').fill('whatsapp:+15550100002');
		await dialog.getByRole('button', { name: 'Connect Number' }).click();
		await expect(dialog).toBeHidden();
		await expect(card(page, 'Support Desk').getByTestId('number-address')).toHaveText(
			'+15550100002'
		);
		await expect(card(page, 'Support Desk').getByTestId('number-state')).toHaveText('Inactive');
	});

	await test.step('a Meta number: a wrong token shows the 190 sentence, the demo token connects', async () => {
		const dialog = await openConnectModal(page);
		await dialog.getByText('Meta Cloud API').click();
		await expect(dialog.getByRole('link', { name: 'Read the Meta setup guide' })).toBeVisible();
		await dialog.getByLabel('Display Name').fill('Meta Line');
		await dialog.getByLabel('Phone Number ID').fill(metaDemo.phoneNumberId);
		await dialog.getByLabel('Business Account ID (optional)').fill(metaDemo.wabaId);
		await dialog.getByLabel('Access Token').fill('EAAwrongtoken');
		await dialog.getByLabel('App Secret').fill(metaDemo.appSecret);
		await dialog.getByRole('button', { name: 'Connect Number' }).click();
		await expect(dialog.getByText('Meta rejected this access token (error 190)')).toBeVisible();
		await expect(dialog.getByLabel('Access Token')).toHaveAttribute('aria-invalid', 'true');
		await screens(page, 'modal-meta-error');
		await dialog.getByLabel('Access Token').fill(metaDemo.accessToken);
		await dialog.getByRole('button', { name: 'Connect Number' }).click();
		await expect(dialog).toBeHidden();
		const meta = card(page, 'Meta Line');
		await expect(meta.getByTestId('webhook-url')).toBeHidden();
		await meta.locator('summary', { hasText: 'Webhook setup' }).click();
		await expect(meta.getByTestId('webhook-url')).toContainText('/functions/v1/');
		await expect(meta.getByTestId('verify-token')).not.toBeEmpty();
		await expect(meta.getByRole('button', { name: 'Copy Verify token' })).toBeVisible();
		await screens(page, 'whatsapp-cards');
	});

	await test.step('activating without an agent is refused with the reason', async () => {
		const desk = card(page, 'Support Desk');
		await desk.getByRole('button', { name: 'Activate Support Desk' }).click();
		await expect(desk.getByRole('alert')).toHaveText(NO_AGENT_REASON);
		await expect(desk.getByTestId('number-state')).toHaveText('Inactive');
	});

	await test.step('edit: rename, assign the agent and activate; secrets stay masked', async () => {
		await card(page, 'Meta Line').getByRole('button', { name: 'Edit Meta Line' }).click();
		const metaDialog = page.getByRole('dialog', { name: 'Edit Meta Line' });
		await expect(metaDialog.getByLabel('Access Token')).toHaveValue('');
		await expect(metaDialog.getByLabel('Access Token')).toHaveAttribute(
			'placeholder',
			`••••${metaDemo.accessToken.slice(-4)}`
		);
		await screenshot(page, 'modal-meta-edit-desktop');
		await page.keyboard.press('Escape');

		await card(page, 'Support Desk').getByRole('button', { name: 'Edit Support Desk' }).click();
		const dialog = page.getByRole('dialog', { name: 'Edit Support Desk' });
		await dialog.getByLabel('Display Name').fill('Support Line');
		await dialog.getByLabel('Assigned Agent').selectOption({ label: 'Sales assistant' });
		await dialog.getByRole('switch', { name: 'Active' }).check();
		await dialog.getByRole('button', { name: 'Save changes' }).click();
		await expect(dialog).toBeHidden();
		const line = card(page, 'Support Line');
		await expect(line.getByTestId('number-state')).toHaveText('Active');
		await expect(line.getByTestId('number-agent')).toHaveText('Sales assistant');
		// The earlier refusal was about the number before this change.
		await expect(line.getByRole('alert')).toHaveCount(0);
	});

	await test.step('toggle and delete with confirmation', async () => {
		const sales = card(page, 'Sales Support');
		await sales.getByRole('button', { name: 'Deactivate Sales Support' }).click();
		await expect(sales.getByTestId('number-state')).toHaveText('Inactive');
		await card(page, 'Meta Line').getByRole('button', { name: 'Delete Meta Line' }).click();
		const confirm = page.getByRole('dialog', { name: 'Delete Meta Line?' });
		await expect(confirm).toContainText('Its conversations and messages will be deleted too.');
		await screenshot(page, 'confirm-delete-desktop');
		await confirm.getByRole('button', { name: 'Delete number' }).click();
		await expect(card(page, 'Meta Line')).toHaveCount(0);
	});

	await test.step('an agent-role member sees the cards without controls, and changes arrive live', async () => {
		const context = await browser.newContext({ viewport: DESKTOP });
		const agentPage = await context.newPage();
		await signIn(agentPage, 'agent@parley.local');
		await openPage(agentPage, '/app/acme/whatsapp');
		await expect(agentPage.getByTestId('number-card')).toHaveCount(2);
		await expect(agentPage.getByRole('button', { name: 'Connect New Number' })).toHaveCount(0);
		await expect(
			agentPage.getByRole('button', { name: /^(Edit|Delete|Activate|Deactivate)/ })
		).toHaveCount(0);
		await expect(agentPage.getByTestId('live-status')).toHaveAttribute('data-status', 'live');
		await screens(agentPage, 'whatsapp-agent-role');

		await card(page, 'Sales Support')
			.getByRole('button', { name: 'Activate Sales Support' })
			.click();
		await expect(card(agentPage, 'Sales Support').getByTestId('number-state')).toHaveText('Active');

		await agentPage.getByRole('link', { name: 'AI Agents' }).click();
		await expect(agentPage.getByTestId('agent-row')).toContainText('Sales assistant');
		await expect(agentPage.getByRole('button', { name: 'New AI agent' })).toHaveCount(0);
		await expect(agentPage.getByRole('button', { name: /^(Edit|Delete)/ })).toHaveCount(0);
		await openPage(agentPage, '/app/acme/integrations');
		await expect(
			agentPage.getByText('Only owners and admins can manage integrations.')
		).toBeVisible();
		await context.close();
	});

	await test.step('refusals while numbers depend on them: deleting their agent, disconnecting Twilio', async () => {
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'AI Agents' })
			.click();
		await page.getByRole('button', { name: 'Delete Sales assistant' }).click();
		await page
			.getByRole('dialog', { name: 'Delete Sales assistant?' })
			.getByRole('button', { name: 'Delete agent' })
			.click();
		await expect(
			page
				.getByTestId('toast')
				.filter({ hasText: 'The AI agent "Sales assistant" answers on active numbers' })
		).toBeVisible();
		await expect(page.getByTestId('agent-row')).toHaveCount(1);

		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'Integrations' })
			.click();
		const twilio = page.getByTestId('twilio-card');
		await twilio.getByRole('button', { name: 'Reconnect' }).click();
		await twilio.getByRole('button', { name: 'Save and check' }).click();
		// A blank token re-checks the stored one with Twilio.
		await expect(
			page.getByTestId('toast').filter({ hasText: 'Twilio is connected' })
		).toBeVisible();
		await expect(twilio.getByRole('button', { name: 'Reconnect' })).toBeVisible();
		await twilio.getByRole('button', { name: 'Disconnect' }).click();
		await page
			.getByRole('dialog', { name: 'Disconnect Twilio?' })
			.getByRole('button', { name: 'Disconnect Twilio' })
			.click();
		await expect(
			page.getByTestId('toast').filter({
				hasText:
					'Twilio cannot be disconnected while 2 WhatsApp numbers use it. Delete those numbers first.'
			})
		).toBeVisible();
		await expect(twilio.getByTestId('twilio-status')).toHaveText('Connected');
	});

	await test.step('the Meta setup guide', async () => {
		await openPage(page, '/app/acme/whatsapp');
		await page.getByRole('link', { name: 'Meta setup guide' }).click();
		await expect(
			page.getByRole('heading', { name: "Connect a number with Meta's WhatsApp Cloud API" })
		).toBeVisible();
		await expect(page.getByRole('heading', { name: /Subscribe to messages/ })).toBeVisible();
		const images = page.getByRole('img', { name: /Mock-up of/ });
		await expect(images).toHaveCount(6);
		for (const image of await images.all()) {
			await image.scrollIntoViewIfNeeded();
			await expect
				.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth))
				.toBeGreaterThan(0);
		}
		await screens(page, 'guide-meta');
	});
});
