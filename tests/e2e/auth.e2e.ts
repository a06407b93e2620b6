import { expect, test, type Page } from '@playwright/test';
import { openPage } from './support/workspace.ts';

// Screens of the main states, kept with the run's results for a person to look at.
const screenshot = (page: Page, name: string) =>
	page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });

test('a new visitor signs up, lands in the app, signs out, and signs in again', async ({
	page
}) => {
	const email = `ada-${Date.now()}@example.com`;
	const password = 'analytical-engine-1843';

	await test.step('the home page sends a signed-out visitor to sign in', async () => {
		await openPage(page, '/');
		await expect(page).toHaveURL(/\/login$/);
		await expect(page).toHaveTitle('Sign in · Parley');
		await expect(page.getByRole('heading', { name: 'Sign in to Parley' })).toBeVisible();
		await screenshot(page, 'login');
	});

	await test.step('bad input on sign-up is explained beside each field', async () => {
		await page.getByRole('link', { name: 'Create an account' }).click();
		await expect(page).toHaveURL(/\/signup$/);
		await page.getByLabel('Your name').fill('Ada Lovelace');
		await page.getByLabel('Work email').fill('ada-at-example');
		await page.getByLabel('Password').fill('short');
		await page.getByRole('button', { name: 'Create account' }).click();

		const emailField = page.getByLabel('Work email');
		await expect(
			page.getByText('Enter a valid email address, like name@company.com.')
		).toBeVisible();
		await expect(page.getByText('Use at least 8 characters for your password.')).toBeVisible();
		await expect(emailField).toHaveAttribute('aria-invalid', 'true');
		await expect(emailField).toHaveAccessibleDescription(
			'Enter a valid email address, like name@company.com.'
		);
		await expect(page.getByLabel('Your name')).not.toHaveAttribute('aria-invalid', 'true');
		await expect(page).toHaveURL(/\/signup$/);
		await screenshot(page, 'signup-errors');
	});

	await test.step('a valid sign-up lands on the app showing who is signed in', async () => {
		await page.getByLabel('Work email').fill(email);
		await page.getByLabel('Password').fill(password);
		await page.getByRole('button', { name: 'Create account' }).click();

		await expect(page).toHaveURL(/\/app$/);
		await expect(page.getByRole('heading', { name: 'Welcome, Ada Lovelace' })).toBeVisible();
		await expect(page.getByTestId('user-email')).toHaveText(email);
		await expect(page).toHaveTitle('Home · Parley');
		await expect(page.getByText("You're not part of a workspace yet.")).toBeVisible();
		await screenshot(page, 'landing');
		await page.setViewportSize({ width: 390, height: 844 });
		await screenshot(page, 'landing-phone');
		await page.setViewportSize({ width: 1280, height: 720 });
	});

	await test.step('signing out ends the session: the app is closed again', async () => {
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/login$/);
		await openPage(page, '/app?from=link');
		await expect(page).toHaveURL(/\/login\?next=%2Fapp%3Ffrom%3Dlink$/);
	});

	await test.step('a wrong password is refused with a sentence, the right one lets them in', async () => {
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill('not-the-password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByRole('alert')).toContainText(
			"That email and password don't match an account."
		);
		await expect(page).toHaveURL(/\/login\?next=/);
		await screenshot(page, 'login-wrong-password');

		await page.getByLabel('Password').fill(password);
		await page.getByRole('button', { name: 'Sign in' }).click();
		// Back where the visitor was going before they were asked to sign in.
		await expect(page).toHaveURL(/\/app\?from=link$/);
		await expect(page.getByTestId('user-email')).toHaveText(email);
	});

	await test.step('a signed-in person who opens the sign-in page goes straight to the app', async () => {
		await openPage(page, '/login');
		await expect(page).toHaveURL(/\/app$/);
	});
});

test('a signed-out visitor of a deep app link is asked to sign in, and sign-up keeps where they were going', async ({
	page
}) => {
	await openPage(page, '/app/some-workspace/whatsapp');
	await expect(page).toHaveURL(/\/login\?next=%2Fapp%2Fsome-workspace%2Fwhatsapp$/);
	await expect(page.getByRole('link', { name: 'Create an account' })).toHaveAttribute(
		'href',
		'/signup?next=%2Fapp%2Fsome-workspace%2Fwhatsapp'
	);
});

test('the demo owner signs in and sees the Acme Support workspace with their role', async ({
	page
}) => {
	await openPage(page, '/login');
	await page.getByLabel('Email').fill('owner@parley.local');
	await page.getByLabel('Password').fill('parley-demo');
	await page.getByRole('button', { name: 'Sign in' }).click();

	// With one workspace sign-in opens it (first-run.e2e.ts); the chooser is still one link away.
	await expect(page).toHaveURL(/\/app/);
	await openPage(page, '/app?choose');
	await expect(page.getByRole('heading', { name: 'Welcome, Olivia Owner' })).toBeVisible();
	const workspace = page.getByRole('link', { name: /Acme Support/ });
	await expect(workspace).toHaveAttribute('href', '/app/acme');
	await expect(workspace).toContainText('Owner');
	await screenshot(page, 'landing-workspaces');
});
