/** A body longer than either limit is shown collapsed to its opening until the reader asks for more. */
export const COLLAPSED_MESSAGE_LIMITS = { characters: 1500, lines: 20 } as const;

/**
 * The opening of a long message body as it is shown collapsed (at most the first 20 lines and
 * 1,500 characters, cut at a word where one is near), or null when the body is short enough to
 * show whole. Only the opening is rendered, so a huge body costs the page nothing until opened.
 */
export function collapsedMessagePreview(
	body: string,
	limits: { characters: number; lines: number } = COLLAPSED_MESSAGE_LIMITS
): string | null {
	let end = Math.min(body.length, limits.characters);
	let cutAtLine = false;
	let lineBreaks = 0;
	for (let index = 0; index < end; index++) {
		if (body[index] === '\n' && ++lineBreaks === limits.lines) {
			end = index;
			cutAtLine = true;
			break;
		}
	}
	// Nothing but blank space after the cut: show the body whole.
	const visible = /\S/g;
	visible.lastIndex = end;
	if (!visible.test(body)) return null;
	if (!cutAtLine) {
		// Cut at the last space in the final tenth, so a word is not split when it need not be.
		const space = body.lastIndexOf(' ', end);
		if (space > end * 0.9) end = space;
		// Never leave half of a surrogate pair (an emoji) at the cut.
		else if (/[\uD800-\uDBFF]/.test(body[end - 1] ?? '')) end -= 1;
	}
	return body.slice(0, end).trimEnd();
}
