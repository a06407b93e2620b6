import { shortcutMayAct } from './shortcuts.ts';

/** What a shortcut does; returning `false` leaves the key to the page (its default is kept). */
export type ShortcutAction = (event: KeyboardEvent) => boolean | void;

/** Whether a dialog is on screen: a native one open, or a `role="dialog"` popup that is shown. */
export function dialogIsOpen(doc: Document): boolean {
	if (doc.querySelector('dialog[open]')) return true;
	for (const element of doc.querySelectorAll('[role="dialog"], [role="alertdialog"]')) {
		if (element.getClientRects().length > 0) return true;
	}
	return false;
}

/**
 * Runs `actions()[event.key]` for each key press on the document that may act as a shortcut (see
 * `shortcutMayAct`), for as long as the calling component lives. Call it during component setup;
 * `actions` is read at each press, so it may depend on state.
 */
export function onShortcuts(actions: () => Partial<Record<string, ShortcutAction>>): void {
	$effect(() => {
		const listener = (event: KeyboardEvent) => {
			const action = actions()[event.key];
			if (!action || !shortcutMayAct(event, dialogIsOpen(document))) return;
			if (action(event) !== false) event.preventDefault();
		};
		document.addEventListener('keydown', listener);
		return () => document.removeEventListener('keydown', listener);
	});
}
