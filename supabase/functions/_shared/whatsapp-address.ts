/**
 * WhatsApp addresses as Twilio writes them: `whatsapp:` followed by an E.164 number, checked with
 * libphonenumber-js. "Possible" (right length for the country), not "valid", on purpose: valid
 * needs the number to be in an assigned range, which refuses test numbers like +1 555 01xx.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** The sentence shown for an address that does not fit. */
export function invalidWhatsAppAddressMessage(input: string): string {
	return `"${input}" is not a WhatsApp address. Write it as whatsapp: followed by the number in international format, for example whatsapp:+14155238886.`;
}

/** `whatsapp:+E164` normalized, or undefined when the input is not exactly such an address. */
export function parseWhatsAppAddress(input: string): string | undefined {
	const match = /^whatsapp:(\+[1-9]\d{6,14})$/.exec(input.trim());
	if (!match) return undefined;
	const phone = parsePhoneNumberFromString(match[1]);
	if (!phone || phone.number !== match[1] || !phone.isPossible()) return undefined;
	return `whatsapp:${phone.number}`;
}
