import { expect, type Browser, type Page } from '@playwright/test';
import { accessibilityViolations } from './axe.ts';
import { signIn } from './workspace.ts';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Where journeys leave their screenshots, to be looked at after a run. */
export const SCREENS_DIR = process.env.PARLEY_SCREENS_DIR ?? 'test-results/screens';

/**
 * A journey's check of one state at desktop and phone widths: axe finds nothing at either, and a
 * screenshot of each is kept as `<journey>-<state>-{desktop,phone}.png`.
 */
export function screensOf(journey: string, desktop = DESKTOP) {
	return async (page: Page, state: string) => {
		expect(await accessibilityViolations(page), `${state} on a desktop`).toEqual([]);
		await page.screenshot({
			path: `${SCREENS_DIR}/${journey}-${state}-desktop.png`,
			fullPage: true
		});
		await page.setViewportSize(PHONE);
		expect(await accessibilityViolations(page), `${state} on a phone`).toEqual([]);
		await page.screenshot({ path: `${SCREENS_DIR}/${journey}-${state}-phone.png`, fullPage: true });
		await page.setViewportSize(desktop);
	};
}

/** A second person in a browser of their own, signed in, at desktop width. */
export async function newSignedInPage(browser: Browser, email: string): Promise<Page> {
	const context = await browser.newContext({ viewport: DESKTOP });
	const page = await context.newPage();
	await signIn(page, email);
	return page;
}

/** The inbox's view tab called `name` (Mine, Unassigned, All, …). */
export const viewTab = (page: Page, name: string) =>
	page.getByRole('tablist', { name: 'Conversation views' }).getByRole('tab', { name });
/** The count on a view's tab. */
export const viewCount = (page: Page, view: string) =>
	page.getByTestId(`view-tab-${view}`).getByTestId('view-count');
/** The inbox row of the conversation with `name`. */
export const inboxRow = (page: Page, name: string) =>
	page.getByTestId('conversation-row').filter({ hasText: name });
