import { createHmac } from 'node:crypto';

/** Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each param name+value, sorted by name. */
export function twilioSignature(
	authToken: string,
	url: string,
	params: Record<string, string | string[]>
): string {
	let data = url;
	for (const name of Object.keys(params).sort()) {
		const value = params[name];
		for (const item of Array.isArray(value) ? [...value].sort() : [value]) data += name + item;
	}
	return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** Meta's X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256 of the raw body with the app secret. */
export function metaSignature(appSecret: string, rawBody: string): string {
	return (
		'sha256=' + createHmac('sha256', appSecret).update(Buffer.from(rawBody, 'utf8')).digest('hex')
	);
}
