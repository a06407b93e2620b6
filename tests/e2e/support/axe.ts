import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/**
 * WCAG 2.1 A/AA violations on the page as axe finds them: the rule, where, and what it wants.
 * Read once the page is settled, as a person would see it: a list being reloaded is dimmed
 * (`aria-busy`) and its fade back takes a moment, and axe measures contrast mid-fade.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
	await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
	// Transitions and one-off animations end; a spinner's never does.
	await page.waitForFunction(() =>
		document
			.getAnimations()
			.every(
				(animation) =>
					animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity
			)
	);
	const { violations } = await new AxeBuilder({ page })
		.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
		.analyze();
	return violations.map((v) => `${v.id}: ${v.nodes[0]?.target.join(' ')} — ${v.help}`);
}
