import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/** WCAG 2.1 A/AA violations on the page as axe finds them: the rule, where, and what it wants. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
	const { violations } = await new AxeBuilder({ page })
		.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
		.analyze();
	return violations.map((v) => `${v.id}: ${v.nodes[0]?.target.join(' ')} — ${v.help}`);
}
