/**
 * What `/` does in a chat: focus the reply box and type a `/` into an empty one, which opens the
 * composer's canned-response search exactly as typing it would. Words already written are kept
 * (only focus moves). With the Note mode on, the note box is focused instead. Returns false when
 * there is no box to write in (the reply window is closed: only templates can go out).
 */
export function startReply(chat: ParentNode): boolean {
	const reply = chat.querySelector<HTMLTextAreaElement>('textarea#composer');
	if (!reply || reply.disabled) {
		const note = chat.querySelector<HTMLTextAreaElement>('textarea#note-composer');
		note?.focus();
		return note !== null;
	}
	reply.focus();
	if (reply.value === '') {
		reply.value = '/';
		reply.setSelectionRange(1, 1);
		// The composer's binding and its `/` search both listen for input, as for a typed key.
		reply.dispatchEvent(
			new InputEvent('input', { bubbles: true, data: '/', inputType: 'insertText' })
		);
	}
	return true;
}
