import { z } from 'zod';
import { messageStatusAdvances, serviceWindow, type ServiceWindow } from '$shared/contracts';
import type { ParleyClient } from '$lib/supabase/types';
import {
	messageReactionSchema,
	messageRowSchema,
	type ChatMessage,
	type MessageReaction
} from './types.ts';
import { microsecondsOf } from './timestamps.ts';

export { serviceWindow, type ServiceWindow };

const messageRows = z.array(messageRowSchema);
const reactionRows = z.array(messageReactionSchema);

/** Messages per page of the thread. */
export const THREAD_PAGE_SIZE = 30;

/** The columns the chat reads. */
export const MESSAGE_COLUMNS =
	'id, conversation_id, direction, sender, sender_user_id, type, body, media, location, provider_message_id, status, error_code, error_message, created_at';

/**
 * Oldest first; at the same instant Parley's own notes come after the messages they explain (the
 * AI's hand-over and its note are written together), then ties by id: the order of the thread.
 */
export function compareMessages(
	a: Pick<ChatMessage, 'created_at' | 'sender' | 'id'>,
	b: Pick<ChatMessage, 'created_at' | 'sender' | 'id'>
): number {
	const byTime = microsecondsOf(a.created_at) - microsecondsOf(b.created_at);
	if (byTime !== 0) return byTime;
	const bySystem = Number(a.sender === 'system') - Number(b.sender === 'system');
	if (bySystem !== 0) return bySystem;
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Loads the newest messages of a conversation, or those before `before` (scrolling up): keyset on
 * (created_at, id), so messages arriving meanwhile never shift a page. Returns them oldest first.
 */
export async function loadThreadPage(
	supabase: ParleyClient,
	conversationId: string,
	before: { created_at: string; id: string } | null = null
): Promise<{ messages: ChatMessage[]; hasOlder: boolean }> {
	let query = supabase
		.from('messages')
		.select(MESSAGE_COLUMNS)
		.eq('conversation_id', conversationId)
		.order('created_at', { ascending: false })
		.order('id', { ascending: false })
		.limit(THREAD_PAGE_SIZE);
	if (before) {
		query = query.or(
			`created_at.lt.${before.created_at},and(created_at.eq.${before.created_at},id.lt.${before.id})`
		);
	}
	const { data, error } = await query;
	if (error) throw new Error(`The messages could not be loaded: ${error.message}`);
	const rows: ChatMessage[] = messageRows.parse(data ?? []);
	// The keyset breaks ties by id, which is random: the thread's own order puts a note written at
	// the same instant after the message it explains.
	return {
		messages: rows.reverse().sort(compareMessages),
		hasOlder: rows.length === THREAD_PAGE_SIZE
	};
}

/** The reactions on a conversation's messages; a failed read shows none rather than no thread. */
export async function loadMessageReactions(
	supabase: ParleyClient,
	conversationId: string
): Promise<MessageReaction[]> {
	const { data, error } = await supabase
		.from('message_reactions')
		.select('id, message_id, target_provider_id, reactor, emoji')
		.eq('conversation_id', conversationId);
	if (error) {
		console.error(error);
		return [];
	}
	return reactionRows.parse(data);
}

/**
 * Adds or updates a message in the thread. A status never moves back (a late "delivered" after
 * "read" is ignored), and the server's row replaces the pending copy it was sent for.
 */
export function mergeMessage(
	thread: readonly ChatMessage[],
	message: ChatMessage,
	replacesId?: string
): ChatMessage[] {
	const existing = thread.find((row) => row.id === message.id);
	const others = thread.filter((row) => row.id !== message.id && row.id !== replacesId);
	let next = message;
	if (
		existing &&
		!existing.pending &&
		existing.status !== message.status &&
		!messageStatusAdvances(existing.status, message.status) &&
		// A retry moves failed back to queued on purpose; everything else moves as the database says.
		!(existing.status === 'failed' && message.status === 'queued')
	) {
		next = { ...message, status: existing.status };
	}
	return [...others, next].sort(compareMessages);
}

/** "23h 12m" / "12m": how long the window stays open, for the composer. */
export function windowRemainingLabel(window: ServiceWindow, now: number): string {
	if (!window.open || !window.closesAt) return '';
	const minutes = Math.max(1, Math.floor((window.closesAt.getTime() - now) / 60_000));
	const hours = Math.floor(minutes / 60);
	return hours > 0 ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
}

/** Why a message shows no ticks or which ones: the words under a bubble, for screen readers too. */
export function deliveryLabel(message: ChatMessage): string {
	if (message.pending) return 'Sending';
	if (message.local_error) return 'Not sent';
	return (
		{
			received: 'Received',
			queued: 'Sending',
			sent: 'Sent',
			delivered: 'Delivered',
			read: 'Read',
			failed: 'Failed'
		} as const
	)[message.status];
}

/** Who wrote a message, in words: the customer, the agent by name, the AI, or Parley itself. */
export function senderLabel(
	message: Pick<ChatMessage, 'sender' | 'sender_user_id'>,
	contactName: string,
	names: ReadonlyMap<string, string>,
	myUserId: string
): string {
	switch (message.sender) {
		case 'customer':
			return contactName;
		case 'ai':
			return 'AI';
		case 'system':
			return 'Parley';
		default:
			if (!message.sender_user_id) return 'Agent';
			if (message.sender_user_id === myUserId) return 'You';
			return names.get(message.sender_user_id) ?? 'Agent';
	}
}

/**
 * The pending copy a live message stands for: the broadcast of my own reply can arrive before
 * whatsapp-send answers, and must replace the copy shown while sending rather than sit beside it.
 */
export function pendingCopyOf(
	thread: readonly ChatMessage[],
	message: ChatMessage,
	myUserId: string
): string | undefined {
	if (message.direction !== 'outbound' || message.sender_user_id !== myUserId) return undefined;
	if (thread.some((row) => row.id === message.id)) return undefined;
	return thread.find((row) => row.pending && row.body === message.body)?.id;
}
