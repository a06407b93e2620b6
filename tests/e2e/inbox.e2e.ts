import { expect, test, type Browser, type Page } from '@playwright/test';
import { DEMO_CREDENTIALS } from '../../sandbox/demo.ts';
import { accessibilityViolations } from './support/axe.ts';
import {
	createWorkspace,
	customerSends as sendAsCustomer,
	deleteWorkspace,
	findStack,
	signIn,
	openPage,
	reloadPage
} from './support/workspace.ts';

// The inbox end to end in its own workspace (so the numbers test still finds Acme empty): the
// sandbox plays a customer writing to a Meta number; the owner, an admin and an agent answer,
// watch it live, read notifications and close, archive, reopen and delete the conversation.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const metaDemo = DEMO_CREDENTIALS.meta;
const CUSTOMER = { phone: '+5215598765432', name: 'Ana Inbox' };
const OTHER_CUSTOMER = { phone: '+5491155550123', name: 'Bo Other' };

const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/inbox-${name}.png`, fullPage: true });

/** The same state at desktop and phone widths, checked with axe on the way. */
async function screens(page: Page, name: string) {
	await screenshot(page, `${name}-desktop`);
	expect(await accessibilityViolations(page), name).toEqual([]);
	await page.setViewportSize(PHONE);
	await screenshot(page, `${name}-phone`);
	await page.setViewportSize(DESKTOP);
}

async function newSignedInPage(browser: Browser, email: string): Promise<Page> {
	const context = await browser.newContext({ viewport: DESKTOP });
	const page = await context.newPage();
	await signIn(page, email);
	return page;
}

/** Makes the sandbox's WhatsApp refuse (or again accept) messages to the customer. */
async function customerReachable(sandboxUrl: string, reachable: boolean) {
	const response = await fetch(`${sandboxUrl}/_sandbox/customers/unreachable`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ phone: CUSTOMER.phone, unreachable: !reachable })
	});
	expect(response.ok).toBe(true);
}

/** The customer sends something to the Meta number. */
const customerSends = (sandboxUrl: string, content: Record<string, unknown>, customer = CUSTOMER) =>
	sendAsCustomer(sandboxUrl, customer, content);

/** The customer writes a message (with media, if given). */
const customerWrites = (
	sandboxUrl: string,
	text: string,
	media?: { contentType: string },
	customer = CUSTOMER
) => customerSends(sandboxUrl, { text, media }, customer);

/** The customer reacts to one of the business's messages (an empty emoji takes it back). */
const customerReacts = (sandboxUrl: string, messageId: string, emoji: string) =>
	customerSends(sandboxUrl, { reaction: { messageId, emoji } });

const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

test('customers, agents and notifications meet live in the inbox', async ({ page, browser }) => {
	// A long journey (three people, a dozen live exchanges, screenshots and axe checks at each
	// state): on a loaded two-core machine it takes minutes, though no single step is slow.
	test.setTimeout(900_000);
	await page.setViewportSize(DESKTOP);
	await signIn(page, 'owner@parley.local');
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Inbox Test Co',
		slugPrefix: 'inbox',
		members: ['admin', 'agent']
	});
	const agent = await newSignedInPage(browser, 'agent@parley.local');
	const admin = await newSignedInPage(browser, 'admin@parley.local');

	try {
		await test.step('empty inbox and notifications', async () => {
			await openPage(page, `/app/${slug}/whatsapp/conversations`);
			await expect(page.getByRole('heading', { name: 'No conversations yet' })).toBeVisible();
			await expect(page.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
			await screens(page, 'conversations-empty');
			await openPage(admin, `/app/${slug}/whatsapp/notifications`);
			await expect(admin.getByRole('heading', { name: 'No notifications yet' })).toBeVisible();
			await expect(admin.getByTestId('notifications-live-status')).toHaveAttribute(
				'data-status',
				'live'
			);
			await screens(admin, 'notifications-empty');
		});

		await test.step('an inbound message appears in the open inbox without a reload', async () => {
			await customerWrites(sandboxUrl, 'Hello, is my order 1234 ready?');
			const row = page.getByTestId('conversation-row');
			await expect(row).toHaveCount(1);
			await expect(row).toContainText(CUSTOMER.name);
			await expect(row.getByTestId('last-message')).toContainText('Hello, is my order 1234 ready?');
			await expect(row.getByTestId('unread-count')).toHaveText('1');
			await expect(row).toContainText('Support line');
			await screens(page, 'conversations-loaded');
		});

		await test.step('notifications arrive live for a member who has not opened the chat', async () => {
			await expect(admin.getByTestId('notification')).toHaveCount(1);
			await expect(admin.getByTestId('notification').first()).toContainText(
				`New message from ${CUSTOMER.name}`
			);
			await expect(admin.getByRole('navigation').getByTestId('unread-notifications')).toContainText(
				'1'
			);
		});

		await test.step('a new message moves its conversation to the top without a reload', async () => {
			const rows = page.getByTestId('conversation-row');
			await customerWrites(sandboxUrl, 'Do you ship to Chile?', undefined, OTHER_CUSTOMER);
			await expect(rows).toHaveCount(2);
			await expect(rows.first()).toContainText(OTHER_CUSTOMER.name);
			await customerWrites(sandboxUrl, 'Hello? Anyone?');
			await expect(rows.first()).toContainText(CUSTOMER.name);
			await expect(rows.first().getByTestId('unread-count')).toHaveText('2');
			await expect(rows.nth(1)).toContainText(OTHER_CUSTOMER.name);
			// One entry per conversation, the newest first. "Hello? Anyone?" came while its
			// conversation was still unread, so it told nobody again: the inbox row shows it.
			const entries = admin.getByTestId('notification');
			await expect(entries).toHaveCount(2);
			await expect(entries.first()).toContainText(`New message from ${OTHER_CUSTOMER.name}`);
			await expect(entries.first()).toHaveAttribute('data-unread', '1');
			await expect(entries.nth(1)).toContainText(`New message from ${CUSTOMER.name}`);
			await expect(entries.nth(1)).toHaveAttribute('data-unread', '1');
		});

		await test.step('search and filters narrow the list', async () => {
			await page.getByLabel('Search conversations').fill('order 1234');
			await expect(page.getByTestId('conversation-row')).toHaveCount(1);
			await page.getByLabel('Search conversations').fill('nothing like this');
			await expect(page.getByText('No conversations match these filters.')).toBeVisible();
			await page.getByRole('button', { name: 'Clear filters' }).click();
			await expect(page.getByTestId('conversation-row')).toHaveCount(2);
			await page.getByLabel('Status').selectOption('closed');
			await expect(page.getByText('No conversations match these filters.')).toBeVisible();
			await page.getByLabel('Status').selectOption('open');
			await expect(page.getByTestId('conversation-row')).toHaveCount(2);
			await page.getByLabel('Search conversations').fill(OTHER_CUSTOMER.phone.slice(0, 8));
			await expect(page.getByTestId('conversation-row')).toHaveCount(1);
			await expect(page.getByTestId('conversation-row')).toContainText(OTHER_CUSTOMER.name);
			await page.getByLabel('Search conversations').fill('');
			await page.getByLabel('Unread only').check();
			await expect(page.getByTestId('conversation-row')).toHaveCount(2);
			await page.getByLabel('Unread only').uncheck();
		});

		let chatUrl = '';
		await test.step('two people open the chat; each sees the other', async () => {
			await page.getByRole('link', { name: `View Chat with ${CUSTOMER.name}` }).click();
			await expect(page.getByTestId('chat-contact')).toHaveText(CUSTOMER.name);
			chatUrl = new URL(page.url()).pathname;
			expect(chatUrl).toMatch(new RegExp(`^/app/${slug}/whatsapp/[0-9a-f-]{36}$`));
			await expect(message(page, 'Hello, is my order 1234 ready?')).toBeVisible();
			await expect(page.getByTestId('window-remaining')).toContainText(
				'24-hour window open for 23h'
			);
			await openPage(agent, chatUrl);
			await expect(agent.getByTestId('chat-live-status')).toHaveAttribute('data-status', 'live');
			await expect(page.getByTestId('viewers')).toContainText('Sofia Agent');
			await expect(agent.getByTestId('viewers')).toContainText('Olivia Owner');
		});

		await test.step('a reply shows at once, reaches the other agent, and ticks to read', async () => {
			await page.getByRole('textbox', { name: 'Message' }).fill('Yes, it ships today.');
			await page.getByRole('textbox', { name: 'Message' }).press('Enter');
			await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue('');
			const mine = message(page, 'Yes, it ships today.');
			await expect(mine).toBeVisible();
			await expect(mine).toContainText('You');
			await expect(message(agent, 'Yes, it ships today.')).toContainText('Olivia Owner');
			await expect(mine).toHaveAttribute('data-status', 'read', { timeout: 20_000 });
			await expect(message(agent, 'Yes, it ships today.')).toHaveAttribute('data-status', 'read');
		});

		await test.step('the customer reacts to the reply; both open chats show it live', async () => {
			const { data: reply, error } = await service
				.from('messages')
				.select('provider_message_id')
				.eq('tenant_id', tenantId)
				.eq('body', 'Yes, it ships today.')
				.single();
			expect(error).toBeNull();
			await customerReacts(sandboxUrl, reply!.provider_message_id, '👍');
			await expect(message(page, 'Yes, it ships today.').getByTestId('reaction')).toHaveText('👍');
			await expect(message(agent, 'Yes, it ships today.').getByTestId('reaction')).toHaveText('👍');
		});

		await test.step('a reply WhatsApp refuses says why, and Retry sends it again', async () => {
			await customerReachable(sandboxUrl, false);
			await page.getByRole('textbox', { name: 'Message' }).fill('Are you still there?');
			await page.getByRole('button', { name: 'Send' }).click();
			const refused = message(page, 'Are you still there?');
			await expect(refused).toHaveAttribute('data-status', 'failed', { timeout: 20_000 });
			await expect(refused.getByTestId('message-error')).not.toBeEmpty();
			await expect(message(agent, 'Are you still there?')).toHaveAttribute('data-status', 'failed');
			await screenshot(page, 'chat-failed-desktop');
			await customerReachable(sandboxUrl, true);
			await refused.getByRole('button', { name: 'Retry' }).click();
			await expect(refused).toHaveAttribute('data-status', 'read', { timeout: 20_000 });
			await expect(refused.getByTestId('message-error')).toHaveCount(0);
		});

		await test.step('the customer answers: both open chats show it without a reload', async () => {
			await customerWrites(sandboxUrl, 'Great, thank you!');
			await expect(message(page, 'Great, thank you!')).toBeVisible();
			await customerWrites(sandboxUrl, 'Here is the receipt', { contentType: 'image/png' });
			const photo = message(agent, 'Here is the receipt');
			await expect(photo.getByRole('img')).toBeVisible();
			await expect(message(agent, 'Great, thank you!')).toBeVisible();
			// The owner's reply made the conversation theirs, so its messages are told to them alone:
			// the admin's notifications are as they were.
			const entries = admin.getByTestId('notification');
			await expect(entries).toHaveCount(2);
			await expect(entries.first()).toContainText(`New message from ${OTHER_CUSTOMER.name}`);
			await expect(entries.nth(1)).toContainText(`New message from ${CUSTOMER.name}`);
			await expect(entries.nth(1)).toHaveAttribute('data-unread', '1');
			const stored = await service
				.from('messages')
				.select('id')
				.eq('conversation_id', chatUrl.split('/').at(-1)!)
				.in('body', ['Great, thank you!', 'Here is the receipt']);
			expect(stored.data).toHaveLength(2);
			const told = await service
				.from('notifications')
				.select('recipient_id')
				.in(
					'message_id',
					stored.data!.map((row) => row.id)
				);
			expect(told.data).toHaveLength(2);
			expect(new Set(told.data!.map((row) => row.recipient_id)).size).toBe(1);
		});

		await test.step('typing shows on the other side', async () => {
			await agent
				.getByRole('textbox', { name: 'Message' })
				.pressSequentially('Let me check', { delay: 20 });
			await expect(page.getByTestId('typing-indicator')).toHaveText('Sofia Agent is typing…');
			await screens(page, 'chat-loaded');
			await agent.getByRole('textbox', { name: 'Message' }).fill('');
		});

		await test.step('close, archive and reopen, seen live by the other agent', async () => {
			await page.getByRole('button', { name: 'Close', exact: true }).click();
			await expect(page.getByTestId('chat-status')).toHaveText('closed');
			await expect(agent.getByTestId('chat-status')).toHaveText('closed');
			await page.getByRole('button', { name: 'Archive' }).click();
			await expect(page.getByTestId('chat-status')).toHaveText('archived');
			await expect(agent.getByTestId('chat-status')).toHaveText('archived');
			await agent.getByRole('button', { name: 'Reopen' }).click();
			await expect(agent.getByTestId('chat-status')).toHaveText('open');
			await expect(page.getByTestId('chat-status')).toHaveText('open');
		});

		await test.step('AI can be switched off and on', async () => {
			const toggle = agent.getByTestId('ai-toggle');
			await expect(toggle).toHaveText(/AI Active/);
			await toggle.click();
			await expect(toggle).toHaveText(/AI Disabled/);
			await expect(page.getByTestId('ai-toggle')).toHaveText(/AI Disabled/);
			await toggle.click();
			await expect(toggle).toHaveText(/AI Active/);
		});

		await test.step('insights give a sentiment and a summary, seen by the other agent too', async () => {
			const insights = agent.getByTestId('insights');
			await expect(insights.getByTestId('insights-summary')).toHaveText('Not generated yet');
			await agent.getByRole('button', { name: 'Generate Insights' }).click();
			await expect(insights.getByTestId('insights-sentiment')).toHaveText(
				/Positive|Neutral|Negative/,
				{ timeout: 20_000 }
			);
			await expect(insights.getByTestId('insights-summary')).not.toHaveText('Not generated yet');
			await expect(page.getByTestId('insights').getByTestId('insights-sentiment')).toHaveText(
				/Positive|Neutral|Negative/
			);
		});

		await test.step('delete is hidden for the agent; another workspace cannot open the chat', async () => {
			await expect(agent.getByRole('button', { name: 'Delete' })).toHaveCount(0);
			await expect(page.getByRole('button', { name: 'Delete' })).toBeVisible();
			await screens(agent, 'chat-agent');
			const elsewhere = await openPage(agent, chatUrl.replace(`/app/${slug}/`, '/app/acme/'));
			expect(elsewhere?.status()).toBe(404);
			const unknown = await openPage(
				agent,
				`/app/${slug}/whatsapp/00000000-0000-4000-8000-000000000000`
			);
			expect(unknown?.status()).toBe(404);
		});

		await test.step('mark one and mark all notifications read', async () => {
			const items = admin.getByTestId('notification');
			await expect(items).toHaveCount(2);
			await screens(admin, 'notifications-loaded');
			// Marking a conversation's entry reads all of its notifications.
			await items.first().getByRole('button', { name: 'Mark as read' }).click();
			await expect(items.first()).toHaveAttribute('data-read', 'true');
			await expect(items.nth(1)).toHaveAttribute('data-read', 'false');
			await expect(admin.getByRole('navigation').getByTestId('unread-notifications')).toContainText(
				'1'
			);
			await admin.getByRole('button', { name: 'Mark all as read' }).click();
			await expect(items.nth(1)).toHaveAttribute('data-read', 'true');
			await expect(admin.getByRole('navigation').getByTestId('unread-notifications')).toHaveCount(
				0
			);
			await reloadPage(admin);
			await expect(admin.locator('[data-testid="notification"][data-read="false"]')).toHaveCount(0);
			await items.filter({ hasText: CUSTOMER.name }).getByRole('link').click();
			await expect(admin).toHaveURL(chatUrl);
		});

		await test.step('after 24 hours without the customer, free text is refused with the reason', async () => {
			const conversationId = chatUrl.split('/').at(-1)!;
			const aged = await service
				.from('conversations')
				.update({ last_inbound_at: new Date(Date.now() - 25 * 3600_000).toISOString() })
				.eq('id', conversationId);
			expect(aged.error).toBeNull();
			await reloadPage(page);
			await expect(page.getByTestId('window-closed')).toContainText(
				'More than 24 hours have passed since Ana Inbox last wrote'
			);
			await expect(page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
			// In its place, the number's templates, fetched from the provider and saved.
			await expect(
				page
					.getByRole('form', { name: 'Send a template' })
					.getByRole('combobox', { name: 'Template' })
			).toBeVisible();
		});

		await test.step('templates that cannot be refreshed say why, and refresh once the cause is fixed', async () => {
			const { data: numbers } = await service
				.from('whatsapp_numbers')
				.update({ business_account_id: null })
				.eq('tenant_id', tenantId)
				.select('id');
			expect(numbers).toHaveLength(1);
			await reloadPage(page);
			const picker = page.getByRole('form', { name: 'Send a template' });
			// The templates synced when the window closed stay usable, with the reason they are not fresh.
			await expect(picker.getByTestId('template-sync-error')).toContainText(
				'Showing the templates saved earlier: Meta keeps templates in the WhatsApp Business Account, and this number has no Business Account ID.'
			);
			await screens(page, 'chat-templates-error');
			const restored = await service
				.from('whatsapp_numbers')
				.update({ business_account_id: metaDemo.wabaId })
				.eq('tenant_id', tenantId);
			expect(restored.error).toBeNull();
			await picker.getByRole('button', { name: 'Reload the list from the provider' }).click();
			await expect(picker.getByTestId('template-sync-error')).toHaveCount(0);
			await expect(picker.getByRole('combobox', { name: 'Template' })).toBeVisible();
		});

		await test.step('a closed window offers the number’s approved templates, with variables and a preview', async () => {
			const picker = page.getByRole('form', { name: 'Send a template' });
			const choice = picker.getByRole('combobox', { name: 'Template' });
			await expect(choice).toBeVisible();
			await choice.selectOption({ label: 'order_update · en_US · utility' });
			await picker.getByRole('button', { name: 'Send template' }).click();
			await expect(picker.getByLabel('{{1}}')).toHaveAttribute('aria-invalid', 'true');
			await expect(picker.getByText('Fill this in.')).toHaveCount(2);
			await picker.getByLabel('{{1}}').fill('Ana');
			await picker.getByLabel('{{2}}').fill('#1042');
			await expect(picker.getByTestId('template-preview')).toHaveText(
				'Hi Ana, your order #1042 is on its way.'
			);
			await screens(page, 'chat-window-closed');
			await picker.getByRole('button', { name: 'Send template' }).click();
			const sent = message(page, 'Hi Ana, your order #1042 is on its way.');
			await expect(sent).toContainText('template');
			await expect(sent).toHaveAttribute('data-status', 'read', { timeout: 20_000 });
			await expect(message(admin, 'Hi Ana, your order #1042 is on its way.')).toBeVisible();
			await expect(picker.getByLabel('{{1}}')).toHaveValue('');
		});

		await test.step('an owner deletes the conversation after confirming', async () => {
			await page.getByRole('button', { name: 'Delete' }).click();
			const dialog = page.getByRole('dialog', { name: 'Delete this conversation?' });
			await expect(dialog).toBeVisible();
			await dialog.getByRole('button', { name: 'Delete conversation' }).click();
			await expect(page).toHaveURL(`/app/${slug}/whatsapp`);
			await expect(page.getByTestId('conversation-row')).toHaveCount(1);
			await expect(page.getByTestId('conversation-row')).toContainText(OTHER_CUSTOMER.name);
		});

		await test.step('older messages load when scrolling up the thread', async () => {
			for (let i = 1; i <= 32; i++) {
				await customerWrites(sandboxUrl, `Line ${i} of a long story`, undefined, OTHER_CUSTOMER);
			}
			await page.getByRole('link', { name: `View Chat with ${OTHER_CUSTOMER.name}` }).click();
			const thread = page.getByTestId('thread');
			await expect(message(page, 'Line 32 of a long story')).toBeVisible();
			await expect(message(page, 'Do you ship to Chile?')).toHaveCount(0);
			await thread.evaluate((element) => element.scrollTo({ top: 0 }));
			await expect(message(page, 'Do you ship to Chile?')).toBeVisible();
			await expect(page.getByTestId('message')).toHaveCount(33);
			await expect(page.getByRole('button', { name: 'Load earlier messages' })).toHaveCount(0);
		});
	} finally {
		await agent.context().close();
		await admin.context().close();
		await deleteWorkspace(service, tenantId);
	}
});
