/**
 * `text` with `insert` put in place of the selection `start`..`end` (the caret when they are
 * equal), and where the caret goes after it. Positions past the end are taken as the end.
 */
export function insertAtCaret(
	text: string,
	start: number,
	end: number,
	insert: string
): { text: string; caret: number } {
	const from = Math.min(Math.max(start, 0), text.length);
	const to = Math.min(Math.max(end, from), text.length);
	return { text: text.slice(0, from) + insert + text.slice(to), caret: from + insert.length };
}
