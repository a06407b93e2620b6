/** What ingest_whatsapp_delivery answers: the delivery's event and each message it stored. */

/** One stored message of a delivery. */
export interface IngestedMessage {
	provider_message_id: string;
	message_id?: string;
	conversation_id: string;
	inserted: boolean;
	/** The conversation has AI on and the number's agent is active: an AI reply is due. */
	ai_reply: boolean;
}

/** The whole answer for one delivery. */
export interface IngestResult {
	event_id: string;
	messages: IngestedMessage[];
	failed_items: number;
	error: string | null;
}
