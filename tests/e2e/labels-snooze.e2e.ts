import { expect, test } from '@playwright/test';
import {
	DEMO_PEOPLE,
	createWorkspace,
	customerSends,
	deleteWorkspace,
	findStack,
	openPage,
	signIn
} from './support/workspace.ts';
import {
	DESKTOP,
	inboxRow as row,
	newSignedInPage,
	screensOf,
	viewCount as count,
	viewTab as tab
} from './support/screens.ts';

// Labels and snooze end to end in their own workspace: an admin creates a label, an agent puts it
// on a conversation from the chat with the keyboard, sees it on the inbox row that was already
// open, filters the inbox by it (kept in the address), follows the admin's rename live, then
// snoozes the conversation and finds it under Snoozed.

const LABELLED = { phone: '+5215522220001', name: 'Vera Label' };
const OTHER = { phone: '+5215522220002', name: 'Omar Other' };

const screens = screensOf('labels-snooze');

test('an admin makes a label, an agent applies it, filters by it and snoozes the conversation', async ({
	page: admin,
	browser
}) => {
	test.setTimeout(600_000);
	await admin.setViewportSize(DESKTOP);
	await signIn(admin, DEMO_PEOPLE.admin.email);
	const { supabaseUrl, sandboxUrl } = await findStack(admin);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Labels Co',
		slugPrefix: 'labels',
		members: ['admin', 'agent']
	});
	const agent = await newSignedInPage(browser, DEMO_PEOPLE.agent.email);
	const agentChat = await agent.context().newPage();

	try {
		await test.step('the admin creates a label; a name too long is refused beside the field', async () => {
			await openPage(admin, `/app/${slug}/labels`);
			await expect(admin.getByText('No labels yet')).toBeVisible();
			await admin.getByRole('button', { name: 'New label' }).click();
			const dialog = admin.getByRole('dialog', { name: 'New label' });
			await dialog.getByLabel('Name').fill('V'.repeat(41));
			await dialog.getByText('Violet').click();
			await dialog.getByRole('button', { name: 'Create label' }).click();
			await expect(dialog.getByText('Keep the name to 40 characters.')).toBeVisible();
			await screens(admin, 'label-form-refused');
			await dialog.getByLabel('Name').fill('  VIP  ');
			await dialog.getByRole('button', { name: 'Create label' }).click();
			await expect(dialog).toBeHidden();
			const created = admin.getByTestId('label-row').filter({ hasText: 'VIP' });
			await expect(created.getByTestId('label-chip')).toHaveText('VIP');
			await expect(created.getByTestId('label-chip')).toHaveClass(/bg-violet-50/);
			await screens(admin, 'labels-page');
		});

		await test.step('the agent applies it from the chat with the keyboard', async () => {
			await openPage(agent, `/app/${slug}/whatsapp/conversations`);
			await expect(agent.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
			await customerSends(sandboxUrl, LABELLED, { text: 'I ordered the large one' });
			await customerSends(sandboxUrl, OTHER, { text: 'Just browsing' });
			await expect(row(agent, OTHER.name)).toBeVisible();
			const link = row(agent, LABELLED.name).getByRole('link', { name: /View Chat/ });
			await openPage(agentChat, (await link.getAttribute('href'))!);
			// Focus moves only on the tab in front.
			await agentChat.bringToFront();
			const labels = agentChat.getByTestId('conversation-labels');
			await expect(labels).toContainText('None');
			await labels.getByTestId('label-picker-toggle').click();
			const search = agentChat.getByLabel('Find a label');
			await expect(search).toBeFocused();
			await search.pressSequentially('vi');
			await screens(agentChat, 'label-picker');
			await agentChat.keyboard.press('Tab');
			await expect(agentChat.getByRole('checkbox', { name: 'VIP' })).toBeFocused();
			await agentChat.keyboard.press('Space');
			await expect(labels.getByTestId('label-chip')).toContainText('VIP');
			await expect(agentChat.getByRole('checkbox', { name: 'VIP' })).toBeChecked();
			await agentChat.keyboard.press('Escape');
			await expect(agentChat.getByTestId('label-picker')).toHaveCount(0);
			await expect(labels.getByTestId('label-picker-toggle')).toBeFocused();
			await screens(agentChat, 'chat-labelled');
		});

		await test.step('the open inbox shows the label at once and filters by it', async () => {
			await expect(row(agent, LABELLED.name).getByTestId('label-chip')).toHaveText('VIP');
			await expect(row(agent, OTHER.name).getByTestId('label-chip')).toHaveCount(0);
			await agent.getByLabel('Label', { exact: true }).selectOption({ label: 'VIP' });
			await expect(row(agent, OTHER.name)).toHaveCount(0);
			await expect(row(agent, LABELLED.name)).toBeVisible();
			await expect(count(agent, 'all')).toHaveText('1');
			await expect(agent).toHaveURL(/[?&]label=[0-9a-f-]{36}/);
			await screens(agent, 'inbox-filtered');

			// The admin renames it; the agent's chip and filter follow without a reload.
			await admin.getByRole('button', { name: 'Edit VIP' }).click();
			const dialog = admin.getByRole('dialog', { name: 'Edit VIP' });
			await dialog.getByLabel('Name').fill('VIP customer');
			await dialog.getByText('Amber').click();
			await dialog.getByRole('button', { name: 'Save changes' }).click();
			await expect(dialog).toBeHidden();
			await expect(row(agent, LABELLED.name).getByTestId('label-chip')).toHaveText('VIP customer');
			await expect(
				agentChat.getByTestId('conversation-labels').getByTestId('label-chip')
			).toContainText('VIP customer');

			// The address keeps the filter: a reload shows the same list.
			await agent.reload();
			await expect(agent.getByLabel('Label', { exact: true })).toHaveValue(/[0-9a-f-]{36}/);
			await expect(row(agent, OTHER.name)).toHaveCount(0);
			await expect(row(agent, LABELLED.name)).toBeVisible();
		});

		await test.step('the agent snoozes it: it leaves All for Snoozed', async () => {
			await openPage(agent, `/app/${slug}/whatsapp/conversations`);
			await expect(agent.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
			await expect(count(agent, 'snoozed')).toHaveText('0');
			await expect(row(agent, LABELLED.name)).toBeVisible();
			await agentChat.bringToFront();
			await agentChat.getByTestId('snooze-toggle').click();
			await expect(agentChat.getByTestId('snooze-hour')).toBeFocused();
			await screens(agentChat, 'snooze-menu');
			await agentChat.getByTestId('snooze-hour').click();
			await expect(agentChat.getByTestId('chat-snoozed')).toContainText('Snoozed until');
			await expect(agentChat.getByTestId('unsnooze')).toBeVisible();
			await screens(agentChat, 'chat-snoozed');

			await expect(row(agent, LABELLED.name)).toHaveCount(0);
			await expect(count(agent, 'snoozed')).toHaveText('1');
			await tab(agent, 'Snoozed').click();
			await expect(agent).toHaveURL(/[?&]view=snoozed/);
			const snoozed = row(agent, LABELLED.name);
			await expect(snoozed.getByTestId('row-snoozed')).toContainText('Snoozed until');
			await expect(snoozed.getByTestId('label-chip')).toHaveText('VIP customer');
			await screens(agent, 'inbox-snoozed');
		});
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
