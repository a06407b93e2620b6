import { describe, expect, it } from 'vitest';
import { insertAtCaret } from '../../src/lib/inbox/caret.ts';

describe('insertAtCaret', () => {
	it('puts an emoji at the caret and moves the caret past it', () => {
		expect(insertAtCaret('Thanks for waiting', 6, 6, ' 🙏')).toEqual({
			text: 'Thanks 🙏 for waiting',
			caret: 9
		});
	});

	it('replaces the selected words', () => {
		expect(insertAtCaret('I love it', 2, 6, '❤️')).toEqual({ text: 'I ❤️ it', caret: 4 });
	});

	it('adds to an empty box and to the end of one', () => {
		expect(insertAtCaret('', 0, 0, '👍')).toEqual({ text: '👍', caret: 2 });
		expect(insertAtCaret('Done', 4, 4, '✅')).toEqual({ text: 'Done✅', caret: 5 });
	});

	it('takes positions out of range as the nearest end', () => {
		expect(insertAtCaret('Hi', 10, 12, '!')).toEqual({ text: 'Hi!', caret: 3 });
		expect(insertAtCaret('Hi', -3, 1, '¡')).toEqual({ text: '¡i', caret: 1 });
	});
});
