import { z } from 'zod';
import type { ColumnSchemas, ReturnedColumnSchemas, Database, Tables } from '$lib/supabase/types';
import { conversationStatuses } from './types.ts';

// The customer in view: what the contact panel reads of a contact and of its other conversations,
// and the refusals the browser says before asking the database (which says the same).

/** The longest name a person may give a contact (the database refuses longer). */
export const CONTACT_NAME_MAX = 100;
/** The longest contact note (the database refuses longer). */
export const CONTACT_NOTE_MAX = 5000;

/** The contact columns the panel reads. */
export const CONTACT_COLUMNS =
	'id, tenant_id, profile_name, whatsapp_name, renamed_at, note, note_updated_at, note_updated_by';

/** A contact as the panel shows it: the team's name and WhatsApp's, and the team's note. */
export const contactDetailsSchema = z.object({
	id: z.string(),
	tenant_id: z.string(),
	profile_name: z.string().nullable(),
	whatsapp_name: z.string().nullable(),
	renamed_at: z.string().nullable(),
	note: z.string().nullable(),
	note_updated_at: z.string().nullable(),
	note_updated_by: z.string().nullable()
} satisfies ColumnSchemas<Tables<'contacts'>>);
export type ContactDetails = z.infer<typeof contactDetailsSchema>;

type PastConversationRow =
	Database['public']['Functions']['contact_conversations']['Returns'][number];

/** One of the contact's other conversations, as `contact_conversations` returns it. */
export const pastConversationSchema = z.object({
	id: z.string(),
	status: z.enum(conversationStatuses),
	number_name: z.string().nullable(),
	number_address: z.string().nullable(),
	last_message_preview: z.string().nullable(),
	last_message_direction: z.enum(['inbound', 'outbound']).nullable(),
	activity_at: z.string()
} satisfies ReturnedColumnSchemas<PastConversationRow>);
export type PastConversation = z.infer<typeof pastConversationSchema>;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A name as the database will store it: trimmed, runs of spaces and line breaks made one space. */
export function cleanContactName(name: string): string {
	return name.replace(/\s+/g, ' ').trim();
}

/** Why this name cannot be the contact's, in a sentence; undefined when it can. */
export function contactNameRefusal(name: string): string | undefined {
	if (name.includes('\u0000'))
		return 'A name cannot hold a NUL character (often pasted from another program); type it again.';
	const cleaned = cleanContactName(name);
	if (cleaned === '') return 'Type a name for this contact.';
	if ([...cleaned].length > CONTACT_NAME_MAX)
		return `A contact's name is at most ${CONTACT_NAME_MAX} characters; this one has ${[...cleaned].length}.`;
	if (CONTROL.test(cleaned)) return "A contact's name cannot hold control characters.";
	return undefined;
}

/** Why this note cannot be saved, in a sentence; undefined when it can (blank clears it). */
export function contactNoteRefusal(note: string): string | undefined {
	if (note.includes('\u0000'))
		return 'A note cannot hold a NUL character (often pasted from another program); remove it and save again.';
	const length = [...note.trim()].length;
	if (length > CONTACT_NOTE_MAX)
		return `A contact note is at most ${CONTACT_NOTE_MAX.toLocaleString('en-US')} characters; this one has ${length.toLocaleString('en-US')}. Shorten it and save again.`;
	return undefined;
}

/** What a failed rename or note save tells the person: the database's sentence, or what to do. */
export function contactChangeFailure(
	error: { code?: string; message?: string } | null,
	what: 'name' | 'note'
): string {
	// The database's own refusals (bad input, not found, signed out) are sentences already.
	if (error?.code && ['22023', 'PT404', '42501'].includes(error.code) && error.message)
		return error.message;
	if (error?.code === '22P05')
		return `The ${what} holds a character that cannot be stored (a NUL); remove it and save again.`;
	return what === 'name'
		? 'The name could not be saved. Check your connection and try again.'
		: 'The note could not be saved. Check your connection and save again; your text is kept here.';
}
