import { expect, test } from '@playwright/test';
import { accessibilityViolations as violations } from './support/axe.ts';
import { openPage } from './support/workspace.ts';

// Every page a person works in, checked with axe against WCAG 2.1 A and AA, signed out and as the
// seeded owner of Acme Support. Read-only: nothing here changes the demo workspace. The inbox
// and chat are checked in every state the inbox journey screenshots.

test('sign-in and sign-up pages have no accessibility violations', async ({ page }) => {
	for (const path of ['/login', '/signup']) {
		await openPage(page, path);
		await expect(page.getByRole('button').first()).toBeVisible();
		expect(await violations(page), path).toEqual([]);
	}
});

test('the workspace pages have no accessibility violations', async ({ page }) => {
	await openPage(page, '/login');
	await page.getByLabel('Email').fill('owner@parley.local');
	await page.getByLabel('Password').fill('parley-demo');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/app/);

	for (const path of [
		'/app?choose',
		'/app/acme/whatsapp',
		'/app/acme/whatsapp/notifications',
		'/app/acme/whatsapp/guide/meta',
		'/app/acme/agents',
		'/app/acme/integrations',
		'/app/acme/members'
	]) {
		await openPage(page, path);
		await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
		expect(await violations(page), path).toEqual([]);
	}
});
