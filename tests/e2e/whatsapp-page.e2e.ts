import { expect, test, type Locator, type Page } from '@playwright/test';
import { createClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { DEMO_CREDENTIALS } from '../../sandbox/demo.ts';
import { SERVICE_ROLE_KEY } from '../../supabase/local/keys.ts';
import {
	DEMO_PEOPLE,
	customerSends,
	deleteWorkspace,
	findStack,
	openPage,
	reloadPage,
	signIn,
	signedInClient
} from './support/workspace.ts';
import { DESKTOP, newSignedInPage, screensOf } from './support/screens.ts';

// The WhatsApp page of a workspace that starts with nothing: the setup checklist, done step by step
// from real data (an agent is asked to find an admin instead), a typed Twilio number refused when
// too short and only warned about when unusual, a Meta number whose wrong Business Account ID is
// shown under that field, and then the page as a team lives with it: conversations first, compact
// number cards with their status in sight and the webhook settings behind a disclosure.

const screens = screensOf('whatsapp-page');
const metaDemo = DEMO_CREDENTIALS.meta;
const CUSTOMER = { phone: '+5215511120001', name: 'Wendy Webhook' };

const card = (page: Page, name: string): Locator =>
	page.getByTestId('number-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
const step = (page: Page, id: string): Locator =>
	page.locator(`[data-testid="setup-step"][data-step="${id}"]`);

async function openConnectModal(page: Page, opener: Locator): Promise<Locator> {
	await expect(page.getByTestId('live-status')).toHaveAttribute('data-status', 'live');
	await opener.click();
	const dialog = page.getByRole('dialog', { name: 'Connect a WhatsApp number' });
	await expect(dialog).toBeVisible();
	return dialog;
}

test('a new workspace follows the checklist to its numbers, and the page leads with conversations', async ({
	page,
	browser
}) => {
	await page.setViewportSize(DESKTOP);
	await signIn(page, DEMO_PEOPLE.owner.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const service = createClient(supabaseUrl, SERVICE_ROLE_KEY, {
		auth: { persistSession: false },
		realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket }
	});
	const slug = `numbers-${randomBytes(3).toString('hex')}`;
	const { data: tenant, error } = await service
		.from('tenants')
		.insert({ name: 'Numbers Co', slug })
		.select('id')
		.single();
	if (error) throw error;
	const tenantId: string = tenant.id;
	const members = await service.from('memberships').insert([
		{ tenant_id: tenantId, user_id: DEMO_PEOPLE.owner.id, role: 'owner' },
		{ tenant_id: tenantId, user_id: DEMO_PEOPLE.agent.id, role: 'agent' }
	]);
	if (members.error) throw members.error;
	const { client: owner } = await signedInClient(supabaseUrl, DEMO_PEOPLE.owner.email);
	// A Twilio account of this workspace's own, with a number in the +1 555 range nobody uses.
	const twilioNumber = `+1555${String(Date.now()).slice(-7)}`;
	const sandboxPost = async (path: string, body: Record<string, unknown>) => {
		const response = await fetch(`${sandboxUrl}${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body)
		});
		expect(response.status, await response.clone().text()).toBe(201);
		return (await response.json()) as { sid: string; authToken: string };
	};
	const account = await sandboxPost('/_sandbox/twilio/accounts', { friendlyName: 'Numbers Co' });
	await sandboxPost('/_sandbox/twilio/numbers', {
		accountSid: account.sid,
		phoneNumber: twilioNumber,
		whatsapp: false
	});

	try {
		await test.step('an empty page: the checklist, every step to do, each linking to its page', async () => {
			await openPage(page, `/app/${slug}/whatsapp`);
			const checklist = page.getByTestId('setup-checklist');
			await expect(
				checklist.getByRole('heading', { name: 'No WhatsApp numbers yet' })
			).toBeVisible();
			await expect(checklist.getByTestId('setup-progress')).toHaveText('0 of 3 done');
			for (const id of ['provider', 'agent', 'number'])
				await expect(step(page, id).getByTestId('setup-step-state')).toHaveText('Not done');
			await expect(
				step(page, 'provider').getByRole('link', { name: 'Open Integrations' })
			).toHaveAttribute('href', `/app/${slug}/integrations`);
			await expect(
				step(page, 'agent').getByRole('link', { name: 'Open AI Agents' })
			).toHaveAttribute('href', `/app/${slug}/agents`);
			await screens(page, 'checklist-empty');
		});

		await test.step('Twilio connected and an AI agent with WhatsApp on: those steps are done', async () => {
			const connected = await owner.functions.invoke(`twilio-integration/${tenantId}`, {
				method: 'POST',
				body: { accountSid: account.sid, authToken: account.authToken }
			});
			expect(connected.error).toBeNull();
			const agent = await owner
				.from('ai_agents')
				.insert({ tenant_id: tenantId, name: 'Front desk AI', whatsapp_enabled: true })
				.select('id')
				.single();
			expect(agent.error).toBeNull();
			await reloadPage(page);
			await expect(page.getByTestId('setup-progress')).toHaveText('2 of 3 done');
			await expect(step(page, 'provider').getByTestId('setup-step-state')).toHaveText('Done');
			await expect(step(page, 'agent')).toContainText('Front desk AI has WhatsApp on.');
			await expect(step(page, 'number').getByTestId('setup-step-state')).toHaveText('Not done');
			await screens(page, 'checklist');
		});

		await test.step('an agent-role member is asked to find an admin instead of steps', async () => {
			const agentPage = await newSignedInPage(browser, DEMO_PEOPLE.agent.email);
			await openPage(agentPage, `/app/${slug}/whatsapp`);
			const checklist = agentPage.getByTestId('setup-checklist');
			await expect(checklist).toContainText(
				"Connecting a number takes an owner or admin of Numbers Co. Ask one of them to connect the workspace's WhatsApp number on this page."
			);
			await expect(checklist.getByTestId('setup-step')).toHaveCount(0);
			await agentPage.context().close();
		});

		await test.step('a typed Twilio number: 7 digits refused under the field, an unusual one only warned about', async () => {
			const dialog = await openConnectModal(
				page,
				step(page, 'number').getByRole('button', { name: 'Connect a number' })
			);
			await dialog.getByRole('button', { name: "My number isn't listed" }).click();
			await dialog.getByLabel('Display Name').fill('Front desk');
			const field = dialog.getByLabel('WhatsApp number');
			await field.fill('+1 555 010');
			await dialog.getByRole('button', { name: 'Connect Number' }).click();
			await expect(field).toHaveAttribute('aria-invalid', 'true');
			await expect(field).toHaveAccessibleDescription(
				'The number has 7 digits; a WhatsApp number has 8 to 15, counting the country code.'
			);
			const spaced = `${twilioNumber.slice(0, 2)} ${twilioNumber.slice(2, 5)} ${twilioNumber.slice(5, 8)} ${twilioNumber.slice(8)}`;
			await field.fill(`whatsapp:${spaced}`);
			await expect(field).not.toHaveAttribute('aria-invalid', 'true');
			const warning = dialog.getByTestId('number-warning');
			await expect(warning).toContainText(
				`${spaced} does not look like a number in use in its country (country code +1). Check the digits; Parley connects it anyway.`
			);
			await expect(field).toHaveAccessibleDescription(/does not look like a number in use/);
			await screens(page, 'warning');
			// A number in use has no warning.
			await field.fill('+1 415 523 8886');
			await expect(warning).toHaveCount(0);
			await field.fill(spaced);
			await expect(warning).toBeVisible();
			await dialog.getByRole('button', { name: 'Connect Number' }).click();
			await expect(dialog).toBeHidden();
			await expect(card(page, 'Front desk').getByTestId('number-address')).toHaveText(twilioNumber);
		});

		await test.step('a Meta number with an unknown Business Account ID: the error is under that field', async () => {
			const dialog = await openConnectModal(
				page,
				page.getByRole('button', { name: 'Connect New Number' })
			);
			await dialog.getByText('Meta Cloud API').click();
			await dialog.getByLabel('Display Name').fill('Meta line');
			await dialog.getByLabel('Phone Number ID').fill(metaDemo.phoneNumberId);
			const baid = dialog.getByLabel('Business Account ID (optional)');
			await baid.fill('999000111');
			await dialog.getByLabel('Access Token').fill(metaDemo.accessToken);
			await dialog.getByLabel('App Secret').fill(metaDemo.appSecret);
			await dialog.getByRole('button', { name: 'Connect Number' }).click();
			await expect(baid).toHaveAttribute('aria-invalid', 'true');
			await expect(baid).toHaveAccessibleDescription(
				"Meta found no WhatsApp Business Account with ID 999000111 for this access token (error 100). Check the ID, and that the token's System User has access to the WhatsApp Business Account."
			);
			await expect(dialog.getByLabel('Phone Number ID')).not.toHaveAttribute(
				'aria-invalid',
				'true'
			);
			await expect(dialog.getByRole('alert')).toHaveCount(0);
			await screens(page, 'baid-error');
			await baid.fill(metaDemo.wabaId);
			// Secrets are never echoed back into the form.
			await dialog.getByLabel('Access Token').fill(metaDemo.accessToken);
			await dialog.getByLabel('App Secret').fill(metaDemo.appSecret);
			await dialog.getByRole('button', { name: 'Connect Number' }).click();
			await expect(dialog).toBeHidden();
			await expect(card(page, 'Meta line')).toBeVisible();
			await expect(page.getByTestId('setup-checklist')).toHaveCount(0);
		});

		await test.step('conversations lead; cards are compact, their status in sight, webhooks behind a disclosure', async () => {
			await customerSends(sandboxUrl, CUSTOMER, { text: 'Is anyone there?' });
			const meta = card(page, 'Meta line');
			// The signed webhook marks the number verified, live.
			await expect(meta.getByTestId('number-health')).toHaveText('Verified');
			await expect(
				page.getByTestId('conversation-row').filter({ hasText: CUSTOMER.name })
			).toBeVisible();
			const conversations = await page.getByTestId('recent-conversations').boundingBox();
			const firstCard = await page.getByTestId('number-card').first().boundingBox();
			expect(conversations && firstCard && conversations.y < firstCard.y).toBe(true);

			const desk = card(page, 'Front desk');
			await expect(desk.getByTestId('number-state')).toHaveText('Inactive');
			await expect(desk.getByTestId('number-health')).toHaveText('Not verified');
			await expect(desk.getByTestId('number-provider')).toHaveText('Twilio');
			// The provider tag is not red: red on a card means trouble.
			for (const tag of [
				desk.getByTestId('number-provider'),
				meta.getByTestId('number-provider')
			]) {
				const [red, green, blue] = await tag.evaluate((element) =>
					(getComputedStyle(element).backgroundColor.match(/[\d.]+/g) ?? []).map(Number)
				);
				expect(red - Math.min(green, blue), 'a red provider tag').toBeLessThan(40);
			}
			for (const number of [desk, meta]) {
				await expect(number.getByTestId('webhook-url')).toBeHidden();
				await expect(number.getByTestId('verify-token')).toBeHidden();
			}
			await screens(page, 'cards');

			// The disclosure opens from the keyboard and shows the settings with their copy buttons.
			const summary = meta.locator('summary', { hasText: 'Webhook setup' });
			await summary.focus();
			await page.keyboard.press('Enter');
			await expect(meta.getByTestId('webhook-setup')).toHaveAttribute('open', '');
			await expect(meta.getByTestId('webhook-url')).toContainText('/functions/v1/meta-webhook');
			await expect(meta.getByTestId('verify-token')).toHaveText(/^[A-Za-z0-9_-]{32}$/);
			await expect(meta.getByRole('button', { name: 'Copy Verify token' })).toBeVisible();
			await expect(desk.getByTestId('webhook-url')).toBeHidden();
			await screens(page, 'disclosure-open');
			await page.keyboard.press('Enter');
			await expect(meta.getByTestId('webhook-url')).toBeHidden();
		});
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
