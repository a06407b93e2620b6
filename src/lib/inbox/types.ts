import type { MessageStatus } from '$shared/message-status';
import type { TemplateReference } from './templates.ts';

/** One row of the inbox, as `inbox_conversations` returns it. */
export interface InboxConversation {
	id: string;
	tenant_id: string;
	number_id: string;
	contact_id: string;
	status: ConversationStatus;
	ai_active: boolean;
	last_message_preview: string | null;
	last_message_at: string | null;
	last_message_direction: 'inbound' | 'outbound' | null;
	last_inbound_at: string | null;
	unread_count: number;
	sentiment: Sentiment | null;
	summary: string | null;
	insights_at: string | null;
	created_at: string;
	activity_at: string;
	contact_name: string | null;
	/** Null for a username customer whose phone WhatsApp does not share. */
	contact_wa_id: string | null;
	contact_username: string | null;
	/** The business-scoped user id (`US.1349…`) when the provider named one. */
	contact_user_id: string | null;
	number_name: string | null;
	number_address: string | null;
	number_provider: 'twilio' | 'meta' | null;
}

export type ConversationStatus = 'open' | 'closed' | 'archived';
export type Sentiment = 'positive' | 'neutral' | 'negative';
export type { MessageStatus };

/** A message row (the columns the chat shows). */
export interface ChatMessage {
	id: string;
	conversation_id: string;
	direction: 'inbound' | 'outbound';
	sender: 'customer' | 'agent' | 'ai' | 'system';
	sender_user_id: string | null;
	type: string;
	body: string | null;
	media: { mime_type?: string | null; filename?: string | null; caption?: string | null } | null;
	location: { latitude?: number; longitude?: number; name?: string; address?: string } | null;
	provider_message_id: string | null;
	status: MessageStatus;
	error_code: string | null;
	error_message: string | null;
	created_at: string;
	/** Only on a message typed here and not yet answered by the server. */
	pending?: boolean;
	/** Set when sending failed before the server stored anything. */
	local_error?: string;
	/** The template a message typed here sends, so a local failure can be sent again as it was. */
	template?: TemplateReference;
}

/** A reaction on a message. */
export interface MessageReaction {
	id: string;
	message_id: string | null;
	target_provider_id: string;
	reactor: 'customer' | 'business';
	emoji: string;
}

/** A notification row. */
export interface InboxNotification {
	id: string;
	tenant_id: string;
	kind: 'new_message' | 'escalation' | 'credentials';
	conversation_id: string | null;
	title: string;
	body: string | null;
	read_at: string | null;
	created_at: string;
}

/** What the inbox list is narrowed to. */
export interface InboxFilters {
	status: ConversationStatus | null;
	numberId: string | null;
	unreadOnly: boolean;
	sentiment: Sentiment | null;
	search: string;
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
