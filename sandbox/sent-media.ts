import type { SandboxMessage } from './state.ts';

/**
 * Fetches the files a business sends by URL, as Twilio (MediaUrl) and Meta (`link`) do before
 * delivering: a URL that does not answer 200 fails the message. What came back is kept on the
 * message's media, so tests see that the URL really served the file.
 */
export async function fetchSentMedia(
	media: SandboxMessage['media'],
	signal: AbortSignal
): Promise<boolean> {
	let allFetched = true;
	for (const item of media) {
		if (!/^https?:\/\//.test(item.url)) continue;
		try {
			const response = await fetch(item.url, {
				signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)])
			});
			const bytes = Buffer.from(await response.arrayBuffer());
			item.fetched = {
				status: response.status,
				contentType: response.headers.get('content-type'),
				bytes: bytes.length,
				data: response.status === 200 ? bytes : undefined
			};
			if (response.status !== 200) allFetched = false;
			else if (item.fetched.contentType) item.contentType = item.fetched.contentType;
		} catch (error) {
			item.fetched = {
				status: 0,
				contentType: null,
				bytes: 0,
				error: error instanceof Error ? error.message : String(error)
			};
			allFetched = false;
		}
	}
	return allFetched;
}
