import { expect, test, type Page } from '@playwright/test';
import {
	DEMO_PEOPLE,
	createWorkspace,
	customerSends,
	deleteWorkspace,
	findStack,
	openPage,
	signIn
} from './support/workspace.ts';
import { PHONE, newSignedInPage, screensOf } from './support/screens.ts';

// The inbox for people who live in it, in a workspace of its own: on a wide screen the chat sits
// between the conversation list and the contact panel, the list stays (scroll, filters, live
// topic) while moving between conversations, and everything is reachable from the keyboard: j/k
// and the arrows through the list, Enter to open, e to close, a to assign, / for canned responses
// and ? for the sheet that lists them. On a phone the chat stays a screen of its own.

const WIDE = { width: 1440, height: 900 };
const ANA = { phone: '+5215533330001', name: 'Ana Keys' };
const BRUNO = { phone: '+5215533330002', name: 'Bruno Keys' };
const CARLA = { phone: '+5215533330003', name: 'Carla Keys' };
// Older conversations below those three: enough rows for the list beside the chat to scroll.
const EARLIER = Array.from({ length: 10 }, (_, i) => ({
	phone: `+52155333301${String(i).padStart(2, '0')}`,
	name: `Earlier Customer ${String.fromCharCode(65 + i)}`
}));
const ROWS = 3 + EARLIER.length;

const screens = screensOf('keyboard', WIDE);

const pane = (page: Page) => page.getByTestId('inbox-pane');
const paneRow = (page: Page, name: string) =>
	pane(page).getByTestId('conversation-row').filter({ hasText: name });
const listRow = (page: Page, name: string) =>
	page.getByTestId('conversation-row').filter({ hasText: name });
const rowLink = (row: ReturnType<Page['locator']>) => row.locator('[data-row-link]');

test('three panes on a wide screen, and the inbox from the keyboard', async ({ page, browser }) => {
	test.setTimeout(600_000);
	await page.setViewportSize(WIDE);
	await signIn(page, DEMO_PEOPLE.admin.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Keyboard Co',
		slugPrefix: 'keyboard',
		members: ['admin', 'agent']
	});
	const canned = await service.from('canned_responses').insert({
		tenant_id: tenantId,
		shortcut: 'shipping',
		title: 'Shipping times',
		body: 'We ship within two working days.'
	});
	expect(canned.error).toBeNull();
	// Each customer's conversation id, as the list's rows carry them.
	const ids = new Map<string, string>();
	const chatPath = (name: string) => `/app/${slug}/whatsapp/${ids.get(name)}`;

	try {
		await test.step('customers write; the list shows them newest first', async () => {
			await openPage(page, `/app/${slug}/whatsapp/conversations`);
			await expect(page.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
			for (const customer of EARLIER) {
				await customerSends(sandboxUrl, customer, { text: `Hi, this is ${customer.name}` });
				await expect(listRow(page, customer.name)).toBeVisible();
			}
			for (const [customer, text] of [
				[ANA, 'Hello, where is my order?'],
				[BRUNO, 'Do you have this in blue?'],
				[CARLA, 'Can I pay on delivery?']
			] as const) {
				await customerSends(sandboxUrl, customer, { text });
				await expect(listRow(page, customer.name)).toBeVisible();
			}
			await expect(page.getByTestId('conversation-row')).toHaveCount(ROWS);
			await expect(page.getByTestId('conversation-row').first()).toContainText(CARLA.name);
			await expect(page.getByTestId('conversation-row').nth(1)).toContainText(BRUNO.name);
			await expect(page.getByTestId('conversation-row').nth(2)).toContainText(ANA.name);
			for (const { name } of [ANA, BRUNO, CARLA, EARLIER[0]]) {
				ids.set(name, (await listRow(page, name).getAttribute('data-conversation-id')) ?? '');
			}
		});

		await test.step('the list from the keyboard: j/k and the arrows move, Enter opens', async () => {
			await page.keyboard.press('j');
			await expect(rowLink(listRow(page, CARLA.name))).toBeFocused();
			// The first row is as far up as it goes.
			await page.keyboard.press('k');
			await expect(rowLink(listRow(page, CARLA.name))).toBeFocused();
			await page.keyboard.press('j');
			await expect(rowLink(listRow(page, BRUNO.name))).toBeFocused();
			await page.keyboard.press('j');
			await expect(rowLink(listRow(page, ANA.name))).toBeFocused();
			await page.keyboard.press('k');
			await expect(rowLink(listRow(page, BRUNO.name))).toBeFocused();
			await page.keyboard.press('ArrowUp');
			await expect(rowLink(listRow(page, CARLA.name))).toBeFocused();
			await page.keyboard.press('ArrowDown');
			await expect(rowLink(listRow(page, BRUNO.name))).toBeFocused();
			// Only the row the keyboard is on is a Tab stop.
			await expect(rowLink(listRow(page, BRUNO.name))).toHaveAttribute('tabindex', '0');
			await expect(rowLink(listRow(page, CARLA.name))).toHaveAttribute('tabindex', '-1');
			// Typing in the search box is typing, not moving.
			await page.getByLabel('Search conversations').focus();
			await page.keyboard.press('j');
			await expect(page.getByLabel('Search conversations')).toHaveValue('j');
			await page.getByLabel('Search conversations').fill('');
			await expect(page.getByTestId('conversation-row')).toHaveCount(ROWS);
			// Out of the box, the keys move on from the row the keyboard was on.
			await page.getByRole('heading', { name: 'Conversations', level: 1 }).click();
			await page.keyboard.press('k');
			await expect(rowLink(listRow(page, CARLA.name))).toBeFocused();
			await screens(page, 'list-row-focused');

			await page.keyboard.press('j');
			await page.keyboard.press('j');
			await expect(rowLink(listRow(page, ANA.name))).toBeFocused();
			await page.keyboard.press('Enter');
			await expect(page).toHaveURL(chatPath(ANA.name));
			await expect(page.getByTestId('chat-contact')).toHaveText(ANA.name);
		});

		await test.step('at 1440 px: list, thread and contact panel side by side', async () => {
			await openPage(page, chatPath(BRUNO.name));
			await expect(page.getByTestId('chat-contact')).toHaveText(BRUNO.name);
			await expect(pane(page)).toBeVisible();
			await expect(pane(page).getByTestId('inbox-live-status')).toHaveAttribute(
				'data-status',
				'live'
			);
			await expect(pane(page).getByTestId('conversation-row')).toHaveCount(ROWS);
			await expect(page.getByTestId('thread')).toBeVisible();
			await expect(page.getByTestId('contact-column').getByTestId('contact-panel')).toBeVisible();
			// The open conversation is marked in the list.
			await expect(rowLink(paneRow(page, BRUNO.name))).toHaveAttribute('aria-current', 'page');
			await expect(paneRow(page, BRUNO.name)).toHaveAttribute('data-current', 'true');
			await expect(pane(page).locator('[aria-current="page"]')).toHaveCount(1);
			// Left to right: list, thread, panel.
			const [list, thread, panel] = await Promise.all(
				[pane(page), page.getByTestId('thread'), page.getByTestId('contact-column')].map(
					async (part) => (await part.boundingBox())!
				)
			);
			expect(list.x + list.width).toBeLessThanOrEqual(thread.x);
			expect(thread.x + thread.width).toBeLessThanOrEqual(panel.x);
			await screens(page, 'three-panes');
		});

		await test.step('the same chat on a phone: the chat alone, no list', async () => {
			await page.setViewportSize(PHONE);
			await expect(page.getByTestId('thread')).toBeVisible();
			await expect(pane(page)).toBeHidden();
			await expect(page.getByTestId('conversation-row')).toHaveCount(0);
			await page.setViewportSize(WIDE);
			await expect(pane(page).getByTestId('conversation-row')).toHaveCount(ROWS);
		});

		await test.step('choosing another row opens it in place; the list keeps its view', async () => {
			// The list's Unassigned view, chosen in the pane, must survive the move.
			await pane(page)
				.getByRole('tab', { name: /Unassigned/ })
				.click();
			await expect(page).toHaveURL(/[?&]view=unassigned/);
			await expect(pane(page).getByTestId('conversation-row')).toHaveCount(ROWS);
			// Marks that a full page load (or a new list) would wipe out.
			await page.evaluate(() => {
				(window as unknown as { stayed: boolean }).stayed = true;
			});
			await pane(page).evaluate((element) => element.setAttribute('data-kept', 'yes'));

			// Down the list and into an older conversation: the list keeps where it was scrolled to.
			const scroller = pane(page).getByTestId('inbox-rows');
			await scroller.evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
			const scrolled = await scroller.evaluate((element) => element.scrollTop);
			expect(scrolled).toBeGreaterThan(0);
			await rowLink(paneRow(page, EARLIER[0].name)).click();
			await expect(page.getByTestId('chat-contact')).toHaveText(EARLIER[0].name);
			await expect(page).toHaveURL(new RegExp(`${chatPath(EARLIER[0].name)}\\?view=unassigned$`));
			await expect(rowLink(paneRow(page, EARLIER[0].name))).toHaveAttribute('aria-current', 'page');
			await expect(rowLink(paneRow(page, BRUNO.name))).not.toHaveAttribute('aria-current');
			expect(await scroller.evaluate((element) => element.scrollTop)).toBe(scrolled);
			expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(
				true
			);
			await expect(pane(page)).toHaveAttribute('data-kept', 'yes');
			await expect(pane(page).getByRole('tab', { name: /Unassigned/ })).toHaveAttribute(
				'aria-selected',
				'true'
			);

			await scroller.evaluate((element) => element.scrollTo({ top: 0 }));
			await rowLink(paneRow(page, CARLA.name)).click();
			await expect(page.getByTestId('chat-contact')).toHaveText(CARLA.name);
			await expect(rowLink(paneRow(page, CARLA.name))).toHaveAttribute('aria-current', 'page');
			await expect(pane(page).locator('[aria-current="page"]')).toHaveCount(1);
		});

		await test.step('the list stays live beside the chat', async () => {
			await customerSends(sandboxUrl, ANA, { text: 'Any news on my order?' });
			await expect(pane(page).getByTestId('conversation-row').first()).toContainText(ANA.name);
			await expect(paneRow(page, ANA.name)).toContainText('Any news on my order?');
			// Ana's conversation was read when it was opened: this is the one new message.
			await expect(paneRow(page, ANA.name).getByTestId('unread-count')).toHaveText('1');
			// The chat open beside it is Carla's still.
			await expect(page.getByTestId('chat-contact')).toHaveText(CARLA.name);
			await screens(page, 'pane-live');
		});

		await test.step('j and Enter in the pane open the next conversation, focus stays in the list', async () => {
			await page.getByTestId('thread').focus();
			// Carla's is open; the rows read Ana, Carla, Bruno: j goes to the one after Carla's.
			await expect(pane(page).getByTestId('conversation-row')).toContainText([
				ANA.name,
				CARLA.name,
				BRUNO.name
			]);
			await page.keyboard.press('j');
			await expect(rowLink(paneRow(page, BRUNO.name))).toBeFocused();
			await page.keyboard.press('Enter');
			await expect(page.getByTestId('chat-contact')).toHaveText(BRUNO.name);
			await expect(rowLink(paneRow(page, BRUNO.name))).toHaveAttribute('aria-current', 'page');
			await expect(rowLink(paneRow(page, BRUNO.name))).toBeFocused();
			await page.keyboard.press('k');
			await expect(rowLink(paneRow(page, CARLA.name))).toBeFocused();
		});

		await test.step('? shows every shortcut; Escape closes it; nothing fires under it', async () => {
			await page.getByTestId('thread').focus();
			await page.keyboard.press('?');
			const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
			await expect(sheet).toBeVisible();
			for (const does of [
				'Next conversation',
				'Previous conversation',
				'Open the conversation',
				'Close the conversation',
				'Choose who has it (assignee)',
				'Write a reply and search canned responses',
				'Show these shortcuts'
			]) {
				await expect(sheet.getByText(does, { exact: true })).toBeVisible();
			}
			await page.keyboard.press('e');
			await expect(page.getByTestId('chat-status')).toHaveText('open');
			await screens(page, 'shortcuts-sheet');
			await page.keyboard.press('Escape');
			await expect(sheet).toBeHidden();
			// The button beside the list opens it too.
			await pane(page)
				.getByRole('button', { name: /Shortcuts/ })
				.click();
			await expect(sheet).toBeVisible();
			await sheet.getByRole('button', { name: 'Close shortcuts' }).click();
			await expect(sheet).toBeHidden();
		});

		await test.step('/ starts a reply with the canned-response search', async () => {
			await page.getByTestId('thread').focus();
			await page.keyboard.press('/');
			const composer = page.getByRole('textbox', { name: 'Message' });
			await expect(composer).toBeFocused();
			await expect(composer).toHaveValue('/');
			const picker = page.getByTestId('canned-picker');
			await expect(picker.getByRole('option', { name: /Shipping times/ })).toBeVisible();
			await screens(page, 'canned-search');
			// Typing goes on in the composer: e here is a letter, not a shortcut.
			await composer.focus();
			await page.keyboard.type('ship');
			await expect(composer).toHaveValue('/ship');
			await page.keyboard.press('e');
			await expect(composer).toHaveValue('/shipe');
			await expect(page.getByTestId('chat-status')).toHaveText('open');
			await composer.fill('');
		});

		await test.step('a opens the assignee control; the choice is saved', async () => {
			await page.getByTestId('thread').focus();
			await page.keyboard.press('a');
			const picker = page.getByTestId('assignee-picker');
			await expect(picker).toBeFocused();
			await screens(page, 'assignee-open');
			await picker.selectOption({ label: 'Sofia Agent' });
			await expect(page.getByTestId('chat-assignee')).toHaveText('Sofia Agent');
			// Someone has it now: it leaves the Unassigned view beside the chat, live.
			await expect(paneRow(page, BRUNO.name)).toHaveCount(0);
			await expect(pane(page).getByTestId('conversation-row')).toHaveCount(ROWS - 1);
		});

		await test.step('e closes the conversation, as the Close button does', async () => {
			await page.getByTestId('thread').focus();
			await page.keyboard.press('e');
			await expect(page.getByTestId('chat-status')).toHaveText('closed');
			await expect(page.getByTestId('toast').last()).toContainText('The conversation is closed.');
			const { data, error } = await service
				.from('conversations')
				.select('status')
				.eq('id', ids.get(BRUNO.name) ?? '')
				.single();
			if (error) throw error;
			expect(data.status).toBe('closed');
			await expect(page.getByRole('button', { name: 'Reopen' })).toBeVisible();
			await screens(page, 'closed-by-key');
		});

		await test.step('Ctrl and Alt leave the keys to the browser', async () => {
			await page.getByRole('button', { name: 'Reopen' }).click();
			await expect(page.getByTestId('chat-status')).toHaveText('open');
			await page.getByTestId('thread').focus();
			await page.keyboard.press('Alt+e');
			await page.keyboard.press('Control+e');
			// A plain key after them still acts, so the two above were heard and left alone.
			await page.keyboard.press('?');
			await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
			await expect(page.getByTestId('chat-status')).toHaveText('open');
			await page.keyboard.press('Escape');
		});

		await test.step('for an agent, a reaches Assign to me; a teammate’s conversation is not theirs to move', async () => {
			const agent = await newSignedInPage(browser, DEMO_PEOPLE.agent.email);
			try {
				await openPage(agent, chatPath(ANA.name));
				await expect(agent.getByTestId('chat-assignee')).toHaveText('Unassigned');
				await agent.getByTestId('thread').focus();
				await agent.keyboard.press('a');
				await expect(agent.getByTestId('assign-to-me')).toBeFocused();
				await agent.keyboard.press('Enter');
				await expect(agent.getByTestId('chat-assignee')).toHaveText('You');

				const taken = await service
					.from('conversations')
					.update({ assignee_id: DEMO_PEOPLE.admin.id })
					.eq('id', ids.get(CARLA.name) ?? '');
				expect(taken.error).toBeNull();
				await openPage(agent, chatPath(CARLA.name));
				await expect(agent.getByTestId('chat-assignee')).toHaveText('Adam Admin');
				await agent.getByTestId('thread').focus();
				await agent.keyboard.press('a');
				await expect(agent.getByTestId('toast').last()).toContainText(
					'Only owners and admins can reassign a teammate’s conversation.'
				);
			} finally {
				await agent.context().close();
			}
		});
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
