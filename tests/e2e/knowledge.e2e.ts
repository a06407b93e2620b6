import { expect, test, type Page } from '@playwright/test';
import { accessibilityViolations } from './support/axe.ts';
import {
	createWorkspace,
	customerSends,
	deleteWorkspace,
	DEMO_PEOPLE,
	findStack,
	openPage,
	signedInClient,
	signIn
} from './support/workspace.ts';

// The AI agent that knows the business: the owner writes two articles, tries the agent in the test
// chat, assigns it to the workspace's number; a customer asks and the AI answers from the cited
// article, with its sources on the message; for a conversation people answer, the agent asks the
// copilot for a suggestion and edits it before sending. Axe-checked, screenshots at two widths.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const SHIPPING =
	'We ship to Canada and the United States. Delivery to Canada takes 5 to 7 business days.';
const RETURNS =
	'You can return shoes within 30 days of delivery for a full refund, as long as they are unworn.';

const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/knowledge-${name}.png`, fullPage: true });

async function expectAccessible(page: Page) {
	expect(await accessibilityViolations(page)).toEqual([]);
}

test('an admin teaches an agent, tries it, assigns it; it answers with its source; the copilot drafts for a person', async ({
	page,
	browser
}) => {
	test.setTimeout(300_000);
	await signIn(page, DEMO_PEOPLE.owner.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Knowledge journey',
		slugPrefix: 'knowledge',
		members: ['agent']
	});
	try {
		const { client: owner } = await signedInClient(supabaseUrl, DEMO_PEOPLE.owner.email);
		const { data: agent, error } = await owner
			.from('ai_agents')
			.insert({ tenant_id: tenantId, name: 'Sofia', whatsapp_enabled: true })
			.select('id')
			.single();
		if (error) throw error;

		// The owner writes two articles on the agent's knowledge page.
		await page.setViewportSize(DESKTOP);
		await openPage(page, `/app/${slug}/agents`);
		await page.getByRole('link', { name: 'Knowledge of Sofia' }).click();
		await expect(page.getByRole('heading', { name: 'Sofia', level: 1 })).toBeVisible();
		for (const [title, body] of [
			['Shipping', SHIPPING],
			['Returns', RETURNS]
		]) {
			await page.getByRole('button', { name: 'New article' }).click();
			const dialog = page.getByRole('dialog', { name: 'New article' });
			await dialog.getByLabel('Title').fill(title);
			await dialog.getByLabel('Text').fill(body);
			await dialog.getByRole('button', { name: 'Save article' }).click();
			await expect(dialog).toBeHidden();
			await expect(page.getByTestId('knowledge-source').filter({ hasText: title })).toContainText(
				'1 passage'
			);
		}

		// It tries the agent: an answer from the Shipping article, and a hand-over for the rest.
		await page.getByLabel('Question for Sofia').fill('How long does delivery to Canada take?');
		await page.getByRole('button', { name: 'Ask' }).click();
		const answer = page.getByTestId('test-chat-answer').first();
		await expect(answer).toContainText('Delivery to Canada takes 5 to 7 business days.');
		await expect(answer).toContainText('Sources: Shipping');
		await page.getByLabel('Question for Sofia').fill('Do you sell gift cards?');
		await page.getByRole('button', { name: 'Ask' }).click();
		await expect(page.getByTestId('test-chat-answer').nth(1)).toContainText(
			'Hands over to a person: Sofia found nothing in its knowledge'
		);
		await expectAccessible(page);
		await screenshot(page, 'agent-desktop');
		await page.setViewportSize(PHONE);
		await expectAccessible(page);
		await screenshot(page, 'agent-phone');
		await page.setViewportSize(DESKTOP);

		// Assigned to the number, it answers a customer from the article and cites it.
		const { data: number } = await service
			.from('whatsapp_numbers')
			.select('id')
			.eq('tenant_id', tenantId)
			.single();
		const assigned = await owner
			.from('whatsapp_numbers')
			.update({ assigned_agent_id: agent.id, active: true })
			.eq('id', number!.id);
		expect(assigned.error).toBeNull();
		const customer = { phone: '+5215522220001', name: 'Clara Knowledge' };
		await customerSends(sandboxUrl, customer, { text: 'How long does delivery to Canada take?' });
		const aiAnswer = async () => {
			const { data } = await service
				.from('messages')
				.select('conversation_id, body')
				.eq('tenant_id', tenantId)
				.eq('sender', 'ai');
			return data?.[0] ?? null;
		};
		await expect
			.poll(async () => (await aiAnswer())?.body ?? null, { timeout: 60_000 })
			.toBe('Delivery to Canada takes 5 to 7 business days.');
		const conversationId = (await aiAnswer())!.conversation_id as string;
		await openPage(page, `/app/${slug}/whatsapp/${conversationId}`);
		const aiMessage = page
			.getByTestId('message')
			.filter({ hasText: 'Delivery to Canada takes 5 to 7 business days.' });
		await aiMessage.getByText('Sources').click();
		await expect(aiMessage.getByTestId('message-sources')).toContainText('Shipping');
		await expect(aiMessage.getByTestId('message-sources')).toContainText(SHIPPING);

		// A person takes this conversation: AI off, the customer asks again, the copilot drafts.
		await service.from('conversations').update({ ai_active: false }).eq('id', conversationId);
		await customerSends(sandboxUrl, customer, { text: 'And can I return shoes I bought?' });
		const agentPage = await (await browser.newContext({ viewport: DESKTOP })).newPage();
		await signIn(agentPage, DEMO_PEOPLE.agent.email);
		await openPage(agentPage, `/app/${slug}/whatsapp/${conversationId}`);
		// In the thread: beside it, the conversation list shows the same words as the last message.
		await expect(
			agentPage.getByTestId('message').filter({ hasText: 'And can I return shoes I bought?' })
		).toBeVisible();
		await agentPage.getByRole('button', { name: 'Suggest reply' }).click();
		const composer = agentPage.getByLabel('Message', { exact: true });
		await expect(composer).toHaveValue(RETURNS);
		await expect(agentPage.getByText('Drafted from: Returns')).toBeVisible();
		await expectAccessible(agentPage);
		await screenshot(agentPage, 'copilot-desktop');
		await composer.fill(`${RETURNS} Just bring the receipt.`);
		await agentPage.getByRole('button', { name: 'Send' }).click();
		await expect
			.poll(async () => {
				const { data } = await service
					.from('messages')
					.select('body')
					.eq('conversation_id', conversationId)
					.eq('sender', 'agent');
				return data?.map((row) => row.body);
			})
			.toEqual([`${RETURNS} Just bring the receipt.`]);
		// Nothing was sent for the person while the copilot drafted.
		const { count: aiAnswers } = await service
			.from('messages')
			.select('id', { count: 'exact', head: true })
			.eq('conversation_id', conversationId)
			.eq('sender', 'ai');
		expect(aiAnswers).toBe(1);
		await agentPage.setViewportSize(PHONE);
		await expectAccessible(agentPage);
		await screenshot(agentPage, 'copilot-phone');
		await agentPage.context().close();
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
