/** What ingest_whatsapp_delivery answers (jsonb): the delivery's event and each message it stored. */
import { z } from 'zod';

/** One stored message of a delivery. */
const ingestedMessage = z.object({
	provider_message_id: z.string(),
	/** Absent when the message was already stored or not stored at all. */
	message_id: z.string().optional(),
	conversation_id: z.string(),
	inserted: z.boolean(),
	/** The conversation has AI on and the number's agent is active: an AI reply is due. */
	ai_reply: z.boolean()
});
export type IngestedMessage = z.output<typeof ingestedMessage>;

/** The whole answer for one delivery. */
export const ingestResult = z.object({
	event_id: z.string(),
	messages: z.array(ingestedMessage),
	failed_items: z.number(),
	error: z.string().nullable()
});
export type IngestResult = z.output<typeof ingestResult>;

/** ingest_whatsapp_delivery's refusal when the credentials a delivery was verified with changed. */
export const staleCredentials = z.object({ stale_credentials: z.literal(true) });
