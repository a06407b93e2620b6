import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** Connection-level headers, which belong to one hop and are never forwarded. */
const hopByHop = new Set([
	'connection',
	'keep-alive',
	'proxy-connection',
	'transfer-encoding',
	'te',
	'trailer',
	'upgrade'
]);

/** Statuses whose responses have no body by definition. */
const nullBodyStatuses = new Set([101, 204, 205, 304]);

/** The proxy could not get an answer from the worker (it crashed or went away). */
export class UpstreamError extends Error {}

/**
 * Sends `request` to a worker on 127.0.0.1:`port` at `path` and returns its answer, streaming
 * both bodies. Plain node:http rather than fetch, so nothing is decompressed or rewritten on the way.
 * `onSettled` runs once the exchange is over: the response body ended or was cancelled, or it failed.
 */
export function proxyRequest(
	request: Request,
	port: number,
	path: string,
	headers: Headers,
	agent: Agent,
	onSettled: () => void = () => {}
): Promise<Response> {
	const outgoing: OutgoingHttpHeaders = {};
	headers.forEach((value, name) => {
		if (!hopByHop.has(name)) outgoing[name] = value;
	});
	let settled = false;
	const settle = () => {
		if (settled) return;
		settled = true;
		onSettled();
	};
	return new Promise((resolve, reject) => {
		const upstream = httpRequest(
			{ host: '127.0.0.1', port, method: request.method, path, headers: outgoing, agent },
			(incoming) => {
				incoming.once('close', settle);
				const responseHeaders = new Headers();
				for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
					const name = incoming.rawHeaders[i];
					if (!hopByHop.has(name.toLowerCase()))
						responseHeaders.append(name, incoming.rawHeaders[i + 1]);
				}
				const status = incoming.statusCode ?? 502;
				const hasBody = request.method !== 'HEAD' && !nullBodyStatuses.has(status);
				if (!hasBody) incoming.resume();
				const body = hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : null;
				resolve(
					new Response(body, {
						status,
						statusText: incoming.statusMessage,
						headers: responseHeaders
					})
				);
			}
		);
		upstream.once('close', settle);
		upstream.once('error', (error) => {
			settle();
			reject(new UpstreamError(error.message));
		});
		request.signal.addEventListener('abort', () => upstream.destroy(), { once: true });
		if (request.body) {
			const source = Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>);
			pipeline(source, upstream).catch((error: Error) => upstream.destroy(error));
		} else {
			upstream.end();
		}
	});
}
