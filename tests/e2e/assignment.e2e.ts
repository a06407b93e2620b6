import { expect, test } from '@playwright/test';
import {
	DEMO_PEOPLE,
	aiRepliesStored,
	createWorkspace,
	customerSends,
	deleteWorkspace,
	findStack,
	openPage,
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

// Assignment end to end in its own workspace: an admin and an agent in two browsers. The agent
// takes an unassigned conversation (it moves from Unassigned to Mine for them, and the admin sees
// who has it), the admin assigns another to the agent (who is told at once), and the AI hands a
// third to people, which lands in Unassigned and Escalated with its badge. All live, no reloads.

const TAKEN = { phone: '+5215511110001', name: 'Tania Taken' };
const GIVEN = { phone: '+5215511110002', name: 'Gael Given' };
const ESCALATED = { phone: '+5215511110003', name: 'Elsa Escalated' };

const screens = screensOf('assignment');

test('an agent takes, an admin assigns, and the AI hands over, live for both', async ({
	page: admin,
	browser
}) => {
	test.setTimeout(600_000);
	await admin.setViewportSize(DESKTOP);
	await signIn(admin, DEMO_PEOPLE.admin.email);
	const { supabaseUrl, sandboxUrl } = await findStack(admin);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Assignment Co',
		slugPrefix: 'assignment',
		members: ['admin', 'agent']
	});
	const agent = await newSignedInPage(browser, DEMO_PEOPLE.agent.email);
	const agentChat = await agent.context().newPage();
	const agentNotifications = await agent.context().newPage();

	try {
		await test.step('a new conversation waits in Unassigned', async () => {
			await openPage(admin, `/app/${slug}/whatsapp/conversations`);
			await openPage(agent, `/app/${slug}/whatsapp/conversations`);
			for (const page of [admin, agent])
				await expect(page.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
			await customerSends(sandboxUrl, TAKEN, { text: 'Where is my parcel?' });
			await expect(row(agent, TAKEN.name)).toBeVisible();
			await tab(agent, 'Unassigned').click();
			await expect(tab(agent, 'Unassigned')).toHaveAttribute('aria-selected', 'true');
			await expect(row(agent, TAKEN.name).getByTestId('row-assignee')).toHaveText('Unassigned');
			await expect(count(agent, 'unassigned')).toHaveText('1');
			await expect(count(agent, 'mine')).toHaveText('0');
			await screens(agent, 'unassigned');
		});

		await test.step('the agent takes it: Unassigned to Mine for them, named for the admin', async () => {
			const link = row(agent, TAKEN.name).getByRole('link', { name: /View Chat/ });
			await openPage(agentChat, (await link.getAttribute('href'))!);
			await expect(agentChat.getByTestId('chat-assignee')).toHaveText('Unassigned');
			await expect(agentChat.getByTestId('assignee-picker')).toHaveCount(0);
			await agentChat.getByTestId('assign-to-me').click();
			await expect(agentChat.getByTestId('chat-assignee')).toHaveText('You');
			await expect(agentChat.getByTestId('unassign')).toBeVisible();
			await screens(agentChat, 'chat-taken');

			// The list the agent left open follows without a reload.
			await expect(row(agent, TAKEN.name)).toHaveCount(0);
			await expect(count(agent, 'unassigned')).toHaveText('0');
			await expect(count(agent, 'mine')).toHaveText('1');
			await tab(agent, 'Mine').click();
			await expect(row(agent, TAKEN.name).getByTestId('row-assignee')).toHaveText(
				'Assigned to You'
			);
			await screens(agent, 'mine');
			await expect(row(admin, TAKEN.name).getByTestId('row-assignee')).toHaveText(
				'Assigned to Sofia Agent'
			);
			await screens(admin, 'all-with-assignee');
		});

		await test.step('the admin assigns one to the agent, who is told at once', async () => {
			await openPage(agentNotifications, `/app/${slug}/whatsapp/notifications`);
			await expect(agentNotifications.getByTestId('notifications-live-status')).toHaveAttribute(
				'data-status',
				'live'
			);
			await customerSends(sandboxUrl, GIVEN, { text: 'Can I change my address?' });
			const link = row(admin, GIVEN.name).getByRole('link', { name: /View Chat/ });
			await openPage(admin, (await link.getAttribute('href'))!);
			await expect(admin.getByTestId('chat-assignee')).toHaveText('Unassigned');
			await admin.getByLabel('Assign to a member').selectOption({ label: 'Sofia Agent' });
			await expect(admin.getByTestId('chat-assignee')).toHaveText('Sofia Agent');
			await screens(admin, 'chat-assigned-by-admin');

			const told = agentNotifications.locator(
				'[data-testid="notification"][data-kind="assignment"]'
			);
			await expect(told).toHaveCount(1);
			await expect(told).toContainText(
				`Adam Admin assigned you the conversation with ${GIVEN.name}`
			);
			await expect(told.getByTestId('notification-kind')).toHaveText('Assigned to you');
			await screens(agentNotifications, 'notification-assignment');
			await expect(count(agent, 'mine')).toHaveText('2');
			await expect(row(agent, GIVEN.name)).toBeVisible();
		});

		await test.step('an AI hand-over lands in Unassigned and Escalated with its badge', async () => {
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

			await openPage(admin, `/app/${slug}/whatsapp/conversations`);
			await tab(admin, 'Escalated').click();
			await expect(admin.getByTestId('empty-view')).toBeVisible();
			await customerSends(sandboxUrl, ESCALATED, { text: 'I want to talk to a person please' });
			await aiRepliesStored(service, tenantId, 1);
			const escalated = row(admin, ESCALATED.name);
			await expect(escalated.getByTestId('escalated-badge')).toHaveText('Escalated');
			await expect(escalated.getByTestId('row-assignee')).toHaveText('Unassigned');
			await expect(count(admin, 'escalated')).toHaveText('1');
			await screens(admin, 'escalated');
			await tab(admin, 'Unassigned').click();
			await expect(row(admin, ESCALATED.name).getByTestId('escalated-badge')).toBeVisible();
			await expect(row(admin, TAKEN.name)).toHaveCount(0);

			const link = row(admin, ESCALATED.name).getByRole('link', { name: /View Chat/ });
			await openPage(admin, (await link.getAttribute('href'))!);
			await expect(admin.getByTestId('chat-escalated')).toHaveText('Escalated');
			await expect(admin.getByTestId('chat-assignee')).toHaveText('Unassigned');
			await screens(admin, 'chat-escalated');

			const handOver = agentNotifications.locator(
				'[data-testid="notification"][data-kind="escalation"]'
			);
			await expect(handOver).toHaveCount(1);
			await expect(handOver.getByTestId('notification-kind')).toHaveText('Needs a person');
			await screens(agentNotifications, 'notifications-kinds');
		});
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
