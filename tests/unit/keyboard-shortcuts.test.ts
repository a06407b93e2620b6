import { describe, expect, it } from 'vitest';
import {
	SHORTCUT_GROUPS,
	isTypingTarget,
	shortcutMayAct,
	steppedRow,
	type FocusedElement,
	type KeyPress
} from '../../src/lib/keyboard/shortcuts.ts';

const element = (tagName: string, more: Partial<FocusedElement> = {}): FocusedElement => ({
	tagName,
	...more
});
const withRole = (tagName: string, role: string): FocusedElement =>
	element(tagName, { getAttribute: (name) => (name === 'role' ? role : null) });

const press = (key: string, more: Partial<KeyPress> = {}): KeyPress => ({
	key,
	ctrlKey: false,
	metaKey: false,
	altKey: false,
	target: element('BODY'),
	...more
});

describe('isTypingTarget', () => {
	it.each([
		['a textarea', element('TEXTAREA')],
		['a select', element('SELECT')],
		['a text input', element('INPUT', { type: 'text' })],
		['a search input', element('INPUT', { type: 'search' })],
		['an input with no type', element('INPUT')],
		['an email input', element('INPUT', { type: 'email' })],
		['a contenteditable element', element('DIV', { isContentEditable: true })],
		['a custom textbox', withRole('DIV', 'textbox')],
		['a custom combobox', withRole('DIV', 'combobox')]
	])('%s takes typed keys', (_, target) => {
		expect(isTypingTarget(target)).toBe(true);
	});

	it.each([
		['the page', element('BODY')],
		['a link', element('A')],
		['a button', element('BUTTON')],
		['a checkbox', element('INPUT', { type: 'checkbox' })],
		['a radio button', element('INPUT', { type: 'radio' })],
		['a submit input', element('INPUT', { type: 'submit' })],
		['a focusable thread', withRole('DIV', 'log')],
		['nothing', null],
		['the window', {} as EventTarget]
	])('%s does not', (_, target) => {
		expect(isTypingTarget(target)).toBe(false);
	});
});

describe('shortcutMayAct', () => {
	it('acts on a plain key with focus on the page, a link or a button', () => {
		expect(shortcutMayAct(press('e'), false)).toBe(true);
		expect(shortcutMayAct(press('j', { target: element('A') }), false)).toBe(true);
		expect(shortcutMayAct(press('a', { target: element('BUTTON') }), false)).toBe(true);
	});

	it('acts on a key typed with Shift (the ? of most keyboards)', () => {
		expect(shortcutMayAct(press('?'), false)).toBe(true);
	});

	it('never acts while typing in an input, textarea, select or contenteditable', () => {
		for (const target of [
			element('INPUT', { type: 'text' }),
			element('TEXTAREA'),
			element('SELECT'),
			element('P', { isContentEditable: true })
		]) {
			expect(shortcutMayAct(press('e', { target }), false)).toBe(false);
		}
	});

	it('never acts with Ctrl, Meta or Alt held', () => {
		expect(shortcutMayAct(press('e', { ctrlKey: true }), false)).toBe(false);
		expect(shortcutMayAct(press('e', { metaKey: true }), false)).toBe(false);
		expect(shortcutMayAct(press('e', { altKey: true }), false)).toBe(false);
	});

	it('never acts while a dialog is open', () => {
		expect(shortcutMayAct(press('?'), true)).toBe(false);
		expect(shortcutMayAct(press('j'), true)).toBe(false);
	});

	it('leaves an input method composing, or a key something else took, alone', () => {
		expect(shortcutMayAct(press('e', { isComposing: true }), false)).toBe(false);
		expect(shortcutMayAct(press('e', { defaultPrevented: true }), false)).toBe(false);
	});
});

describe('steppedRow', () => {
	it('moves one row down or up', () => {
		expect(steppedRow(2, 5, 1)).toBe(3);
		expect(steppedRow(2, 5, -1)).toBe(1);
	});

	it('stops at the first and last rows rather than wrapping', () => {
		expect(steppedRow(4, 5, 1)).toBe(4);
		expect(steppedRow(0, 5, -1)).toBe(0);
	});

	it('starts at the first row when none is chosen or the chosen one is gone', () => {
		expect(steppedRow(-1, 5, 1)).toBe(0);
		expect(steppedRow(-1, 5, -1)).toBe(0);
		expect(steppedRow(7, 5, 1)).toBe(0);
	});

	it('has nowhere to go in an empty list', () => {
		expect(steppedRow(-1, 0, 1)).toBe(-1);
	});
});

describe('the shortcuts sheet', () => {
	it('lists every key the inbox answers to', () => {
		const keys = SHORTCUT_GROUPS.flatMap((group) => group.shortcuts.flatMap((s) => s.keys));
		expect(keys).toEqual(
			expect.arrayContaining(['j', 'k', '↓', '↑', 'Enter', 'e', 'a', '/', '?', 'Esc'])
		);
	});
});
