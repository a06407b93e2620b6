import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
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

// The Reports page after real sandbox traffic: customers write to the workspace's Meta number and
// the agent answers one of them through whatsapp-send. The owner reads the tenant's figures, sees a
// new conversation arrive live, changes the period and downloads the CSV; the agent reads only
// their own figures. Axe-checked, with screenshots at desktop and phone widths.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const CUSTOMERS = [
	{ phone: '+5215511110001', name: 'Rosa Reports' },
	{ phone: '+5215511110002', name: 'Iker Reports' },
	{ phone: '+5215511110003', name: 'Luz Reports' }
];

const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/reports-${name}.png`, fullPage: true });

/**
 * What makes the page wider than the window: nothing when it fits, else the outermost elements
 * that reach past its right edge, with their widths, so a failure says what to fix.
 */
const sidewaysOverflow = (page: Page) =>
	page.evaluate(() => {
		const root = document.documentElement;
		if (root.scrollWidth <= root.clientWidth) return [];
		const reachesPast = (element: Element | null) =>
			!!element && element.getBoundingClientRect().right > root.clientWidth + 1;
		return [...document.body.querySelectorAll('*')]
			.filter((element) => reachesPast(element) && !reachesPast(element.parentElement))
			.slice(0, 5)
			.map(
				(element) =>
					`${element.tagName.toLowerCase()}.${String(element.className).slice(0, 80)} ${Math.round(element.getBoundingClientRect().width)} px`
			)
			.concat(`page ${root.scrollWidth} px in a ${root.clientWidth} px window`);
	});

const figure = (page: Page, name: string) =>
	page.getByTestId(`figure-${name}`).locator('[data-value]');

test('owners read the tenant figures live, change the period and export CSV; agents see their own', async ({
	page,
	browser
}) => {
	test.setTimeout(300_000);
	await signIn(page, DEMO_PEOPLE.owner.email);
	const { supabaseUrl, sandboxUrl } = await findStack(page);
	const { service, tenantId, slug } = await createWorkspace(supabaseUrl, {
		name: 'Reports journey',
		slugPrefix: 'reports',
		members: ['agent']
	});
	try {
		// Two customers write; the agent answers the first through whatsapp-send.
		await customerSends(sandboxUrl, CUSTOMERS[0], { text: 'Where is my order?' });
		await customerSends(sandboxUrl, CUSTOMERS[1], { text: 'Do you ship to Puebla?' });
		await expect
			.poll(async () => {
				const { count } = await service
					.from('conversations')
					.select('id', { count: 'exact', head: true })
					.eq('tenant_id', tenantId);
				return count;
			})
			.toBe(2);
		const { data: first } = await service
			.from('conversations')
			.select('id, contacts!inner(profile_name)')
			.eq('tenant_id', tenantId)
			.eq('contacts.profile_name', CUSTOMERS[0].name)
			.single();
		const { client: agent } = await signedInClient(supabaseUrl, DEMO_PEOPLE.agent.email);
		const sent = await agent.functions.invoke('whatsapp-send', {
			method: 'POST',
			body: { conversationId: first!.id, text: 'It left the warehouse this morning.' }
		});
		expect(sent.error).toBeNull();

		// The owner sees the tenant's figures.
		await page.setViewportSize(DESKTOP);
		const reports = `/app/${slug}/reports`;
		await openPage(page, reports);
		await expect(page.getByRole('heading', { name: 'Reports', level: 1 })).toBeVisible();
		await expect(page.getByRole('link', { name: 'Reports' })).toHaveAttribute(
			'aria-current',
			'page'
		);
		await expect(figure(page, 'opened')).toHaveText('2');
		await expect(figure(page, 'messages-in')).toHaveText('2');
		await expect(figure(page, 'messages-out')).toHaveText('1');
		await expect(page.getByTestId('member-bars')).toContainText('1');
		await expect(page.getByTestId('number-bars')).toContainText('Support line');
		await expect(page.getByTestId('heatmap-peak')).toContainText('from customers (UTC)');
		await expect(page.getByTestId('volume-chart').locator('canvas')).toBeVisible();

		// A third customer writes while the page is open: the figures follow without a reload.
		await expect(page.getByTestId('reports-live')).toHaveAttribute('data-status', 'live');
		await customerSends(sandboxUrl, CUSTOMERS[2], { text: 'Hola, ¿siguen abiertos?' });
		await expect(figure(page, 'opened')).toHaveText('3');
		await expect(figure(page, 'messages-in')).toHaveText('3');

		expect(await accessibilityViolations(page)).toEqual([]);
		await screenshot(page, 'owner-desktop');

		// Today, then 30 days: the address and the period line follow, the figures stay.
		await page.getByRole('link', { name: 'Today' }).click();
		await expect(page).toHaveURL(/period=today/);
		const today = await service.rpc('tenant_today', { tenant_id: tenantId });
		await expect(page.getByTestId('report-period')).toHaveText(`${today.data} · UTC`);
		await expect(figure(page, 'opened')).toHaveText('3');
		await page.getByRole('link', { name: 'Last 30 days' }).click();
		await expect(page).toHaveURL(/period=30d/);
		await expect(page.getByRole('link', { name: 'Last 30 days' })).toHaveAttribute(
			'aria-current',
			'true'
		);
		await expect(figure(page, 'opened')).toHaveText('3');

		// The CSV holds the same figures.
		const downloading = page.waitForEvent('download');
		await page.getByRole('link', { name: 'Export CSV' }).click();
		const download = await downloading;
		expect(download.suggestedFilename()).toMatch(/^parley-report-reports-[0-9a-f]+-.*\.csv$/);
		const csv = await readFile((await download.path())!, 'utf8');
		expect(csv).toContain('Figures,Conversations opened,3,0,');
		expect(csv).toContain('Figures,Messages in,3,0,');
		expect(csv).toContain('Numbers,Support line,3,3,1');

		await page.setViewportSize(PHONE);
		await expect(figure(page, 'opened')).toBeVisible();
		// Nothing is wider than the phone: the heatmap scrolls inside its own card.
		await expect.poll(() => sidewaysOverflow(page)).toEqual([]);
		expect(await accessibilityViolations(page)).toEqual([]);
		await screenshot(page, 'owner-phone');

		// The agent's own figures: what they sent and answered, nothing of the tenant's inbound.
		const agentContext = await browser.newContext({ viewport: PHONE });
		const agentPage = await agentContext.newPage();
		await signIn(agentPage, DEMO_PEOPLE.agent.email);
		await openPage(agentPage, reports);
		await expect(agentPage.getByText(/Your own figures/)).toBeVisible();
		await expect(figure(agentPage, 'opened')).toHaveText('1');
		await expect(figure(agentPage, 'messages-out')).toHaveText('1');
		await expect(agentPage.getByTestId('figure-messages-in')).toHaveCount(0);
		await expect(agentPage.getByRole('combobox', { name: 'Member', exact: true })).toHaveCount(0);
		await expect(agentPage.getByTestId('heatmap')).toHaveCount(0);
		await expect.poll(() => sidewaysOverflow(agentPage)).toEqual([]);
		expect(await accessibilityViolations(agentPage)).toEqual([]);
		await screenshot(agentPage, 'agent-phone');
		await agentPage.setViewportSize(DESKTOP);
		await screenshot(agentPage, 'agent-desktop');
		await agentContext.close();
	} finally {
		await deleteWorkspace(service, tenantId);
	}
});
