/**
 * The conversations, messages and contacts a caller may read, through RLS: what they cannot see
 * answers 404 as if it did not exist.
 */
import { HttpError } from './http.ts';
import { databaseFailure } from './database-errors.ts';
import type { Caller } from './callers.ts';
import type { ConversationRow } from './outbound-delivery.ts';
import type { Row } from './database.ts';
import type { Recipient } from './providers/provider.ts';

/** The message fields sending again and serving media need. */
export type MessageRow = Pick<
	Row<'messages'>,
	'id' | 'conversation_id' | 'direction' | 'type' | 'body' | 'content' | 'media' | 'status'
>;

/** 404 for what does not exist or the caller cannot see. */
export const notFound = (what: 'conversation' | 'message') =>
	new HttpError(404, 'not_found', `There is no such ${what}, or you cannot see it.`);

/** A conversation the caller may see, or 404. */
export async function visibleConversation(caller: Caller, id: string): Promise<ConversationRow> {
	const { data, error } = await caller.client
		.from('conversations')
		.select('id, tenant_id, number_id, contact_id, last_inbound_at')
		.eq('id', id)
		.maybeSingle();
	if (error) throw databaseFailure(error);
	if (!data) throw notFound('conversation');
	return data;
}

/** A message the caller may see, or 404. */
export async function visibleMessage(caller: Caller, id: string): Promise<MessageRow> {
	const { data, error } = await caller.client
		.from('messages')
		.select('id, conversation_id, direction, type, body, content, media, status')
		.eq('id', id)
		.maybeSingle();
	if (error) throw databaseFailure(error);
	if (!data) throw notFound('message');
	return data;
}

/** The contact's addresses, read with the caller's rights. */
export async function recipientOf(
	caller: Caller,
	conversation: ConversationRow
): Promise<Recipient> {
	const { data, error } = await caller.client
		.from('contacts')
		.select('wa_id, user_id')
		.eq('id', conversation.contact_id)
		.single();
	if (error) throw databaseFailure(error);
	return { waId: data.wa_id, userId: data.user_id };
}
