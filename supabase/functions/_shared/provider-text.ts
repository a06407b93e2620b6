/**
 * Text as Postgres can store it. Providers pass on whatever a customer's phone sent, and Postgres
 * holds neither a NUL character in text nor a lone UTF-16 surrogate in jsonb, so one such
 * character would refuse a whole delivery. Each becomes U+FFFD, the mark of an unreadable
 * character, and everything around it is kept. Import-free, so tests load it anywhere.
 */

// eslint-disable-next-line no-control-regex -- NUL is exactly what has to go
const unstorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text with NUL and lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
	return text.replace(unstorable, '\uFFFD');
}

/** Every string (and object key) in a parsed payload, made storable; other values as they are. */
export function storableValue<T>(value: T): T {
	if (typeof value === 'string') return storableText(value) as T;
	if (Array.isArray(value)) return value.map((item) => storableValue(item)) as T;
	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value).map(([key, item]) => [storableText(key), storableValue(item)])
		) as T;
	}
	return value;
}
