import { z } from 'zod';
import { messageStatuses, type MessageStatus, type TemplateReference } from '$shared/contracts';
import type { ColumnSchemas, Database, ReturnedColumnSchemas, Tables } from '$lib/supabase/types';

export type { MessageStatus };

export const conversationStatuses = ['open', 'closed', 'archived'] as const;
export type ConversationStatus = (typeof conversationStatuses)[number];
export const sentiments = ['positive', 'neutral', 'negative'] as const;
export type Sentiment = (typeof sentiments)[number];

type InboxConversationRow =
	Database['public']['Functions']['inbox_conversations']['Returns'][number];

/** One row of the inbox, as `inbox_conversations` returns it. */
export const inboxConversationSchema = z.object({
	id: z.string(),
	tenant_id: z.string(),
	number_id: z.string(),
	contact_id: z.string(),
	status: z.enum(conversationStatuses),
	ai_active: z.boolean(),
	last_message_preview: z.string().nullable(),
	last_message_at: z.string().nullable(),
	last_message_direction: z.enum(['inbound', 'outbound']).nullable(),
	last_inbound_at: z.string().nullable(),
	unread_count: z.number(),
	sentiment: z.enum(sentiments).nullable(),
	summary: z.string().nullable(),
	insights_at: z.string().nullable(),
	created_at: z.string(),
	activity_at: z.string(),
	contact_name: z.string().nullable(),
	/** Null for a username customer whose phone WhatsApp does not share. */
	contact_wa_id: z.string().nullable(),
	contact_username: z.string().nullable(),
	/** The business-scoped user id (`US.1349…`) when the provider named one. */
	contact_user_id: z.string().nullable(),
	number_name: z.string().nullable(),
	number_address: z.string().nullable(),
	number_provider: z.enum(['twilio', 'meta']).nullable(),
	/** The member the conversation is assigned to, and since when; null when nobody has it. */
	assignee_id: z.string().nullable(),
	assigned_at: z.string().nullable(),
	assignee_name: z.string().nullable(),
	/** When the AI handed the conversation to people, until AI is back on or it is closed. */
	escalated_at: z.string().nullable(),
	/** Who wrote the last message (Parley's own notes aside), and the member's id and name. */
	last_message_sender: z.enum(['customer', 'agent', 'ai']).nullable(),
	last_message_sender_user_id: z.string().nullable(),
	last_message_sender_name: z.string().nullable(),
	/** The workspace labels on it (a database before labels sends none). */
	label_ids: z
		.array(z.string())
		.nullable()
		.default([])
		.transform((ids) => ids ?? []),
	/** When a snoozed conversation comes back; a passed time means it is awake already. */
	snoozed_until: z.string().nullable().default(null)
} satisfies ReturnedColumnSchemas<InboxConversationRow>);
export type InboxConversation = z.infer<typeof inboxConversationSchema>;

/** A message row (the columns the chat reads, `MESSAGE_COLUMNS`). */
export const messageRowSchema = z.object({
	id: z.string(),
	conversation_id: z.string(),
	direction: z.enum(['inbound', 'outbound']),
	sender: z.enum(['customer', 'agent', 'ai', 'system']),
	sender_user_id: z.string().nullable(),
	type: z.string(),
	body: z.string().nullable(),
	// What the chat reads of the media and location objects; their other keys are kept as they are.
	media: z
		.object({
			mime_type: z.string().nullish(),
			filename: z.string().nullish(),
			caption: z.string().nullish(),
			/** Where the file is kept in Storage once copied; absent while it is not (yet). */
			storage_path: z.string().nullish()
		})
		.catchall(z.json())
		.nullable(),
	location: z
		.object({
			latitude: z.number().optional(),
			longitude: z.number().optional(),
			name: z.string().optional(),
			address: z.string().optional()
		})
		.catchall(z.json())
		.nullable(),
	provider_message_id: z.string().nullable(),
	status: z.enum(messageStatuses),
	error_code: z.string().nullable(),
	error_message: z.string().nullable(),
	created_at: z.string()
} satisfies ColumnSchemas<Tables<'messages'>>);

/** A message in the thread: its row, and what only the browser that typed it knows. */
export type ChatMessage = z.infer<typeof messageRowSchema> & {
	/** Only on a message typed here and not yet answered by the server. */
	pending?: boolean;
	/** Set when sending failed before the server stored anything. */
	local_error?: string;
	/** The template a message typed here sends, so a local failure can be sent again as it was. */
	template?: TemplateReference;
};

/** A reaction on a message (`message_reactions`). */
export const messageReactionSchema = z.object({
	id: z.string(),
	message_id: z.string().nullable(),
	target_provider_id: z.string(),
	reactor: z.enum(['customer', 'business']),
	emoji: z.string()
} satisfies ColumnSchemas<Tables<'message_reactions'>>);
export type MessageReaction = z.infer<typeof messageReactionSchema>;

/** A notification row. */
export const inboxNotificationSchema = z.object({
	id: z.string(),
	tenant_id: z.string(),
	kind: z.enum(['new_message', 'escalation', 'credentials', 'assignment', 'mention', 'snooze']),
	conversation_id: z.string().nullable(),
	title: z.string(),
	body: z.string().nullable(),
	read_at: z.string().nullable(),
	created_at: z.string()
} satisfies ColumnSchemas<Tables<'notifications'>>);
export type InboxNotification = z.infer<typeof inboxNotificationSchema>;

/**
 * The inbox's views: assigned to me, to nobody, everything, what the AI handed to people, and
 * what is snoozed (which the others leave out).
 */
export const inboxViews = ['mine', 'unassigned', 'all', 'escalated', 'snoozed'] as const;
export type InboxView = (typeof inboxViews)[number];

/** What the inbox list is narrowed to. */
export interface InboxFilters {
	view: InboxView;
	status: ConversationStatus | null;
	numberId: string | null;
	unreadOnly: boolean;
	sentiment: Sentiment | null;
	search: string;
	/** Only conversations carrying this label. */
	labelId: string | null;
}

/** Where the next page starts: the last row's sort key. */
export interface InboxCursor {
	activityAt: string;
	id: string;
}

/** A page of the inbox with the cursor for the next one (null when this was the last). */
export interface InboxPage {
	conversations: InboxConversation[];
	next: InboxCursor | null;
}

/** What the conversation page loads and ConversationView shows. */
export interface ConversationPageData {
	tenant: { id: string; name: string; slug: string };
	user: { id: string; displayName: string };
	role: 'owner' | 'admin' | 'agent';
	supabaseConfig: { url: string; anonKey: string };
	conversation: InboxConversation;
	thread: { messages: ChatMessage[]; hasOlder: boolean };
	reactions: MessageReaction[];
	memberNames: [string, string][];
	now: number;
}
