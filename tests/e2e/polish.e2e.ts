import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import {
	DEMO_PEOPLE,
	createWorkspace,
	aiRepliesStored,
	customerSends,
	deleteWorkspace,
	findStack,
	openPage,
	signIn,
	signedInClient
} from './support/workspace.ts';
import { DESKTOP, PHONE, SCREENS_DIR, screensOf } from './support/screens.ts';

// The chat's polish and the notifications that help, in their own workspace with an AI agent on
// its number: day separators, the AI's bubble apart from a person's, the hand-over's note after
// it, a note when AI is back on, who wrote the last message in the list, toasts clear of the
// composer; notifications grouped per conversation, escalations standing out, the unread count in
// the tab title, and desktop notifications asked for only on a click.

const HANDED = { phone: '+5215522220001', name: 'Hana Handed' };
const ANSWERED = { phone: '+5215522220002', name: 'Arturo Answered' };
const LATE = { phone: '+5215522220003', name: 'Lucia Late' };

const screens = screensOf('polish');

/**
 * A browser whose Notification API is a recorder: permission starts at "default", each request
 * and each notification shown is kept on `window`, and `window.pretendBackground` makes the tab
 * count as one nobody is looking at.
 */
async function newRecordingPage(browser: Browser, email: string): Promise<Page> {
	const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
	await context.addInitScript(() => {
		const state = window as unknown as {
			permissionRequests: number;
			shown: { title: string; body?: string }[];
			pretendBackground: boolean;
		};
		state.permissionRequests = 0;
		state.shown = [];
		state.pretendBackground = false;
		// The grant outlives a page load, as the browser's does.
		let permission = (
			sessionStorage.getItem('granted') ? 'granted' : 'default'
		) as NotificationPermission;
		class RecordingNotification {
			static get permission() {
				return permission;
			}
			static async requestPermission() {
				state.permissionRequests += 1;
				permission = 'granted';
				sessionStorage.setItem('granted', 'yes');
				return permission;
			}
			onclick: (() => void) | null = null;
			constructor(title: string, options?: { body?: string }) {
				state.shown.push({ title, body: options?.body });
			}
			close() {}
		}
		Object.defineProperty(window, 'Notification', { value: RecordingNotification });
		const hasFocus = document.hasFocus.bind(document);
		document.hasFocus = () => !state.pretendBackground && hasFocus();
	});
	const page = await context.newPage();
	await signIn(page, email);
	return page;
}

const row = (page: Page, name: string) =>
	page.getByTestId('conversation-row').filter({ hasText: name });
const bubble = (page: Page, text: string) =>
	page.getByTestId('message').filter({ hasText: text }).last();

async function box(locator: Locator) {
	const found = await locator.boundingBox();
	if (!found) throw new Error('The element has no box on screen.');
	return found;
}

/** Whether two boxes share any pixel. */
function overlap(
	a: { x: number; y: number; width: number; height: number },
	b: { x: number; y: number; width: number; height: number }
): boolean {
	return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The count in front of the tab's title, 0 when there is none. */
async function titleCount(page: Page): Promise<number> {
	const match = /^\((\d+)\) /.exec(await page.title());
	return match ? Number(match[1]) : 0;
}

test('a polished chat and notifications that help', async ({ page: admin, browser }) => {
	test.setTimeout(600_000);
	await admin.setViewportSize(DESKTOP);
	await signIn(admin, DEMO_PEOPLE.admin.email);
	const { supabaseUrl, sandboxUrl } = await findStack(admin);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Polish Co',
		slugPrefix: 'polish',
		members: ['admin', 'agent']
	});
	const agent = await newRecordingPage(browser, DEMO_PEOPLE.agent.email);

	try {
		await test.step('an AI agent answers on the number', async () => {
			const { client: owner } = await signedInClient(supabaseUrl, DEMO_PEOPLE.owner.email);
			const { data: aiAgent, error } = await owner
				.from('ai_agents')
				.insert({ tenant_id: tenantId, name: 'Nora', whatsapp_enabled: true })
				.select('id')
				.single();
			if (error) throw error;
			const assigned = await owner
				.from('whatsapp_numbers')
				.update({ assigned_agent_id: aiAgent.id, active: true })
				.eq('tenant_id', tenantId);
			expect(assigned.error).toBeNull();
		});

		await test.step('desktop notifications are asked for only after a click', async () => {
			await openPage(agent, `/app/${slug}/whatsapp/notifications`);
			await expect(agent.getByTestId('notifications-live-status')).toHaveAttribute(
				'data-status',
				'live'
			);
			const enable = agent.getByRole('button', { name: 'Enable desktop notifications' });
			await expect(enable).toBeVisible();
			expect(
				await agent.evaluate(
					() => (window as unknown as { permissionRequests: number }).permissionRequests
				)
			).toBe(0);
			await enable.click();
			await expect(agent.getByTestId('desktop-alerts')).toContainText('On: escalations');
			expect(
				await agent.evaluate(
					() => (window as unknown as { permissionRequests: number }).permissionRequests
				)
			).toBe(1);
			await expect(agent.getByLabel('Play a sound')).not.toBeChecked();
			await screens(agent, 'desktop-alerts-on');
		});

		await test.step('the AI hands over: its bubble is tagged, its note follows it', async () => {
			await openPage(admin, `/app/${slug}/whatsapp/conversations`);
			await expect(admin.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
			await customerSends(sandboxUrl, HANDED, { text: 'I want to talk to a person please' });
			await aiRepliesStored(service, tenantId, 1);
			const listed = row(admin, HANDED.name);
			await expect(listed.getByTestId('escalated-badge')).toBeVisible();
			await expect(listed.getByTestId('last-message-author')).toHaveText('AI:');

			// Yesterday's message from the same customer, as an older page of the thread would hold.
			const { data: conversation } = await service
				.from('conversations')
				.select('id, number_id')
				.eq('tenant_id', tenantId)
				.eq('status', 'open')
				.order('created_at')
				.limit(1)
				.single();
			if (!conversation) throw new Error('The conversation was not stored.');
			// Noon of the day before, by the browser's clock and time zone: a fixed number of hours
			// back lands two days back shortly after midnight.
			const yesterday = await admin.evaluate(() => {
				const noon = new Date();
				noon.setDate(noon.getDate() - 1);
				noon.setHours(12, 0, 0, 0);
				return noon.toISOString();
			});
			const older = await service.from('messages').insert({
				tenant_id: tenantId,
				conversation_id: conversation.id,
				direction: 'inbound',
				sender: 'customer',
				type: 'text',
				body: 'Hello from yesterday',
				provider: 'meta',
				status: 'received',
				created_at: yesterday
			});
			expect(older.error).toBeNull();

			await openPage(admin, `/app/${slug}/whatsapp/${conversation.id}`);
			const days = admin.getByTestId('day-separator');
			await expect(days).toHaveText(['Yesterday', 'Today']);
			const ai = admin.locator('[data-testid="message"][data-sender="ai"]');
			await expect(ai).toHaveCount(1);
			await expect(ai.getByTestId('ai-tag')).toHaveText('AI');
			// The hand-over, then the note that explains it.
			const senders = await admin
				.getByTestId('message')
				.evaluateAll((items) => items.map((item) => item.getAttribute('data-sender')));
			expect(senders.slice(-2)).toEqual(['ai', 'system']);
			await expect(admin.getByTestId('message').last()).toContainText(
				'AI replies are off for this conversation'
			);
			// Times read as the locale writes them, the hour unpadded.
			await expect(ai.locator('time')).toHaveText(/^\d{1,2}:\d{2}\s?[AP]M$/);

			await admin.getByRole('textbox', { name: 'Message' }).fill('Hi Hana, Adam here.');
			await admin.getByRole('button', { name: 'Send' }).click();
			const mine = bubble(admin, 'Hi Hana, Adam here.');
			await expect(mine).toHaveAttribute('data-sender', 'agent');
			await expect(mine).toHaveAttribute('data-status', /sent|delivered|read/);
			const tint = (locator: Locator) =>
				locator
					.locator('div.rounded-2xl')
					.first()
					.evaluate((element) => getComputedStyle(element).backgroundColor);
			expect(await tint(ai)).not.toBe(await tint(mine));
			await screens(admin, 'chat-ai-and-days');
		});

		await test.step('turning AI back on leaves a note, and its toast stays clear of the composer and the top bar', async () => {
			await admin.getByTestId('ai-toggle').click();
			await expect(admin.getByTestId('message').last()).toContainText(
				'AI replies are on again for this conversation (turned on by Adam Admin).'
			);
			const composer = admin.getByRole('textbox', { name: 'Message' });
			for (const viewport of [DESKTOP, PHONE]) {
				await admin.setViewportSize(viewport);
				if (viewport === PHONE) await admin.getByTestId('ai-toggle').click();
				const toast = admin.getByTestId('toast').last();
				await expect(toast).toBeVisible();
				const composerBox = await box(composer.locator('xpath=ancestor::form[1]'));
				expect(
					overlap(await box(toast), composerBox),
					`toast over the composer at ${viewport.width}px`
				).toBe(false);
				// Below the phone's top bar too, so its menu stays in reach while the toast shows.
				if (viewport === PHONE)
					expect(
						overlap(await box(toast), await box(admin.getByTestId('workspace-top-bar'))),
						'toast over the top bar on a phone'
					).toBe(false);
				await admin.screenshot({ path: `${SCREENS_DIR}/polish-toast-${viewport.width}.png` });
			}
			await admin.setViewportSize(DESKTOP);
		});

		await test.step('the list says who wrote last: You, the AI, or the teammate by name', async () => {
			await customerSends(sandboxUrl, ANSWERED, { text: 'Do you ship to Chile?' });
			await aiRepliesStored(service, tenantId, 2);
			await openPage(admin, `/app/${slug}/whatsapp/conversations`);
			await expect(row(admin, ANSWERED.name).getByTestId('last-message-author')).toHaveText('AI:');
			const link = row(admin, ANSWERED.name).getByRole('link', { name: /View Chat/ });
			await openPage(admin, (await link.getAttribute('href'))!);
			await admin.getByRole('textbox', { name: 'Message' }).fill('Yes, we ship to Chile.');
			await admin.getByRole('button', { name: 'Send' }).click();
			await expect(bubble(admin, 'Yes, we ship to Chile.')).toHaveAttribute(
				'data-status',
				/sent|delivered|read/
			);
			await openPage(admin, `/app/${slug}/whatsapp/conversations`);
			await expect(row(admin, ANSWERED.name).getByTestId('last-message-author')).toHaveText('You:');
			await openPage(agent, `/app/${slug}/whatsapp/conversations`);
			await expect(row(agent, ANSWERED.name).getByTestId('last-message-author')).toHaveText(
				'Adam Admin:'
			);
			await expect(row(agent, HANDED.name).getByTestId('last-message-author')).toHaveText(
				'Adam Admin:'
			);
			await screens(agent, 'list-authors');
		});

		await test.step('the tab title counts unread notifications live, and an escalation alerts the desktop', async () => {
			await expect.poll(() => titleCount(agent)).toBeGreaterThan(0);
			const before = await titleCount(agent);
			await agent.evaluate(() => {
				(window as unknown as { pretendBackground: boolean }).pretendBackground = true;
			});
			await customerSends(sandboxUrl, LATE, { text: 'Can I speak to a human please?' });
			await aiRepliesStored(service, tenantId, 3);
			await expect.poll(() => titleCount(agent)).toBeGreaterThanOrEqual(before + 2);
			await expect
				.poll(() =>
					agent.evaluate(() =>
						(window as unknown as { shown: { title: string }[] }).shown.map((item) => item.title)
					)
				)
				.toContain(`${LATE.name} needs a person`);
		});

		await test.step('notifications are grouped per conversation, escalations stand out', async () => {
			await openPage(agent, `/app/${slug}/whatsapp/notifications`);
			const groups = agent.getByTestId('notification');
			await expect(groups).toHaveCount(3);
			const late = groups.filter({ hasText: LATE.name });
			await expect(late).toHaveAttribute('data-kind', 'escalation');
			await expect(late.getByTestId('notification-kind')).toHaveText('Needs a person');
			await expect(late.getByTestId('notification-count')).toHaveText(/^\d+ unread$/);
			await expect(groups.first()).toContainText(LATE.name);
			await screens(agent, 'notifications-grouped');

			const unreadBefore = await titleCount(agent);
			await late.getByRole('button', { name: 'Mark as read' }).click();
			await expect(late).toHaveAttribute('data-read', 'true');
			await expect.poll(() => titleCount(agent)).toBeLessThan(unreadBefore);
		});
	} finally {
		await agent.context().close();
		await deleteWorkspace(service, tenantId);
	}
});
