import { expect, test, type Page } from '@playwright/test';
import {
	DEMO_PASSWORD,
	DEMO_PEOPLE,
	createWorkspace,
	customerSends,
	deleteWorkspace,
	findStack,
	openPage,
	reloadPage,
	signIn,
	signedInClient
} from './support/workspace.ts';
import {
	DESKTOP,
	inboxRow as row,
	newSignedInPage,
	screensOf,
	viewCount as count,
	viewTab as tab
} from './support/screens.ts';

// Round robin end to end: an admin turns it on for the workspace's number and marks themselves
// away; two agents are available and a third is away. Customers write one after another and the
// new conversations alternate between the two available agents, live in each one's Mine view; the
// away agent gets none; the assignee is told. Then an agent answers with an emoji from the picker.

// Phones no other journey writes from: the sandbox's record of what was sent outlives a journey.
const CUSTOMERS = [
	{ phone: '+5215566660001', name: 'Carmen Uno', text: 'Hola, is my order shipped?' },
	{ phone: '+5215566660002', name: 'Diego Dos', text: 'Can I change my size?' },
	{ phone: '+5215566660003', name: 'Elena Tres', text: 'Do you ship to Lisbon?' },
	{ phone: '+5215566660004', name: 'Fabio Cuatro', text: 'Where do I send a return?' }
];

const screens = screensOf('round-robin');

/** The Members page's round-robin switch of the workspace's number. */
const roundRobinSwitch = (page: Page) =>
	page.getByRole('switch', { name: 'Round robin for Support line' });

/** What the sandbox's WhatsApp delivered to `phone`, oldest first. */
async function deliveredTo(sandboxUrl: string, phone: string): Promise<string[]> {
	const response = await fetch(`${sandboxUrl}/_sandbox/state`);
	const state = (await response.json()) as {
		messages: { direction: string; customer: string; body: string }[];
	};
	return state.messages
		.filter((message) => message.direction === 'outbound' && message.customer === phone)
		.map((message) => message.body);
}

test('round robin alternates new conversations between available agents, live; an emoji goes out in a reply', async ({
	page: admin,
	browser
}) => {
	test.setTimeout(600_000);
	await admin.setViewportSize(DESKTOP);
	await signIn(admin, DEMO_PEOPLE.admin.email);
	const { supabaseUrl, sandboxUrl } = await findStack(admin);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Round Robin Co',
		slugPrefix: 'round-robin',
		members: ['admin']
	});
	// Three agents of this workspace alone, joined in this order (ties go to who joined first).
	const agents: { id: string; email: string; name: string }[] = [];
	for (const name of ['Rita Rivera', 'Omar Ortiz', 'Ada Away']) {
		const email = `${slug}-${name.split(' ')[0].toLowerCase()}@example.test`;
		const { data, error } = await service.auth.admin.createUser({
			email,
			password: DEMO_PASSWORD,
			email_confirm: true,
			user_metadata: { display_name: name }
		});
		if (error) throw error;
		const joined = await service
			.from('memberships')
			.insert({ tenant_id: tenantId, user_id: data.user.id, role: 'agent' });
		if (joined.error) throw joined.error;
		agents.push({ id: data.user.id, email, name });
	}
	const [rita, omar, ada] = agents;

	try {
		await test.step('the owner and Ada mark themselves away', async () => {
			for (const email of [DEMO_PEOPLE.owner.email, ada.email]) {
				const { client } = await signedInClient(supabaseUrl, email);
				const { error } = await client.rpc('set_availability', {
					tenant_id: tenantId,
					available: false
				});
				expect(error).toBeNull();
			}
		});

		await test.step('the admin marks themselves away and turns round robin on', async () => {
			await openPage(admin, `/app/${slug}/members`);
			const available = admin.getByRole('switch', { name: 'Available' });
			await expect(available).toHaveAttribute('aria-checked', 'true');
			const section = admin.getByRole('region', { name: 'Assignment' });
			await expect(section).toBeVisible();
			await expect(section.getByTestId('taking-part')).not.toContainText(/Away: [^.]*Adam Admin/);
			await available.click();
			await expect(available).toHaveAttribute('aria-checked', 'false');
			// The line follows without a reload: the admin's own switch, then Ada's from elsewhere.
			await expect(section.getByTestId('taking-part')).toHaveText(/Away: [^.]*Adam Admin/);
			for (const back of [true, false]) {
				const { client } = await signedInClient(supabaseUrl, ada.email);
				const { error } = await client.rpc('set_availability', {
					tenant_id: tenantId,
					available: back
				});
				expect(error).toBeNull();
				await expect(section.getByTestId('taking-part')).toHaveText(
					back ? /Taking part: [^.]*Ada Away/ : /Away: [^.]*Ada Away/
				);
			}

			await expect(roundRobinSwitch(admin)).not.toBeChecked();
			await roundRobinSwitch(admin).check();
			await expect(admin.getByText('Round robin is on for Support line')).toBeVisible();
			await reloadPage(admin);
			await expect(roundRobinSwitch(admin)).toBeChecked();
			await expect(admin.getByRole('switch', { name: 'Available' })).toHaveAttribute(
				'aria-checked',
				'false'
			);
			await expect(section.getByTestId('taking-part')).toHaveText(
				/Taking part: (Rita Rivera, Omar Ortiz|Omar Ortiz, Rita Rivera)\.\s+Away: .*Ada Away/
			);
			await screens(admin, 'members-assignment');
		});

		const ritaInbox = await newSignedInPage(browser, rita.email);
		const omarInbox = await newSignedInPage(browser, omar.email);
		const ritaNotifications = await ritaInbox.context().newPage();

		await test.step('new conversations alternate between Rita and Omar, live in Mine', async () => {
			for (const page of [ritaInbox, omarInbox, admin]) {
				await openPage(page, `/app/${slug}/whatsapp/conversations`);
				await expect(page.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
			}
			for (const page of [ritaInbox, omarInbox]) {
				await tab(page, 'Mine').click();
				await expect(tab(page, 'Mine')).toHaveAttribute('aria-selected', 'true');
			}
			await openPage(ritaNotifications, `/app/${slug}/whatsapp/notifications`);
			await expect(ritaNotifications.getByTestId('notifications-live-status')).toHaveAttribute(
				'data-status',
				'live'
			);

			const expected = [rita, omar, rita, omar];
			for (const [index, customer] of CUSTOMERS.entries()) {
				await customerSends(sandboxUrl, customer, { text: customer.text });
				const assignee = expected[index];
				const mine = assignee === rita ? ritaInbox : omarInbox;
				const theirs = assignee === rita ? omarInbox : ritaInbox;
				await expect(row(mine, customer.name).getByTestId('row-assignee')).toHaveText(
					'Assigned to You'
				);
				await expect(row(admin, customer.name).getByTestId('row-assignee')).toHaveText(
					`Assigned to ${assignee.name}`
				);
				await expect(row(theirs, customer.name)).toHaveCount(0);
			}
			await expect(count(ritaInbox, 'mine')).toHaveText('2');
			await expect(count(omarInbox, 'mine')).toHaveText('2');
			await expect(count(admin, 'unassigned')).toHaveText('0');
			await screens(ritaInbox, 'rita-mine');
			await screens(admin, 'all-assigned');
		});

		await test.step('the away agent got none', async () => {
			const { data, error } = await service
				.from('conversations')
				.select('assignee_id')
				.eq('tenant_id', tenantId);
			if (error) throw error;
			const assignees = data.map((conversation) => conversation.assignee_id);
			expect(assignees).toHaveLength(4);
			expect(assignees).not.toContain(ada.id);
			expect(assignees.filter((id) => id === rita.id)).toHaveLength(2);
		});

		await test.step('Rita was told each time', async () => {
			const told = ritaNotifications.locator(
				'[data-testid="notification"][data-kind="assignment"]'
			);
			await expect(told).toHaveCount(2);
			await expect(told.first()).toContainText(
				`Round robin assigned you the new conversation with ${CUSTOMERS[2].name}`
			);
			await expect(told.first().getByTestId('notification-kind')).toHaveText('Assigned to you');
			await screens(ritaNotifications, 'rita-notifications');
		});

		await test.step('Rita answers with an emoji from the picker, by keyboard', async () => {
			const link = row(ritaInbox, CUSTOMERS[0].name).getByRole('link', { name: /View Chat/ });
			await openPage(ritaInbox, (await link.getAttribute('href'))!);
			await expect(ritaInbox.getByTestId('chat-live-status')).toHaveAttribute(
				'data-status',
				'live'
			);
			const composer = ritaInbox.getByRole('textbox', { name: 'Message' });
			await composer.fill('Shipped today, thanks for waiting');
			// The caret goes back between "today," and " thanks".
			await composer.evaluate((box: HTMLTextAreaElement) => box.setSelectionRange(14, 14));

			const button = ritaInbox.getByRole('button', { name: 'Add an emoji' });
			const panel = ritaInbox.getByRole('dialog', { name: 'Choose an emoji' });
			await button.click();
			await expect(panel).toBeVisible();
			const search = panel.getByRole('combobox', { name: /search/i });
			await expect(search).toBeFocused();
			await ritaInbox.keyboard.press('Escape');
			await expect(panel).toBeHidden();
			await expect(button).toBeFocused();
			await expect(composer).toHaveValue('Shipped today, thanks for waiting');

			await ritaInbox.keyboard.press('Enter');
			await expect(panel).toBeVisible();
			await expect(search).toBeFocused();
			await search.pressSequentially('package');
			await expect(panel.getByRole('option', { name: /package/i }).first()).toBeVisible();
			await screens(ritaInbox, 'emoji-picker');
			await search.press('ArrowDown');
			await search.press('Enter');
			await expect(panel).toBeHidden();
			// The picker gives the emoji as its data spells it (here with the emoji presentation selector).
			await expect(composer).toHaveValue(/^Shipped today,📦\u{FE0F}? thanks for waiting$/u);
			const reply = await composer.inputValue();
			await expect(composer).toBeFocused();
			await composer.press('Enter');
			await expect(composer).toHaveValue('');
			await expect.poll(() => deliveredTo(sandboxUrl, CUSTOMERS[0].phone)).toEqual([reply]);
			await expect(ritaInbox.getByTestId('thread').getByText(reply)).toBeVisible();
			await screens(ritaInbox, 'emoji-sent');
		});
	} finally {
		await deleteWorkspace(service, tenantId);
		for (const agent of agents) await service.auth.admin.deleteUser(agent.id);
	}
});
