import { z } from 'zod';
import { listenToTopic, type TopicSubscription } from '$lib/realtime/topic-channel.svelte';
import type { SupabasePublicConfig } from '$lib/supabase/config';
import type { ParleyClient } from '$lib/supabase/types';
import {
	CONTACT_COLUMNS,
	cleanContactName,
	contactChangeFailure,
	contactDetailsSchema,
	contactNameRefusal,
	contactNoteRefusal,
	pastConversationSchema,
	type ContactDetails,
	type PastConversation
} from './contact.ts';
import { microsecondsOf } from './timestamps.ts';

/** Where the note stands: as saved, edited and not saved yet, on its way, or refused. */
export type NoteState = 'saved' | 'edited' | 'saving' | 'failed';

/** What the contact panel needs to know to read and change one contact. */
export interface ContactPanelSource {
	supabaseConfig: SupabasePublicConfig;
	/** The browser's client, as the chat has it. */
	client: () => ParleyClient | Promise<ParleyClient>;
	tenantId: string;
	contactId: string;
	/** The conversation on screen: not one of the contact's past conversations. */
	conversationId: string;
}

// A `contacts` broadcast names the contact; a `conversations` one carries the inbox row.
const contactChangeSchema = z.object({ record: contactDetailsSchema });
const conversationChangeSchema = z.object({
	operation: z.enum(['INSERT', 'UPDATE', 'DELETE']),
	record: pastConversationSchema.extend({ contact_id: z.string() }).nullable().optional(),
	old_record: z.object({ id: z.string() }).nullable().optional()
});

/**
 * One contact in the browser: its details and note, its other conversations, kept live on the
 * tenant's topic (a teammate's rename or note, a past conversation's new message). Create it during
 * component setup (it subscribes for the component's lifetime) and call `load()` once mounted.
 */
export class ContactState {
	details: ContactDetails | null = $state(null);
	past: PastConversation[] | null = $state(null);
	/** Why the contact could not be read, when it could not. */
	loadError: string | null = $state(null);
	/** The note as typed here; it follows the saved note while it has no unsaved edits. */
	noteDraft = $state('');
	noteState: NoteState = $state('saved');
	noteError: string | null = $state(null);
	/** A teammate saved the note while this one had unsaved edits: their text, to compare. */
	noteConflict: string | null = $state(null);

	/** The tenant topic the panel hears teammates' changes on. */
	readonly live: TopicSubscription;

	readonly #source: ContactPanelSource;

	constructor(source: ContactPanelSource) {
		this.#source = source;
		this.live = listenToTopic(
			() => source.supabaseConfig,
			() => `tenant:${source.tenantId}`,
			{
				events: {
					contacts: (payload) => {
						const change = contactChangeSchema.safeParse(payload);
						if (change.success && change.data.record.id === source.contactId)
							this.#detailsChanged(change.data.record);
					},
					conversations: (payload) => this.#conversationChanged(payload)
				},
				onResync: () => void this.load()
			}
		);
	}

	/** Reads the contact and its other conversations. */
	async load(): Promise<void> {
		const supabase = await this.#source.client();
		const [contact, past] = await Promise.all([
			supabase
				.from('contacts')
				.select(CONTACT_COLUMNS)
				.eq('id', this.#source.contactId)
				.maybeSingle(),
			supabase.rpc('contact_conversations', {
				contact_id: this.#source.contactId,
				except_id: this.#source.conversationId
			})
		]);
		if (contact.error || past.error || !contact.data) {
			console.error(contact.error ?? past.error);
			this.loadError = 'The contact could not be read. Check your connection and reload the page.';
			return;
		}
		this.loadError = null;
		this.#detailsChanged(contactDetailsSchema.parse(contact.data));
		this.past = pastConversationSchema.array().parse(past.data);
	}

	#detailsChanged(details: ContactDetails): void {
		const noteBefore = this.details?.note ?? '';
		this.details = details;
		const saved = details.note ?? '';
		if (this.noteState === 'saved' || this.noteDraft === saved) {
			this.noteDraft = saved;
			this.noteState = 'saved';
			this.noteConflict = null;
		} else if (saved !== noteBefore) {
			this.noteConflict = saved;
		}
	}

	#conversationChanged(payload: Record<string, unknown>): void {
		const change = conversationChangeSchema.safeParse(payload);
		if (!change.success || !this.past) return;
		const { record, old_record: old } = change.data;
		const id = record?.id ?? old?.id;
		if (!id || id === this.#source.conversationId) return;
		const others = this.past.filter((row) => row.id !== id);
		if (change.data.operation === 'DELETE' || !record) {
			this.past = others;
			return;
		}
		if (record.contact_id !== this.#source.contactId) return;
		this.past = [...others, pastConversationSchema.parse(record)].sort(
			(a, b) => microsecondsOf(b.activity_at) - microsecondsOf(a.activity_at)
		);
	}

	/**
	 * Names the contact for the whole team; returns the sentence to show when it was refused. The
	 * new name reaches the inbox and the chat header on the conversations' broadcast.
	 */
	async rename(name: string): Promise<{ refusal: string } | { name: string }> {
		const refusal = contactNameRefusal(name);
		if (refusal) return { refusal };
		const { data, error } = await (
			await this.#source.client()
		)
			.rpc('rename_contact', { contact_id: this.#source.contactId, name: cleanContactName(name) })
			.select(CONTACT_COLUMNS)
			.single();
		if (error || !data) return { refusal: contactChangeFailure(error, 'name') };
		const details = contactDetailsSchema.parse(data);
		this.#detailsChanged(details);
		return { name: details.profile_name ?? cleanContactName(name) };
	}

	/** The note was typed in. */
	editNote(text: string): void {
		this.noteDraft = text;
		this.noteError = null;
		this.noteState = text === (this.details?.note ?? '') ? 'saved' : 'edited';
	}

	/** Saves the note as typed; on a refusal the text stays here, with the reason. */
	async saveNote(): Promise<void> {
		const text = this.noteDraft;
		const refusal = contactNoteRefusal(text);
		if (refusal) {
			this.noteError = refusal;
			this.noteState = 'failed';
			return;
		}
		this.noteState = 'saving';
		this.noteError = null;
		const { data, error } = await (
			await this.#source.client()
		)
			.rpc('set_contact_note', { contact_id: this.#source.contactId, note: text })
			.select(CONTACT_COLUMNS)
			.single();
		if (error || !data) {
			this.noteError = contactChangeFailure(error, 'note');
			this.noteState = 'failed';
			return;
		}
		this.noteConflict = null;
		// Typed on while it was saving: those edits are still unsaved.
		const typedOn = this.noteDraft !== text;
		this.noteState = 'saved';
		const details = contactDetailsSchema.parse(data);
		if (typedOn) {
			this.details = details;
			this.noteState = 'edited';
		} else this.#detailsChanged(details);
	}
}
