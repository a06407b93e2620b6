/**
 * The inbox's keyboard shortcuts: which keys there are (the `?` sheet lists them) and the rules for
 * whether a key press may act. Pure, so the rules are tested without a browser; `listen.svelte.ts`
 * applies them to the document's key presses.
 */

/** Where focus is when a key is pressed: what the rules read of the focused element. */
export interface FocusedElement {
	tagName: string;
	isContentEditable?: boolean;
	/** An input's type ("text", "checkbox", …). */
	type?: string;
	getAttribute?(name: string): string | null;
}

/** A key press as the rules read it (a KeyboardEvent has all of this). */
export interface KeyPress {
	key: string;
	ctrlKey: boolean;
	metaKey: boolean;
	altKey: boolean;
	/** An input method is composing a character (Japanese, Chinese…): the key is part of it. */
	isComposing?: boolean;
	/** Something else (a menu, the composer's picker) already took the key. */
	defaultPrevented?: boolean;
	target: FocusedElement | EventTarget | null;
}

/** Input types where a key does not write text: shortcuts still act on them. */
const NON_TEXT_INPUTS = new Set([
	'button',
	'checkbox',
	'color',
	'file',
	'image',
	'radio',
	'range',
	'reset',
	'submit'
]);

/** Roles of elements that take typed text without being an input. */
const TEXT_ROLES = new Set(['textbox', 'searchbox', 'combobox', 'spinbutton']);

function isFocusedElement(target: unknown): target is FocusedElement {
	return (
		typeof target === 'object' &&
		target !== null &&
		typeof (target as { tagName?: unknown }).tagName === 'string'
	);
}

/** Whether keys pressed with focus here write text (or pick an option) rather than command the page. */
export function isTypingTarget(target: KeyPress['target']): boolean {
	if (!isFocusedElement(target)) return false;
	if (target.isContentEditable) return true;
	const tag = target.tagName.toUpperCase();
	if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
	if (tag === 'INPUT') return !NON_TEXT_INPUTS.has((target.type ?? 'text').toLowerCase());
	const role = target.getAttribute?.('role');
	return role !== null && role !== undefined && TEXT_ROLES.has(role);
}

/**
 * Whether a key press may act as a shortcut: never while typing, with Ctrl, Meta or Alt (the
 * browser's and the system's own shortcuts), during an input method's composition, when something
 * already handled it, or while a dialog is open (its own keys and Escape belong to it).
 */
export function shortcutMayAct(press: KeyPress, dialogOpen: boolean): boolean {
	if (press.ctrlKey || press.metaKey || press.altKey) return false;
	if (press.isComposing || press.defaultPrevented) return false;
	if (dialogOpen) return false;
	return !isTypingTarget(press.target);
}

/**
 * The row a list's `j`/`k` (or arrow) moves to: one step from `from`, stopping at either end. With
 * no row chosen yet (`from` −1 or gone), either direction starts at the first row; an empty list
 * has none (−1).
 */
export function steppedRow(from: number, count: number, step: 1 | -1): number {
	if (count <= 0) return -1;
	if (from < 0 || from >= count) return 0;
	return Math.min(count - 1, Math.max(0, from + step));
}

/** One shortcut as the sheet shows it: the keys (any of them works) and what they do. */
export interface Shortcut {
	keys: string[];
	does: string;
}

/** Every shortcut, grouped by where it works; the `?` sheet lists exactly these. */
export const SHORTCUT_GROUPS: { title: string; shortcuts: Shortcut[] }[] = [
	{
		title: 'Conversation list',
		shortcuts: [
			{ keys: ['j', '↓'], does: 'Next conversation' },
			{ keys: ['k', '↑'], does: 'Previous conversation' },
			{ keys: ['Enter'], does: 'Open the conversation' }
		]
	},
	{
		title: 'In a chat',
		shortcuts: [
			{ keys: ['e'], does: 'Close the conversation' },
			{ keys: ['a'], does: 'Choose who has it (assignee)' },
			{ keys: ['/'], does: 'Write a reply and search canned responses' }
		]
	},
	{
		title: 'Anywhere in the inbox',
		shortcuts: [
			{ keys: ['?'], does: 'Show these shortcuts' },
			{ keys: ['Esc'], does: 'Close this list' }
		]
	}
];
