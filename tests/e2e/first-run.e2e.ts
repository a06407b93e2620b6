import { expect, test, type Page } from '@playwright/test';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { DEMO_CREDENTIALS } from '../../sandbox/demo.ts';
import { SERVICE_ROLE_KEY } from '../../supabase/local/keys.ts';
import { DESKTOP, screensOf } from './support/screens.ts';
import { deleteWorkspace, findStack, hydrated, openPage } from './support/workspace.ts';

// A first run as a new team lives it, in two browsers: an owner signs up and makes a workspace
// (from then on sign-in opens it), connects Twilio with the sandbox's demo credentials, and invites
// an agent, whose sign-up has the invited address filled in. The owner then promotes, demotes and
// removes the agent, and the agent's open tab follows each change live, without a reload.

const screens = screensOf('first-run');
const password = 'first-run-password-1';
const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

/** Marks the tab, so a later check proves it was never reloaded (only navigated in place). */
const markTab = (page: Page) =>
	page.evaluate(() => document.documentElement.setAttribute('data-first-run-tab', 'kept'));
const tabKept = (page: Page) => page.locator('html[data-first-run-tab="kept"]');

/**
 * Whether the tab's Realtime server has accepted a join of a `user:` topic: the role-change
 * broadcasts travel there, so the owner changes roles only once the agent's tab listens.
 */
function watchUserTopicJoin(page: Page): () => boolean {
	let joined = false;
	page.on('websocket', (socket) => {
		if (!socket.url().includes('/realtime/v1/')) return;
		socket.on('framereceived', ({ payload }) => {
			if (typeof payload !== 'string') return;
			const message: unknown = JSON.parse(payload);
			// Phoenix's v2 arrays [join_ref, ref, topic, event, payload] or v1 objects.
			const [topic, event, body] = Array.isArray(message)
				? [message[2], message[3], message[4]]
				: [
						(message as { topic?: unknown }).topic,
						(message as { event?: unknown }).event,
						(message as { payload?: unknown }).payload
					];
			if (
				typeof topic === 'string' &&
				topic.startsWith('realtime:user:') &&
				event === 'phx_reply' &&
				(body as { status?: unknown } | null)?.status === 'ok'
			)
				joined = true;
		});
	});
	return () => joined;
}

async function signInAs(page: Page, email: string) {
	await openPage(page, '/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a first run: one workspace signs straight in, demo credentials, an invited agent who follows role changes live', async ({
	page: owner,
	browser
}) => {
	test.setTimeout(600_000);
	const stamp = Date.now().toString(36);
	const people = {
		owner: { name: 'Frida First', email: `frida-${stamp}@example.com` },
		agent: { name: 'Aldo Agent', email: `aldo-${stamp}@example.com` }
	};
	const workspace = 'First Run Co';
	const slug = `first-run-${stamp}`;
	await owner.setViewportSize(DESKTOP);
	const agentContext = await browser.newContext({ viewport: DESKTOP });
	const agent = await agentContext.newPage();
	const agentListens = watchUserTopicJoin(agent);
	let supabaseUrl = '';

	try {
		await test.step('a new owner signs up and creates their workspace', async () => {
			await openPage(owner, '/signup');
			({ supabaseUrl } = await findStack(owner));
			await owner.getByLabel('Your name').fill(people.owner.name);
			await owner.getByLabel('Work email').fill(people.owner.email);
			await owner.getByLabel('Password').fill(password);
			await owner.getByRole('button', { name: 'Create account' }).click();
			await expect(owner).toHaveURL(/\/app$/);
			await expect(owner.getByText("You're not part of a workspace yet.")).toBeVisible();
			await hydrated(owner);
			await owner.getByLabel('Workspace name').fill(workspace);
			await owner.getByLabel('Address').fill(slug);
			await owner.getByRole('button', { name: 'Create workspace' }).click();
			await expect(owner).toHaveURL(new RegExp(`/app/${slug}/whatsapp$`));
		});

		await test.step('with one workspace, signing in lands in it', async () => {
			await hydrated(owner);
			await owner.getByRole('button', { name: 'Sign out' }).click();
			await expect(owner).toHaveURL(/\/login$/);
			await signInAs(owner, people.owner.email);
			await expect(owner).toHaveURL(new RegExp(`/app/${slug}/whatsapp$`));
			await expect(mainNav(owner).getByRole('link', { name: 'WhatsApp' })).toHaveAttribute(
				'aria-current',
				'page'
			);
			await hydrated(owner);
			await screens(owner, 'signed-in');
		});

		await test.step('the switcher still leads to the chooser, to create another workspace', async () => {
			await owner.getByRole('button', { name: new RegExp(`Workspace: ${workspace}`) }).click();
			await owner.getByRole('link', { name: 'Create a workspace' }).click();
			await expect(owner).toHaveURL(/\/app\?choose#create-heading$/);
			await expect(owner.getByRole('heading', { name: 'Create a workspace' })).toBeVisible();
			await expect(owner.getByRole('link', { name: new RegExp(workspace) })).toHaveAttribute(
				'href',
				`/app/${slug}`
			);
			await screens(owner, 'chooser');
		});

		await test.step("the sandbox's demo credentials fill the Twilio form, and connect", async () => {
			await openPage(owner, `/app/${slug}/integrations`);
			const twilio = owner.getByTestId('twilio-card');
			await expect(twilio.getByTestId('twilio-status')).toHaveText('Not connected');
			await expect(twilio.getByLabel('Account SID')).toHaveValue('');
			await twilio.getByRole('button', { name: "Use the sandbox's demo credentials" }).click();
			await expect(twilio.getByLabel('Account SID')).toHaveValue(
				DEMO_CREDENTIALS.twilio.accountSid
			);
			await expect(twilio.getByLabel('Auth Token')).toHaveValue(DEMO_CREDENTIALS.twilio.authToken);
			await expect(twilio.getByRole('button', { name: 'Connect Twilio' })).toBeFocused();
			await screens(owner, 'integrations-sandbox');
			await twilio.getByRole('button', { name: 'Connect Twilio' }).click();
			await expect(twilio.getByTestId('twilio-status')).toHaveText('Connected');
			await expect(twilio.getByTestId('twilio-account-name')).toHaveText(
				DEMO_CREDENTIALS.twilio.friendlyName
			);
		});

		await test.step('every settings page has the same content width', async () => {
			const widths = new Set<number>();
			for (const path of [
				'agents',
				'canned-responses',
				'labels',
				'members',
				'integrations',
				'reports',
				'whatsapp/guide/meta'
			]) {
				await openPage(owner, `/app/${slug}/${path}`);
				const box = await owner.getByTestId('page-container').boundingBox();
				expect(box, path).not.toBeNull();
				widths.add(Math.round(box!.width));
			}
			expect([...widths]).toHaveLength(1);
		});

		let link = '';
		await test.step('the owner invites an agent', async () => {
			await openPage(owner, `/app/${slug}/members`);
			await owner.getByLabel('Email').fill(people.agent.email);
			await owner.getByLabel('Role', { exact: true }).selectOption({ label: 'Agent' });
			await owner.getByRole('button', { name: 'Send invitation' }).click();
			await expect(owner.getByTestId('invitation-link')).toContainText(people.agent.email);
			link = await owner.getByLabel('Invitation link').inputValue();
		});

		await test.step("the invitation's sign-up has the invited address, and refuses another", async () => {
			await openPage(agent, link);
			await agent.getByRole('link', { name: 'Create an account' }).click();
			await expect(agent).toHaveURL(/\/signup\?next=%2Finvite%2F/);
			await hydrated(agent);
			const email = agent.getByLabel('Work email');
			await expect(email).toHaveValue(people.agent.email);
			await expect(email).not.toBeEditable();
			await expect(agent.getByText(`Join ${workspace}`)).toBeVisible();
			await agent.getByLabel('Your name').fill(people.agent.name);
			await agent.getByLabel('Password').fill(password);
			await screens(agent, 'invite-signup');

			// What a crafted request would do: unlock the field and sign up with another address.
			await email.evaluate((input: HTMLInputElement) => (input.readOnly = false));
			await email.fill(`someone-else-${stamp}@example.com`);
			await agent.getByRole('button', { name: 'Create account' }).click();
			await expect(email).toHaveAccessibleDescription(
				`This invitation is for ${people.agent.email}. Sign up with that address to accept it, or ask whoever invited you to invite someone-else-${stamp}@example.com instead.`
			);
			await expect(agent).toHaveURL(/\/signup\?next=%2Finvite%2F/);

			await email.fill(people.agent.email);
			await agent.getByLabel('Password').fill(password);
			await agent.getByRole('button', { name: 'Create account' }).click();
			await expect(agent).toHaveURL(/\/invite\//);
			await hydrated(agent);
			await agent.getByRole('button', { name: `Accept and join ${workspace}` }).click();
			await expect(agent).toHaveURL(new RegExp(`/app/${slug}/whatsapp$`));
			await hydrated(agent);
			await expect(mainNav(agent).getByRole('link', { name: 'Members' })).toHaveCount(0);
			await markTab(agent);
			await expect.poll(agentListens, { message: "the agent's tab joins user:<id>" }).toBe(true);
		});

		const agentRole = () => owner.getByLabel(`Role of ${people.agent.name}`);
		const changeAgentRole = async (role: 'Admin' | 'Agent') => {
			await agentRole().selectOption({ label: role });
			await owner.getByRole('button', { name: 'Save' }).click();
			await expect(owner.getByTestId('toast').last()).toContainText(`Role changed to ${role}.`);
		};

		await test.step("promoted to admin, the agent's open tab shows the admin pages", async () => {
			await openPage(owner, `/app/${slug}/members`);
			await changeAgentRole('Admin');
			await expect(agent.getByTestId('toast').last()).toContainText(
				`Your role in ${workspace} is now Admin.`
			);
			await expect(mainNav(agent).getByRole('link', { name: 'Members' })).toBeVisible();
			await expect(mainNav(agent).getByRole('link', { name: 'Integrations' })).toBeVisible();
			await expect(tabKept(agent)).toHaveCount(1);
			await screens(agent, 'promoted');
			await mainNav(agent).getByRole('link', { name: 'Integrations' }).click();
			await expect(agent.getByTestId('twilio-status')).toHaveText('Connected');
		});

		await test.step('demoted while on an admin page, the agent is told it is not allowed', async () => {
			await changeAgentRole('Agent');
			await expect(agent.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
			await expect(
				agent.getByText('Only owners and admins can manage integrations.')
			).toBeVisible();
			await expect(mainNav(agent).getByRole('link', { name: 'Integrations' })).toHaveCount(0);
			await expect(mainNav(agent).getByRole('link', { name: 'Members' })).toHaveCount(0);
			await expect(agent.getByTestId('toast').last()).toContainText(
				`Your role in ${workspace} is now Agent.`
			);
			await expect(tabKept(agent)).toHaveCount(1);
			await screens(agent, 'demoted');
		});

		await test.step('removed from the workspace, the agent is taken out of it', async () => {
			await owner.getByRole('button', { name: `Remove ${people.agent.name}` }).click();
			await owner
				.getByRole('dialog', { name: `Remove ${people.agent.name}?` })
				.getByRole('button', { name: 'Remove member' })
				.click();
			await expect(agent).toHaveURL(/\/app$/);
			await expect(agent.getByTestId('toast').last()).toContainText(
				`You were removed from ${workspace}.`
			);
			await expect(agent.getByText("You're not part of a workspace yet.")).toBeVisible();
			// The toast sits below the top bar, whose menu stays in reach.
			const toastBox = await agent.getByTestId('toast').last().boundingBox();
			const barBox = await agent.getByTestId('top-bar').boundingBox();
			expect(toastBox!.y).toBeGreaterThanOrEqual(barBox!.y + barBox!.height);
			await expect(tabKept(agent)).toHaveCount(1);
			await screens(agent, 'removed');
		});
	} finally {
		await agentContext.close();
		if (supabaseUrl) {
			const service = createClient(supabaseUrl, SERVICE_ROLE_KEY, {
				auth: { persistSession: false },
				realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket }
			});
			const { data } = await service.from('tenants').select('id').eq('slug', slug).maybeSingle();
			if (data) await deleteWorkspace(service, data.id as string);
		}
	}
});
