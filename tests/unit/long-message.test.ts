import { describe, expect, it } from 'vitest';
import { collapsedMessagePreview } from '$lib/inbox/long-message';

describe('long messages', () => {
	it('shows a body of up to 1,500 characters and 20 lines whole', () => {
		expect(collapsedMessagePreview('Hola')).toBeNull();
		expect(collapsedMessagePreview('a'.repeat(1500))).toBeNull();
		expect(
			collapsedMessagePreview(Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n'))
		).toBeNull();
		// Blank space after the limits hides nothing worth a button.
		expect(collapsedMessagePreview(`${'a'.repeat(1500)}\n\n   `)).toBeNull();
	});

	it('collapses a body over 1,500 characters to its opening, at a word when one is near', () => {
		const words = 'palabra '.repeat(400);
		const preview = collapsedMessagePreview(words)!;
		expect(preview.length).toBeLessThanOrEqual(1500);
		expect(preview.length).toBeGreaterThan(1350);
		expect(preview.endsWith('palabra')).toBe(true);
		expect(words.startsWith(preview)).toBe(true);

		const unbroken = 'x'.repeat(10_000_000);
		expect(collapsedMessagePreview(unbroken)).toBe('x'.repeat(1500));
	});

	it('collapses a body of more than 20 lines to its first 20', () => {
		const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
		expect(collapsedMessagePreview(lines.join('\n'))).toBe(lines.slice(0, 20).join('\n'));
	});

	it('never cuts an emoji in half', () => {
		const body = `${'a'.repeat(1499)}😀${'b'.repeat(100)}`;
		expect(collapsedMessagePreview(body)).toBe('a'.repeat(1499));
	});
});
