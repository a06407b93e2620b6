/**
 * A WhatsApp number typed by a person, read the same way by the whatsapp-numbers function (its zod
 * schema), the number form's server action and the form in the browser. Accepted: a `+`, then 8 to
 * 15 digits (E.164), with or without Twilio's `whatsapp:` prefix, spaces, dashes, dots and brackets
 * between them; stored as `whatsapp:+<digits>`. Refusals are sentences. Whether the number is in
 * use in its country is only a warning: numbering plans change and test ranges (+1 555 01xx) are not
 * "valid", so Parley never refuses a number for it.
 *
 * The rule itself has no imports, so the app reaches this module through `$shared` for free; the
 * warning loads libphonenumber-js with its `max` metadata (about 40 kB gzipped, the only build
 * whose `isValid()` checks digits and not just length) on first use, as its own chunk.
 */

/** An example shown in hints and refusals. */
export const WHATSAPP_NUMBER_EXAMPLE = '+1 415 523 8886';

/** The hint under a typed WhatsApp number. */
export const WHATSAPP_NUMBER_HINT = `The number with + and its country code, like ${WHATSAPP_NUMBER_EXAMPLE} or whatsapp:+14155238886.`;

/** E.164 allows at most 15 digits; fewer than 8 is no country's subscriber number. */
export const MIN_NUMBER_DIGITS = 8;
export const MAX_NUMBER_DIGITS = 15;

/** What a typed number reads as: the stored address and its E.164 form, or why it is refused. */
export type WhatsAppNumberReading =
	{ ok: true; address: `whatsapp:+${string}`; e164: `+${string}` } | { ok: false; message: string };

// Anything longer is not a phone number, however it is spaced.
const MAX_INPUT_LENGTH = 64;
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Separators people and phones write between digits (spaces of every width, dashes, dots,
// brackets), and the invisible direction and joiner marks a copied number often carries.
const SEPARATORS = /[\s\-.()/\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;

const refused = (message: string): WhatsAppNumberReading => ({ ok: false, message });

/** Reads a typed WhatsApp number (`whatsapp:+1234567890`, `+1 234 567 890`, …). */
export function readWhatsAppNumber(input: string): WhatsAppNumberReading {
	const text = input.trim();
	if (!text)
		return refused(
			`Enter the number with + and its country code, like ${WHATSAPP_NUMBER_EXAMPLE}.`
		);
	if (CONTROL.test(text))
		return refused(
			'The number contains an invisible control character, perhaps from a copy and paste. Type it again by hand.'
		);
	if (text.length > MAX_INPUT_LENGTH)
		return refused(
			`That is too long for a phone number. Enter one number with + and its country code, like ${WHATSAPP_NUMBER_EXAMPLE}.`
		);
	const compact = text.replace(SEPARATORS, '').replace(/^whatsapp:/i, '');
	const stray = /[^+\d]/.exec(compact) ?? /(?<!^)\+/.exec(compact);
	if (stray)
		return refused(
			`A phone number has only digits after the +, but this one has "${stray[0]}". Use digits, spaces or dashes, like ${WHATSAPP_NUMBER_EXAMPLE}.`
		);
	if (!compact.startsWith('+'))
		return refused(
			`Start the number with + and its country code, like ${WHATSAPP_NUMBER_EXAMPLE} (not 00 or a local 0).`
		);
	const digits = compact.slice(1);
	if (digits.length < MIN_NUMBER_DIGITS || digits.length > MAX_NUMBER_DIGITS)
		return refused(
			`The number has ${digits.length === 1 ? 'one digit' : `${digits.length} digits`}; a WhatsApp number has ${MIN_NUMBER_DIGITS} to ${MAX_NUMBER_DIGITS}, counting the country code.`
		);
	if (digits.startsWith('0'))
		return refused(
			`No country code starts with 0. Write the country code right after the +, like ${WHATSAPP_NUMBER_EXAMPLE}.`
		);
	return { ok: true, address: `whatsapp:+${digits}`, e164: `+${digits}` };
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/**
 * A warning for an accepted number that is not in use in its country according to Google's
 * numbering data (libphonenumber-js, `max` metadata), or null when it looks right.
 */
export async function unusualNumberWarning(e164: string): Promise<string | null> {
	const { parsePhoneNumberFromString } = await import('libphonenumber-js/max');
	const phone = parsePhoneNumberFromString(e164);
	if (!phone)
		return `${e164} does not start with a country code in use. Check the number; Parley connects it anyway.`;
	if (phone.isValid()) return null;
	const place = phone.country
		? `${regionNames.of(phone.country) ?? phone.country}, +${phone.countryCallingCode}`
		: `country code +${phone.countryCallingCode}`;
	return `${phone.formatInternational()} does not look like a number in use in its country (${place}). Check the digits; Parley connects it anyway.`;
}
