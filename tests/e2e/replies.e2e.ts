import { expect, test, type Browser, type Page } from '@playwright/test';
import {
	createWorkspace,
	customerSends,
	deleteWorkspace,
	DEMO_PEOPLE,
	findStack,
	openPage,
	signIn
} from './support/workspace.ts';
import { screensOf } from './support/screens.ts';

// Replies at hand: an admin writes a canned response with a variable; an agent finds it with `/`,
// sends it, and the customer receives it filled in; the agent writes an internal note mentioning
// the admin, who sees it arrive in the open thread and is notified; the customer never gets it.
// Axe-checked at each new state, screenshots at two widths.

const DESKTOP = { width: 1280, height: 900 };
const CUSTOMER = { phone: '+5215522223333', name: 'Rosa Replies' };
const FILLED = 'Thanks Rosa, Sofia Agent is checking your order now.';
const NOTE = 'please check the refund for this order';

const screens = screensOf('replies', DESKTOP);

async function newSignedInPage(browser: Browser, email: string): Promise<Page> {
	const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
	await signIn(page, email);
	return page;
}

/** What the sandbox's WhatsApp delivered to the customer, oldest first. */
async function deliveredToCustomer(sandboxUrl: string): Promise<string[]> {
	const response = await fetch(`${sandboxUrl}/_sandbox/state`);
	const state = (await response.json()) as {
		messages: { direction: string; customer: string; body: string }[];
	};
	return state.messages
		.filter((message) => message.direction === 'outbound' && message.customer === CUSTOMER.phone)
		.map((message) => message.body);
}

test('a canned response goes out filled in; a note mentioning the admin reaches them live and never the customer', async ({
	page: admin,
	browser
}) => {
	test.setTimeout(600_000);
	await signIn(admin, DEMO_PEOPLE.admin.email);
	const { supabaseUrl, sandboxUrl } = await findStack(admin);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Replies journey',
		slugPrefix: 'replies',
		members: ['admin', 'agent']
	});
	try {
		await customerSends(sandboxUrl, CUSTOMER, { text: 'Hi, where is my order 778?' });
		let conversationId = '';
		await expect
			.poll(async () => {
				const { data } = await service
					.from('conversations')
					.select('id')
					.eq('tenant_id', tenantId)
					.maybeSingle();
				conversationId = data?.id ?? '';
				return conversationId;
			})
			.not.toBe('');

		await test.step('an admin writes a canned response; a wrong variable is named by its field', async () => {
			await openPage(admin, `/app/${slug}/whatsapp`);
			await admin
				.getByRole('navigation', { name: 'Main' })
				.getByRole('link', { name: 'Canned responses' })
				.click();
			await expect(
				admin.getByRole('heading', { name: 'Canned responses', level: 1 })
			).toBeVisible();
			await admin.getByRole('button', { name: 'New canned response' }).click();
			const dialog = admin.getByRole('dialog', { name: 'New canned response' });
			await dialog.getByLabel('Shortcut').fill('thanks');
			await dialog.getByLabel('Title').fill('Thanks, checking');
			await dialog.getByLabel('Text').fill('Thanks {{name}}, checking now.');
			await dialog.getByRole('button', { name: 'Create response' }).click();
			await expect(dialog.getByLabel('Text')).toHaveAttribute('aria-invalid', 'true');
			await expect(dialog).toContainText('{{name}} is not a variable Parley fills in');
			await screens(admin, 'canned-form-error');
			await dialog
				.getByLabel('Text')
				.fill('Thanks {{customer_first_name}}, {{agent_name}} is checking your order now.');
			await dialog.getByRole('button', { name: 'Create response' }).click();
			await expect(dialog).toBeHidden();
			await expect(admin.getByTestId('canned-response-row')).toContainText('/thanks');
			await screens(admin, 'canned-list');
		});

		const agent = await newSignedInPage(browser, DEMO_PEOPLE.agent.email);

		await test.step('an agent sees the list read-only', async () => {
			await openPage(agent, `/app/${slug}/canned-responses`);
			await expect(agent.getByTestId('canned-response-row')).toContainText('Thanks, checking');
			await expect(agent.getByRole('button', { name: 'New canned response' })).toHaveCount(0);
			await expect(agent.getByRole('button', { name: /^Edit/ })).toHaveCount(0);
		});

		await test.step('the agent types /, picks it, and the customer receives it filled in', async () => {
			await openPage(agent, `/app/${slug}/whatsapp/${conversationId}`);
			await expect(agent.getByTestId('chat-live-status')).toHaveAttribute('data-status', 'live');
			const composer = agent.getByRole('textbox', { name: 'Message' });
			await composer.click();
			await composer.pressSequentially('/tha');
			const picker = agent.getByRole('listbox', { name: 'Canned responses' });
			await expect(picker.getByRole('option')).toHaveCount(1);
			await expect(picker.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
			await screens(agent, 'canned-picker');
			await composer.press('Enter');
			await expect(picker).toHaveCount(0);
			await expect(composer).toHaveValue(FILLED);
			await composer.press('Enter');
			await expect(composer).toHaveValue('');
			await expect.poll(() => deliveredToCustomer(sandboxUrl)).toEqual([FILLED]);
		});

		await test.step('Escape closes the picker and keeps what was typed', async () => {
			const composer = agent.getByRole('textbox', { name: 'Message' });
			await composer.pressSequentially('/');
			await expect(agent.getByRole('listbox', { name: 'Canned responses' })).toBeVisible();
			await composer.press('Escape');
			await expect(agent.getByRole('listbox', { name: 'Canned responses' })).toHaveCount(0);
			await expect(composer).toHaveValue('/');
			await composer.fill('');
		});

		await test.step('the admin has the conversation open as the agent writes a note mentioning them', async () => {
			await openPage(admin, `/app/${slug}/whatsapp/${conversationId}`);
			await expect(admin.getByTestId('chat-live-status')).toHaveAttribute('data-status', 'live');
			await agent.getByRole('button', { name: 'Note', exact: true }).click();
			const noteBox = agent.getByRole('textbox', {
				name: 'Internal note — not sent to the customer'
			});
			await expect(noteBox).toBeFocused();
			await noteBox.pressSequentially('@Ad');
			const suggestions = agent.getByRole('listbox', { name: 'Mention a teammate' });
			await expect(suggestions.getByRole('option')).toHaveText(['Adam Admin']);
			await screens(agent, 'note-mention');
			await noteBox.press('Enter');
			await noteBox.pressSequentially(NOTE);
			await expect(noteBox).toHaveValue(`@Adam Admin ${NOTE}`);
			await noteBox.press('Enter');
			await expect(noteBox).toHaveValue('');
			await expect(agent.getByTestId('note')).toContainText(`@Adam Admin ${NOTE}`);
			await screens(agent, 'note-written');
		});

		await test.step('the note arrives live in the admin’s thread, after the reply, and notifies them', async () => {
			const note = admin.getByTestId('note');
			await expect(note).toContainText(`@Adam Admin ${NOTE}`);
			await expect(note).toContainText('Internal note · Sofia Agent');
			// In time order: the customer's message, the canned reply, then the note.
			const items = admin
				.getByTestId('thread')
				.locator('[data-testid="message"], [data-testid="note"]');
			await expect(items).toHaveCount(3);
			await expect(items.last()).toHaveAttribute('data-testid', 'note');
			await screens(admin, 'note-received');
			await openPage(admin, `/app/${slug}/whatsapp/notifications`);
			await expect(admin.getByTestId('notification').first()).toContainText(
				`Sofia Agent mentioned you in the conversation with ${CUSTOMER.name}`
			);
			await screens(admin, 'mention-notification');
		});

		await test.step('the customer never received the note, and it is no message', async () => {
			expect(await deliveredToCustomer(sandboxUrl)).toEqual([FILLED]);
			const { data: messages } = await service
				.from('messages')
				.select('body')
				.eq('conversation_id', conversationId);
			expect(messages?.map((row) => row.body)).not.toContain(`@Adam Admin ${NOTE}`);
		});
		await agent.context().close();
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
