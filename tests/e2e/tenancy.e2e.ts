import { expect, test, type Browser, type Page } from '@playwright/test';
import { openPage, reloadPage } from './support/workspace.ts';

// Screens of the main states, kept with the run's results for a person to look at.
const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const password = 'correct-horse-battery';

/**
 * Clicks a form's submit button and waits for the server's answer to the post, as a person waits
 * for the page to respond. Works before or after hydration (the forms are progressively enhanced).
 */
async function submitAndWaitForAnswer(page: Page, button: string): Promise<void> {
	const app = new URL(page.url()).origin;
	const answered = page.waitForResponse(
		(response) => response.request().method() === 'POST' && new URL(response.url()).origin === app
	);
	await page.getByRole('button', { name: button }).click();
	await answered;
}

/**
 * The WhatsApp page once it is usable: rendered (a cold dev server renders a route's first visit
 * slowly, so longer than one expectation usually waits) and hydrated, its live channel joined.
 */
async function whatsappPageReady(page: Page): Promise<void> {
	await expect(page).toHaveURL(/\/whatsapp$/, { timeout: 30_000 });
	await expect(page.getByTestId('live-status')).toHaveAttribute('data-status', 'live', {
		timeout: 30_000
	});
}

/** Signs up through the sign-up page (with whatever `next` the page carries). */
async function fillSignUp(page: Page, name: string, email: string) {
	await page.getByLabel('Your name').fill(name);
	await page.getByLabel('Work email').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Create account' }).click();
}

/** Opens an invitation link in a fresh browser, signs up with the invited email and accepts. */
async function acceptAsNewPerson(
	browser: Browser,
	link: string,
	person: { name: string; email: string; role: string; workspace: string }
): Promise<Page> {
	const context = await browser.newContext({ viewport: DESKTOP });
	const page = await context.newPage();
	await openPage(page, link);
	await expect(page.getByTestId('invite-workspace')).toHaveText(person.workspace);
	await expect(page.getByTestId('invite-role')).toHaveText(person.role);
	await screenshot(page, `invite-signed-out-${person.role.toLowerCase()}`);
	await page.getByRole('link', { name: 'Create an account' }).click();
	await expect(page).toHaveURL(/\/signup\?next=%2Finvite%2F/);
	// The invited address is filled in and cannot be changed by accident.
	const email = page.getByLabel('Work email');
	await expect(email).toHaveValue(person.email);
	await expect(email).not.toBeEditable();
	await page.getByLabel('Your name').fill(person.name);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page).toHaveURL(/\/invite\//);
	await submitAndWaitForAnswer(page, `Accept and join ${person.workspace}`);
	await whatsappPageReady(page);
	await expect(page).toHaveURL(/\/whatsapp$/);
	await expect(page.getByRole('heading', { name: 'WhatsApp', level: 1 })).toBeVisible();
	return page;
}

const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

test('an owner builds a team: invites, roles, refusals and removal', async ({ page, browser }) => {
	const stamp = Date.now().toString(36);
	const owner = { name: 'Olga Owner', email: `olga-${stamp}@example.com` };
	const agent = { name: 'Arno Agent', email: `arno-${stamp}@example.com` };
	const admin = { name: 'Ada Admin', email: `ada-${stamp}@example.com` };
	const workspace = 'Globex Help';
	const slug = `globex-${stamp}`;
	await page.setViewportSize(DESKTOP);

	await test.step('a new owner signs up and sees how to start a workspace', async () => {
		await openPage(page, '/login');
		await screenshot(page, 'login-desktop');
		await page.setViewportSize(PHONE);
		await screenshot(page, 'login-phone');
		await page.setViewportSize(DESKTOP);
		await openPage(page, '/signup');
		await fillSignUp(page, owner.name, owner.email);
		await expect(page).toHaveURL(/\/app$/);
		await expect(page.getByText("You're not part of a workspace yet.")).toBeVisible();
		await screenshot(page, 'picker-empty');
		await page.setViewportSize(PHONE);
		await screenshot(page, 'picker-empty-phone');
		await page.setViewportSize(DESKTOP);
	});

	await test.step('creating a workspace suggests an address and explains a taken one', async () => {
		await page.getByLabel('Workspace name').fill(workspace);
		await expect(page.getByLabel('Address')).toHaveValue('globex-help');
		await page.getByLabel('Address').fill('acme');
		await page.getByRole('button', { name: 'Create workspace' }).click();
		const address = page.getByLabel('Address');
		await expect(address).toHaveAttribute('aria-invalid', 'true');
		await expect(address).toHaveAccessibleDescription(
			'The address "acme" is already taken. Choose another one.'
		);
		await address.fill('No Spaces');
		await page.getByRole('button', { name: 'Create workspace' }).click();
		await expect(address).toHaveAccessibleDescription(
			'Use only lowercase letters, digits and hyphens in the address.'
		);
		await screenshot(page, 'picker-create-error');

		await address.fill(slug);
		await submitAndWaitForAnswer(page, 'Create workspace');
		await whatsappPageReady(page);
		await expect(page).toHaveURL(new RegExp(`/app/${slug}/whatsapp$`));
		await expect(page.getByText('No WhatsApp numbers yet')).toBeVisible();
		await expect(mainNav(page).getByRole('link', { name: 'WhatsApp' })).toHaveAttribute(
			'aria-current',
			'page'
		);
		await expect(page.getByTestId('shell-user-name')).toHaveText(owner.name);
		await screenshot(page, 'shell-owner');
	});

	await test.step('the workspace switcher works from the keyboard', async () => {
		const switcher = page.getByRole('button', { name: new RegExp(`Workspace: ${workspace}`) });
		await switcher.focus();
		await page.keyboard.press('Enter');
		await expect(switcher).toHaveAttribute('aria-expanded', 'true');
		await page.keyboard.press('ArrowDown');
		await expect(page.getByRole('link', { name: new RegExp(`^${workspace}`) })).toBeFocused();
		await screenshot(page, 'shell-switcher-open');
		await page.keyboard.press('Escape');
		await expect(switcher).toHaveAttribute('aria-expanded', 'false');
		await expect(switcher).toBeFocused();
	});

	await test.step('on a phone the sidebar becomes a drawer', async () => {
		await page.setViewportSize(PHONE);
		await expect(mainNav(page)).toBeHidden();
		await screenshot(page, 'shell-phone');
		await page.getByRole('button', { name: 'Open navigation' }).click();
		await expect(mainNav(page)).toBeVisible();
		await expect(page.getByRole('button', { name: 'Close navigation' })).toBeFocused();
		await screenshot(page, 'shell-phone-drawer');
		await page.keyboard.press('Escape');
		await expect(mainNav(page)).toBeHidden();
		await expect(page.getByRole('button', { name: 'Open navigation' })).toBeFocused();
		await page.setViewportSize(DESKTOP);
	});

	const invite = async (email: string, role: string): Promise<string> => {
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
		await page.getByRole('button', { name: 'Send invitation' }).click();
		await expect(page.getByTestId('toast').last()).toContainText(`Invitation sent to ${email}`);
		// The toast comes first; the link panel follows once the page data has reloaded.
		await expect(page.getByTestId('invitation-link')).toContainText(email);
		const link = await page.getByLabel('Invitation link').inputValue();
		expect(link).toMatch(/\/invite\/[0-9a-f]{64}$/);
		return link;
	};

	let agentLink = '';
	let adminLink = '';
	await test.step('the owner invites an agent and an admin, and sees them pending', async () => {
		await mainNav(page).getByRole('link', { name: 'Members' }).click();
		await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
		await expect(page.getByText('No invitations waiting.')).toBeVisible();

		await page.getByRole('button', { name: 'Send invitation' }).click();
		await expect(page.getByLabel('Email')).toHaveAccessibleDescription(
			'Enter a valid email address, like name@company.com.'
		);

		agentLink = await invite(agent.email, 'Agent');
		adminLink = await invite(admin.email, 'Admin');
		const pending = page.getByTestId('pending-invitation');
		await expect(pending).toHaveCount(2);
		await expect(pending.filter({ hasText: agent.email })).toContainText(
			`Invited just now by ${owner.name} · expires in 7 days`
		);
		await expect(page.getByLabel('Email')).toHaveValue('');
		await screenshot(page, 'members-owner');
	});

	const agentPage = await test.step('the agent accepts in their own browser', () =>
		acceptAsNewPerson(browser, agentLink, { ...agent, role: 'Agent', workspace }));

	await test.step('an agent has no Members link and the address is refused', async () => {
		await expect(mainNav(agentPage).getByRole('link', { name: 'AI Agents' })).toBeVisible();
		await expect(mainNav(agentPage).getByRole('link', { name: 'Members' })).toHaveCount(0);
		await expect(mainNav(agentPage).getByRole('link', { name: 'Integrations' })).toHaveCount(0);
		await screenshot(agentPage, 'shell-agent');
		const response = await openPage(agentPage, `/app/${slug}/members`);
		expect(response?.status()).toBe(403);
		await expect(
			agentPage.getByText('Only owners and admins can manage the members of this workspace.')
		).toBeVisible();
		await screenshot(agentPage, 'members-refused-agent');
	});

	await test.step('someone signed in with another email is told the invitation is not theirs', async () => {
		await openPage(agentPage, adminLink);
		await expect(agentPage.getByRole('alert')).toHaveText(
			`This invitation is for ${admin.email}, but you're signed in as ${agent.email}. Sign out, then sign in with ${admin.email} to accept it.`
		);
		await screenshot(agentPage, 'invite-wrong-account');
		await openPage(agentPage, `/app/${slug}/whatsapp`);
	});

	const adminPage = await test.step('the admin accepts in their own browser', () =>
		acceptAsNewPerson(browser, adminLink, { ...admin, role: 'Admin', workspace }));

	await test.step('the admin cannot demote the owner: the control is disabled and a forced change is refused', async () => {
		await mainNav(adminPage).getByRole('link', { name: 'Members' }).click();
		const ownerRole = adminPage.getByLabel(`Role of ${owner.name}`);
		await expect(ownerRole).toBeDisabled();
		await expect(ownerRole).toHaveAccessibleDescription(
			'Admins cannot change the role of an owner.'
		);
		await expect(adminPage.getByRole('button', { name: `Remove ${owner.name}` })).toBeDisabled();
		await expect(adminPage.getByLabel(`Role of ${agent.name}`)).toBeEnabled();
		await screenshot(adminPage, 'members-admin');
		await adminPage.setViewportSize(PHONE);
		await screenshot(adminPage, 'members-admin-phone');
		await adminPage.setViewportSize(DESKTOP);

		// What a crafted request would do: enable the control and send the change anyway.
		await ownerRole.evaluate((select: HTMLSelectElement) => (select.disabled = false));
		await ownerRole.selectOption('agent');
		await adminPage.getByRole('button', { name: 'Save' }).click();
		await expect(adminPage.getByTestId('toast')).toContainText(
			'Admins cannot change the role of an owner.'
		);
		await screenshot(adminPage, 'members-admin-refused');
		await reloadPage(adminPage);
		await expect(adminPage.getByLabel(`Role of ${owner.name}`)).toHaveValue('owner');
	});

	await test.step('the owner promotes nobody by accident: the last owner cannot be demoted', async () => {
		// Loaded to the end, as a person waits before using it: the Remove dialog needs the page's script.
		await page.reload({ waitUntil: 'networkidle' });
		await expect(page.getByLabel(`Role of ${owner.name}`)).toBeDisabled();
		await expect(page.getByRole('button', { name: `Leave ${owner.name}` })).toBeDisabled();
	});

	await test.step('removing the agent takes them out of the workspace at once', async () => {
		await page.getByRole('button', { name: `Remove ${agent.name}` }).click();
		const dialog = page.getByRole('dialog', { name: `Remove ${agent.name}?` });
		await expect(dialog).toBeVisible();
		await screenshot(page, 'members-remove-dialog');
		await dialog.getByRole('button', { name: 'Remove member' }).click();
		await expect(page.getByTestId('toast').last()).toContainText('Removed from the workspace.');
		await expect(page.getByLabel(`Role of ${agent.name}`)).toHaveCount(0);

		// Their open tab leaves on the database's broadcast, with no click of theirs.
		await expect(agentPage).toHaveURL(/\/app$/);
		await expect(agentPage.getByTestId('toast').last()).toContainText(
			`You were removed from ${workspace}.`
		);
		await expect(agentPage.getByText("You're not part of a workspace yet.")).toBeVisible();
		const response = await openPage(agentPage, `/app/${slug}/whatsapp`);
		expect(response?.status()).toBe(404);
		await screenshot(agentPage, 'removed-agent-404');
		// Exactly what a workspace that does not exist answers.
		const missing = await openPage(agentPage, `/app/no-such-${stamp}/whatsapp`);
		expect(missing?.status()).toBe(404);
	});

	await agentPage.context().close();
	await adminPage.context().close();
});

test('an invitation link that matches nothing answers 404 and says so in a sentence', async ({
	page
}) => {
	const response = await openPage(page, `/invite/${'0'.repeat(64)}`);
	expect(response?.status()).toBe(404);
	await expect(page.getByRole('heading', { name: "This link doesn't work" })).toBeVisible();
	await expect(page.getByTestId('invite-error')).toHaveText(
		'This invitation link is not valid or has expired.'
	);
});
