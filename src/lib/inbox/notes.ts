import { z } from 'zod';
import type { ColumnSchemas, ParleyClient, Tables } from '$lib/supabase/types';
import type { ChatMessage } from './types.ts';
import { microsecondsOf } from './timestamps.ts';

/** An internal note: teammates' words in the thread, never sent to the customer. */
export const conversationNoteSchema = z.object({
	id: z.string(),
	conversation_id: z.string(),
	author_id: z.string().nullable(),
	body: z.string(),
	mentioned_user_ids: z.array(z.string()),
	created_at: z.string()
} satisfies ColumnSchemas<Tables<'conversation_notes'>>);
export type ConversationNote = z.infer<typeof conversationNoteSchema>;

/** The columns the chat reads. */
export const NOTE_COLUMNS = 'id, conversation_id, author_id, body, mentioned_user_ids, created_at';

/** How many of a conversation's newest notes the chat loads. */
export const NOTES_LOADED = 200;

/** A conversation's newest notes, oldest first. */
export async function loadConversationNotes(
	supabase: ParleyClient,
	conversationId: string
): Promise<ConversationNote[]> {
	const { data, error } = await supabase
		.from('conversation_notes')
		.select(NOTE_COLUMNS)
		.eq('conversation_id', conversationId)
		.order('created_at', { ascending: false })
		.limit(NOTES_LOADED);
	if (error) throw new Error(`The notes could not be loaded: ${error.message}`);
	return z
		.array(conversationNoteSchema)
		.parse(data ?? [])
		.reverse();
}

/** One row of the thread: a message or a note. */
export type ThreadItem =
	| { kind: 'message'; key: string; at: string; message: ChatMessage }
	| { kind: 'note'; key: string; at: string; note: ConversationNote };

/**
 * Messages and notes in time order. While older messages are still to load, notes older than the
 * oldest message shown wait with them, so a note never sits above messages it came after.
 */
export function threadItems(
	messages: readonly ChatMessage[],
	notes: readonly ConversationNote[],
	hasOlder: boolean
): ThreadItem[] {
	const oldest = messages.find((message) => !message.pending)?.created_at;
	const shownNotes =
		hasOlder && oldest
			? notes.filter((note) => microsecondsOf(note.created_at) >= microsecondsOf(oldest))
			: notes;
	const items: ThreadItem[] = [
		...messages.map((message) => ({
			kind: 'message' as const,
			key: `message-${message.id}`,
			at: message.created_at,
			message
		})),
		...shownNotes.map((note) => ({
			kind: 'note' as const,
			key: `note-${note.id}`,
			at: note.created_at,
			note
		}))
	];
	// A stable sort: messages keep their own order among themselves.
	return items.sort((a, b) => microsecondsOf(a.at) - microsecondsOf(b.at));
}

/** Adds or replaces a note, oldest first. */
export function mergeNote(
	notes: readonly ConversationNote[],
	note: ConversationNote
): ConversationNote[] {
	return [...notes.filter((row) => row.id !== note.id), note].sort(
		(a, b) => microsecondsOf(a.created_at) - microsecondsOf(b.created_at) || (a.id < b.id ? -1 : 1)
	);
}

/** A member a note can mention. */
export interface Mentionable {
	userId: string;
	name: string;
}

/** The members whose `@Name` the text still holds (a mention deleted from the text is dropped). */
export function mentionedIn(text: string, picked: readonly Mentionable[]): string[] {
	const ids = new Set<string>();
	for (const member of picked) if (text.includes(`@${member.name}`)) ids.add(member.userId);
	return [...ids];
}

/** The `@query` being typed at the caret (after a space or at the start), or null. */
export function mentionQueryAt(
	text: string,
	caret: number
): { start: number; query: string } | null {
	const match = /(^|\s)@([^\s@]*)$/.exec(text.slice(0, caret));
	if (!match) return null;
	return { start: caret - match[2].length - 1, query: match[2] };
}

/** Members whose name starts a word with the query, by name. */
export function searchMembers(members: readonly Mentionable[], query: string): Mentionable[] {
	const wanted = query.toLowerCase();
	return members
		.filter((member) =>
			member.name
				.toLowerCase()
				.split(/\s+/)
				.some((word) => word.startsWith(wanted))
		)
		.sort((a, b) => a.name.localeCompare(b.name));
}
