import { tick } from 'svelte';
import { z } from 'zod';
import { goto } from '$app/navigation';
import { resolve } from '$app/paths';
import { toast } from '$lib/components/ui/toasts.svelte';
import { contactLabel } from '$lib/inbox/conversations';
import type { CannedResponse } from '$lib/inbox/canned-responses';
import { loadThreadPage, mergeMessage, pendingCopyOf, serviceWindow } from '$lib/inbox/messages';
import {
	conversationNoteSchema,
	loadConversationNotes,
	mergeNote,
	NOTE_COLUMNS,
	threadItems,
	type ConversationNote
} from '$lib/inbox/notes';
import type { TemplateReference } from '$lib/inbox/templates';
import {
	inboxConversationSchema,
	messageReactionSchema,
	messageRowSchema,
	type ChatMessage,
	type ConversationPageData,
	type InboxConversation,
	type MessageReaction
} from '$lib/inbox/types';
import { listenToTopic, type TopicSubscription } from '$lib/realtime/topic-channel.svelte';
import { loadSupabaseBrowserClient } from '$lib/supabase/browser';
import { callFunction } from '$lib/whatsapp/functions';
import type { FunctionErrorBody } from '$lib/whatsapp/types';
import { outboundMediaKind, outboundMediaType } from '$shared/outbound-media';

/** Free text, a template with the words it will read as, or a file with its caption. */
export type Outgoing =
	| { text: string }
	| { template: TemplateReference; preview: string }
	| { file: File; text: string };

/** What the chat adds to the conversation page's data for replies: notes and canned responses. */
export interface ConversationReplies {
	notes: ConversationNote[];
	cannedResponses: CannedResponse[];
}

/** The chat's data: the conversation page's, with notes and canned responses when it loaded them. */
export type ChatPageData = ConversationPageData & Partial<ConversationReplies>;

/** A conversation broadcast's record: the inbox row, or (from an older database) the plain row. */
const conversationChangeSchema = inboxConversationSchema.partial();

/** The id of a broadcast's old_record, if it has one. */
function idOf(record: unknown): string | undefined {
	const parsed = z.object({ id: z.string() }).safeParse(record);
	return parsed.success ? parsed.data.id : undefined;
}

/** How close to the bottom the thread counts as "following" new messages, in pixels. */
const FOLLOW_DISTANCE = 120;

/**
 * One open conversation in the browser: its row, thread, reactions, who else is here and who is
 * typing, kept live on its topics; sending, retrying, reading, paging, status, AI switch, insights
 * and deleting. Create it during component setup (it subscribes for the component's lifetime) and
 * call `start()` once mounted. The page owns this state from the first render on.
 */
export class ConversationState {
	conversation: InboxConversation = $state() as InboxConversation;
	thread: ChatMessage[] = $state([]);
	hasOlder = $state(false);
	reactions: MessageReaction[] = $state([]);
	/** Internal notes, oldest first: shown among the messages, never sent. */
	notes: ConversationNote[] = $state([]);
	/** The workspace's canned responses, for the composer's `/` picker. */
	cannedResponses: CannedResponse[] = $state([]);
	/** The clock "2 minutes ago", the reply window and typing expiry are read against. */
	now = $state(0);
	/** The thread's scrolling element, bound by the view. */
	scroller: HTMLElement | undefined = $state();
	loadingOlder = $state(false);
	updating = $state(false);
	deleting = $state(false);
	generating = $state(false);
	/** Why the insights are what they are (offline analysis), when it needs saying. */
	insightsMessage: string | null = $state(null);
	/** Who else has this conversation open (one entry per person, however many tabs). */
	viewers: { userId: string; name: string }[] = $state([]);
	typists: Record<string, { name: string; until: number }> = $state({});

	readonly contact = $derived(contactLabel(this.conversation));
	readonly replyWindow = $derived(serviceWindow(this.conversation.last_inbound_at, this.now));
	/** Messages and notes in time order: what the thread shows. */
	readonly items = $derived(threadItems(this.thread, this.notes, this.hasOlder));
	readonly typingNames = $derived(
		Object.entries(this.typists)
			.filter(([userId, typist]) => userId !== this.me.id && typist.until > this.now)
			.map(([, typist]) => typist.name)
	);

	/** The conversation topic: what the database sends (messages, reactions). */
	readonly chat: TopicSubscription;
	/** The activity topic: typing and presence, which members send themselves. */
	readonly activity: TopicSubscription;

	readonly #data: ChatPageData;
	#pendingCounter = 0;
	#marking = false;
	#lastTypingSent = 0;
	// The files of messages still on their way, so a send that never reached Parley can be retried
	// (nothing renders from it, so a plain Map is enough).
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- not state: only read by retry
	readonly #pendingFiles = new Map<string, File>();

	constructor(data: ChatPageData) {
		this.#data = data;
		this.conversation = data.conversation;
		this.thread = data.thread.messages;
		this.hasOlder = data.thread.hasOlder;
		this.reactions = data.reactions;
		this.notes = data.notes ?? [];
		this.cannedResponses = data.cannedResponses ?? [];
		this.now = data.now;

		this.chat = listenToTopic(
			() => data.supabaseConfig,
			() => `conversation:${data.conversation.id}`,
			{
				events: {
					messages: (payload) =>
						this.#messageChanged(messageRowSchema.safeParse(payload.record).data),
					conversation_notes: (payload) =>
						this.#noteChanged(
							String(payload.operation),
							conversationNoteSchema.safeParse(payload.record).data,
							idOf(payload.old_record)
						),
					message_reactions: (payload) =>
						this.#reactionChanged(
							String(payload.operation),
							messageReactionSchema.safeParse(payload.record).data,
							idOf(payload.old_record)
						)
				},
				// The thread was read before the topic was joined (or the socket dropped): a message
				// sent in between is read now.
				onJoin: () => void this.#catchUp()
			}
		);

		// Typing and presence go on their own client topic: the conversation topic carries only what
		// the database sends, so nobody can slip a fake message into a teammate's chat.
		this.activity = listenToTopic(
			() => data.supabaseConfig,
			() => `conversation-activity:${data.conversation.id}`,
			{
				events: { typing: (payload) => this.#someoneTyped(payload) },
				presence: {
					key: data.user.id,
					state: () => ({ userId: data.user.id, name: data.user.displayName }),
					onSync: (states) => this.#viewersChanged(states)
				}
			}
		);

		// Status, AI switch, insights and the window change on the conversation row (tenant topic).
		listenToTopic(
			() => data.supabaseConfig,
			() => `tenant:${data.tenant.id}`,
			{
				events: {
					conversations: (payload) =>
						this.#rowChanged(
							String(payload.operation),
							conversationChangeSchema.safeParse(payload.record).data,
							idOf(payload.old_record)
						)
				}
			}
		);
	}

	get me(): ConversationPageData['user'] {
		return this.#data.user;
	}

	/** The browser's client (the template picker reads templates with it). */
	readonly supabase = () => loadSupabaseBrowserClient(this.#data.supabaseConfig);

	#inboxPath() {
		return resolve('/app/[tenant]/whatsapp', { tenant: this.#data.tenant.slug });
	}

	/** Once mounted: the clock runs, the conversation is read, the thread shows its newest message. */
	start(): () => void {
		this.now = Date.now();
		const timer = setInterval(() => (this.now = Date.now()), 30_000);
		void this.markRead();
		void this.scrollToBottom();
		if (!this.#data.notes) void this.#loadNotes();
		return () => clearInterval(timer);
	}

	// A page that did not load the notes (another view of the chat) reads them once mounted.
	async #loadNotes(): Promise<void> {
		try {
			const loaded = await loadConversationNotes(await this.supabase(), this.conversation.id);
			let next = this.notes;
			for (const note of loaded) next = mergeNote(next, note);
			this.notes = next;
		} catch (error) {
			toast.error((error as Error).message + ' Reload the page to see them.');
		}
	}

	reactionsOf(message: ChatMessage): MessageReaction[] {
		return this.reactions.filter(
			(reaction) =>
				reaction.message_id === message.id ||
				(message.provider_message_id !== null &&
					reaction.target_provider_id === message.provider_message_id)
		);
	}

	#nearBottom(): boolean {
		const scroller = this.scroller;
		if (!scroller) return true;
		return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < FOLLOW_DISTANCE;
	}

	async scrollToBottom(): Promise<void> {
		await tick();
		if (this.scroller) this.scroller.scrollTop = this.scroller.scrollHeight;
	}

	/** Opening the conversation reads it: unread back to 0, notifications read, blue ticks on Meta. */
	async markRead(): Promise<void> {
		if (this.#marking) return;
		this.#marking = true;
		try {
			await callFunction(await this.supabase(), 'whatsapp-send/read', 'POST', {
				conversationId: this.conversation.id
			});
		} finally {
			this.#marking = false;
		}
	}

	/** Coming back to a tab with unread messages reads them. */
	visibilityChanged(): void {
		if (document.visibilityState === 'visible' && this.conversation.unread_count > 0)
			void this.markRead();
	}

	async loadOlder(): Promise<void> {
		const oldest = this.thread.find((message) => !message.pending);
		const scroller = this.scroller;
		if (!this.hasOlder || this.loadingOlder || !oldest || !scroller) return;
		this.loadingOlder = true;
		const fromBottom = scroller.scrollHeight - scroller.scrollTop;
		try {
			const page = await loadThreadPage(await this.supabase(), this.conversation.id, oldest);
			let next = this.thread;
			for (const message of page.messages) next = mergeMessage(next, message);
			this.thread = next;
			this.hasOlder = page.hasOlder;
			await tick();
			// Keep the message the person was reading where it was.
			scroller.scrollTop = scroller.scrollHeight - fromBottom;
		} catch (error) {
			toast.error((error as Error).message + ' Scroll up again to retry.');
		} finally {
			this.loadingOlder = false;
		}
	}

	/** Merges the newest page of the thread: what arrived while nobody listened shows up. */
	async #catchUp(): Promise<void> {
		try {
			const page = await loadThreadPage(await this.supabase(), this.conversation.id);
			const follow = this.#nearBottom();
			const before = this.thread;
			let next = before;
			for (const message of page.messages)
				next = mergeMessage(next, message, pendingCopyOf(next, message, this.me.id));
			this.thread = next;
			const arrived = page.messages.filter(
				(message) => !before.some((row) => row.id === message.id)
			);
			if (arrived.length === 0) return;
			if (
				arrived.some((message) => message.direction === 'inbound') &&
				document.visibilityState === 'visible'
			)
				void this.markRead();
			if (follow) void this.scrollToBottom();
		} catch {
			// The next message or a reload brings it; a toast for a background read would be noise.
		}
	}

	#messageChanged(record: ChatMessage | undefined): void {
		if (!record) return;
		const follow = this.#nearBottom();
		this.thread = mergeMessage(this.thread, record, pendingCopyOf(this.thread, record, this.me.id));
		// Their message is what they were typing.
		if (record.sender_user_id) delete this.typists[record.sender_user_id];
		if (record.direction === 'inbound' && document.visibilityState === 'visible')
			void this.markRead();
		if (follow) void this.scrollToBottom();
	}

	#noteChanged(
		operation: string,
		record: ConversationNote | undefined,
		oldId: string | undefined
	): void {
		if (operation === 'DELETE') {
			this.notes = this.notes.filter((note) => note.id !== oldId);
			return;
		}
		if (!record) return;
		const follow = this.#nearBottom();
		this.notes = mergeNote(this.notes, record);
		if (record.author_id) delete this.typists[record.author_id];
		if (follow) void this.scrollToBottom();
	}

	/**
	 * Writes an internal note (never sent to the customer), mentioning `mentionedUserIds`; the
	 * database keeps only mentions of the workspace's members and notifies them. Returns the
	 * sentence to show when it was refused.
	 */
	async addNote(body: string, mentionedUserIds: string[]): Promise<string | undefined> {
		const db = await this.supabase();
		const { data, error } = await db
			.from('conversation_notes')
			.insert({
				tenant_id: this.conversation.tenant_id,
				conversation_id: this.conversation.id,
				body,
				mentioned_user_ids: mentionedUserIds
			})
			.select(NOTE_COLUMNS)
			.single();
		if (error || !data) {
			console.error(error);
			return 'The note could not be saved. Check your connection and add it again.';
		}
		this.notes = mergeNote(this.notes, conversationNoteSchema.parse(data));
		void this.scrollToBottom();
		return undefined;
	}

	/** Deletes one of my notes for everyone. */
	deleteNote = async (note: ConversationNote): Promise<void> => {
		const db = await this.supabase();
		const { data, error } = await db
			.from('conversation_notes')
			.delete()
			.eq('id', note.id)
			.select('id');
		if (error || !data?.length) {
			toast.error('The note could not be deleted. Reload the page and try again.');
			return;
		}
		this.notes = this.notes.filter((row) => row.id !== note.id);
		toast.success('The note is deleted.');
	};

	#reactionChanged(
		operation: string,
		record: MessageReaction | undefined,
		oldId: string | undefined
	): void {
		const id = record?.id ?? oldId;
		this.reactions = this.reactions.filter((reaction) => reaction.id !== id);
		if (record && operation !== 'DELETE') this.reactions = [...this.reactions, record];
	}

	#someoneTyped(payload: Record<string, unknown>): void {
		const userId = String(payload.userId ?? '');
		if (!userId) return;
		this.now = Date.now();
		this.typists[userId] = { name: String(payload.name ?? 'Someone'), until: Date.now() + 4000 };
		// The indicator goes when the typing does: the clock moves just after it expires.
		setTimeout(() => (this.now = Date.now()), 4100);
	}

	#viewersChanged(states: Record<string, unknown>[]): void {
		const seen: Record<string, string> = {};
		for (const state of states) {
			const userId = String(state.userId ?? '');
			if (userId && userId !== this.me.id) seen[userId] = String(state.name ?? 'Someone');
		}
		this.viewers = Object.entries(seen).map(([userId, name]) => ({ userId, name }));
	}

	#rowChanged(
		operation: string,
		record: Partial<InboxConversation> | undefined,
		oldId: string | undefined
	): void {
		if ((record?.id ?? oldId) !== this.conversation.id) return;
		if (operation === 'DELETE') {
			// My own delete already said so and navigates by itself.
			if (this.deleting) return;
			toast.error('Someone deleted this conversation, so it is closed here.');
			void goto(this.#inboxPath());
			return;
		}
		if (record) this.conversation = { ...this.conversation, ...record };
	}

	/** Tells the others this person is typing, at most once every two seconds. */
	typed(): void {
		if (Date.now() - this.#lastTypingSent < 2000) return;
		this.#lastTypingSent = Date.now();
		this.activity.send('typing', { userId: this.me.id, name: this.me.displayName });
	}

	#requestBody(outgoing: Outgoing): Record<string, unknown> | FormData {
		if ('file' in outgoing) {
			const form = new FormData();
			form.set('conversationId', this.conversation.id);
			if (outgoing.text) form.set('text', outgoing.text);
			form.set('file', outgoing.file);
			return form;
		}
		return {
			conversationId: this.conversation.id,
			...('template' in outgoing ? { template: outgoing.template } : { text: outgoing.text })
		};
	}

	/**
	 * Shows the message at once, sends it, and puts the server's row in its place. A template or
	 * file the server refused before storing it comes back as the refusal, for the form to explain;
	 * anything else that failed stays in the thread, ready to retry.
	 */
	async send(outgoing: Outgoing): Promise<FunctionErrorBody | undefined> {
		const id = `pending-${++this.#pendingCounter}`;
		const isTemplate = 'template' in outgoing;
		const file = 'file' in outgoing ? outgoing.file : undefined;
		const caption = 'file' in outgoing ? outgoing.text || null : null;
		const fileType = file ? outboundMediaType(file.type, file.name) : '';
		if (file) this.#pendingFiles.set(id, file);
		const optimistic: ChatMessage = {
			id,
			conversation_id: this.conversation.id,
			direction: 'outbound',
			sender: 'agent',
			sender_user_id: this.me.id,
			type: isTemplate ? 'template' : file ? (outboundMediaKind(fileType) ?? 'document') : 'text',
			body: isTemplate ? outgoing.preview : outgoing.text || null,
			template: isTemplate ? outgoing.template : undefined,
			media: file ? { mime_type: fileType, filename: file.name, caption } : null,
			location: null,
			provider_message_id: null,
			status: 'queued',
			error_code: null,
			error_message: null,
			// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a timestamp, never mutated
			created_at: new Date().toISOString(),
			pending: true
		};
		this.thread = mergeMessage(this.thread, optimistic);
		void this.scrollToBottom();
		const result = await callFunction<ChatMessage>(
			await this.supabase(),
			'whatsapp-send',
			'POST',
			this.#requestBody(outgoing)
		);
		if (result.ok) {
			this.#pendingFiles.delete(id);
			this.thread = mergeMessage(this.thread, result.data, id);
			if (result.data.status === 'failed') {
				toast.error(result.data.error_message ?? 'The message could not be sent.');
			}
			return undefined;
		}
		if ((isTemplate || file) && result.status >= 400 && result.status < 500) {
			this.#pendingFiles.delete(id);
			this.thread = this.thread.filter((message) => message.id !== id);
			return result.error;
		}
		this.thread = this.thread.map((message) =>
			message.id === id
				? { ...message, pending: false, local_error: result.error.message }
				: message
		);
		toast.error(result.error.message);
		return undefined;
	}

	/** The template picker's send: a refusal comes back for the picker to show by its fields. */
	sendTemplate = async (template: TemplateReference, preview: string) => {
		const refused = await this.send({ template, preview });
		if (!refused) return undefined;
		return { message: refused.message, missing: refused.details?.missing };
	};

	/** Sends a failed message again: as new when it never reached Parley, else by its id. */
	retry = async (message: ChatMessage): Promise<void> => {
		if (message.local_error) {
			this.thread = this.thread.filter((row) => row.id !== message.id);
			const file = this.#pendingFiles.get(message.id);
			this.#pendingFiles.delete(message.id);
			const refused = await this.send(
				message.template
					? { template: message.template, preview: message.body ?? '' }
					: file
						? { file, text: message.body ?? '' }
						: { text: message.body ?? '' }
			);
			if (refused) toast.error(refused.message);
			return;
		}
		this.thread = this.thread.map((row) =>
			row.id === message.id ? { ...row, status: 'queued' } : row
		);
		const result = await callFunction<ChatMessage>(await this.supabase(), 'whatsapp-send', 'POST', {
			messageId: message.id
		});
		if (result.ok) {
			this.thread = mergeMessage(this.thread, result.data);
			if (result.data.status === 'failed')
				toast.error(result.data.error_message ?? 'The message could not be sent again.');
		} else {
			this.thread = this.thread.map((row) =>
				row.id === message.id ? { ...row, status: 'failed' } : row
			);
			toast.error(result.error.message);
		}
	};

	/** Changes the status or the AI switch and says so in `done`. */
	async update(
		change: Partial<Pick<InboxConversation, 'status' | 'ai_active'>>,
		done: string
	): Promise<void> {
		this.updating = true;
		try {
			const db = await this.supabase();
			const { data: row, error } = await db
				.from('conversations')
				.update(change)
				.eq('id', this.conversation.id)
				.select('id')
				.maybeSingle();
			if (error || !row) {
				toast.error('The conversation could not be changed. Reload the page and try again.');
				return;
			}
			// The row came back, so the change is stored as asked.
			this.conversation = { ...this.conversation, ...change };
			toast.success(done);
		} finally {
			this.updating = false;
		}
	}

	/** Deletes the conversation for everyone and goes back to the inbox; `deleted` runs first. */
	async remove(deleted: () => void): Promise<void> {
		this.deleting = true;
		try {
			const db = await this.supabase();
			const { data: rows, error } = await db
				.from('conversations')
				.delete()
				.eq('id', this.conversation.id)
				.select('id');
			if (error) {
				// The database explains a refusal in a sentence (only owners and admins may delete).
				toast.error(error.message);
				return;
			}
			if (!rows?.length) {
				toast.error(
					'This conversation could not be deleted; it may already be gone. Reload the page.'
				);
				return;
			}
			deleted();
			toast.success(`The conversation with ${this.contact} is deleted.`);
			await goto(this.#inboxPath());
		} finally {
			this.deleting = false;
		}
	}

	// Sentiment and summary from generate-insights; its stored result reaches everyone else live
	// through the conversation's row.
	async generateInsights(): Promise<void> {
		this.generating = true;
		this.insightsMessage = null;
		try {
			const db = await this.supabase();
			const result = await callFunction<{
				sentiment: InboxConversation['sentiment'];
				summary: string | null;
				source: 'ai' | 'offline' | null;
				insightsAt: string | null;
				notice?: string;
			}>(db, 'generate-insights', 'POST', { conversationId: this.conversation.id });
			if (!result.ok) {
				toast.error(result.error.message);
				return;
			}
			this.conversation = {
				...this.conversation,
				sentiment: result.data.sentiment,
				summary: result.data.summary,
				insights_at: result.data.insightsAt
			};
			this.insightsMessage =
				result.data.notice ??
				(result.data.source === 'offline'
					? 'No AI is configured, so this is an offline analysis: sentiment from a word list and a summary made of the messages themselves.'
					: null);
		} finally {
			this.generating = false;
		}
	}
}
