/**
 * Provider error codes in words a person understands, for failed messages and number cards.
 * No imports, so the app can show the same sentences.
 */

const sentences: Record<string, string> = {
	// Twilio
	'20003':
		'Twilio rejected the account credentials. An owner or admin needs to enter the Account SID and Auth Token again.',
	'20404': 'Twilio could not find this message or resource.',
	'20429': 'Twilio is receiving too many messages from this account. Wait a minute and send again.',
	'21211': 'The customer’s phone number is not valid, so Twilio could not send to it.',
	'21408': 'Sending to this country is not enabled on the Twilio account.',
	'21610': 'The customer has unsubscribed from messages from this number.',
	'63003':
		'WhatsApp could not reach this customer. The number may not use WhatsApp; check it with the customer.',
	'63007':
		'This number is not enabled for WhatsApp on the Twilio account. Check the sender in the Twilio Console.',
	'63016':
		'More than 24 hours have passed since the customer last wrote, so WhatsApp only allows a template message now.',
	'63018': 'WhatsApp is limiting how fast this number can send. Wait a minute and send again.',
	'63024': 'WhatsApp says this customer cannot receive messages from this number.',
	// Twilio maps WhatsApp's error 472 to 63032; what 472 means is not documented, so no reason is given.
	'63032':
		'WhatsApp did not deliver this message to the customer (Twilio 63032, WhatsApp 472). WhatsApp does not say why, and it is not an opt-out: try again later, or reach the customer another way.',
	// Meta
	'190':
		'Meta rejected the access token: it is invalid or has expired. An owner or admin needs to paste a new permanent token for this number.',
	'100': 'Meta refused the message because a field is not valid.',
	'131008': 'Meta refused the message because something it needs is missing.',
	'131026':
		'WhatsApp could not deliver this message. The customer may not use WhatsApp or may use an old version.',
	'131047':
		'More than 24 hours have passed since the customer last wrote, so WhatsApp only allows a template message now.',
	'131051': 'WhatsApp does not support this kind of message.',
	'130429': 'Meta is limiting how fast this number can send. Wait a moment and send again.',
	'131056':
		'Too many messages went to this customer in a short time. Wait a few seconds and send again.',
	'132000': 'The template’s parameters do not match the approved template.',
	'132001': 'That template does not exist or is not approved in this language.'
};

/** The sentence for a provider error code, or the provider's own words in a sentence. */
export function providerErrorSentence(
	provider: 'twilio' | 'meta',
	code: string | number | null | undefined,
	providerMessage?: string | null
): string {
	const known = code === null || code === undefined ? undefined : sentences[String(code)];
	if (known) return known;
	const who = provider === 'twilio' ? 'Twilio' : 'Meta';
	const detail = providerMessage?.trim();
	return detail
		? `${who} could not send this message${code ? ` (error ${code})` : ''}: ${detail.replace(/\.?$/, '.')}`
		: `${who} could not send this message${code ? ` (error ${code})` : ''}.`;
}

/** Error codes that mean the stored credentials stopped working. */
export function isCredentialsError(code: string | number | null | undefined): boolean {
	return String(code) === '20003' || String(code) === '190';
}
