import {
	Agent,
	request as httpRequest,
	type IncomingMessage,
	type OutgoingHttpHeaders,
	type ServerResponse
} from 'node:http';

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

/** The caller hung up before the worker answered; the worker is not to blame. */
export class CallerGoneError extends Error {}

/** The request's headers as the worker gets them: every end-to-end header, `overrides` set last. */
export function forwardedHeaders(
	request: IncomingMessage,
	overrides: Record<string, string> = {}
): OutgoingHttpHeaders {
	const outgoing: OutgoingHttpHeaders = {};
	for (const [name, value] of Object.entries(request.headers))
		if (value !== undefined && !hopByHop.has(name)) outgoing[name] = value;
	// A body sent in chunks goes on in chunks, whatever the method: Node's client frames a GET or
	// DELETE body only when told, and unframed bytes would reach the worker as a request of their own.
	if (request.headers['transfer-encoding'] !== undefined) {
		delete outgoing['content-length'];
		outgoing['transfer-encoding'] = 'chunked';
	}
	return { ...outgoing, ...overrides };
}

/**
 * Sends `request` to a worker on 127.0.0.1:`port` at `path` and streams its answer into
 * `response`, on Node's own streams both ways: nothing is decompressed, rewritten or buffered, and
 * no Web stream sits between the sockets. Resolves once the answer has started; rejects, having
 * written nothing, with UpstreamError when the worker gave no answer, or CallerGoneError when the
 * caller hung up first. `onSettled` runs once the exchange is over: the answer ended, the caller
 * went away, or the worker failed.
 */
export function proxyToWorker(
	request: IncomingMessage,
	response: ServerResponse,
	port: number,
	path: string,
	headers: OutgoingHttpHeaders,
	agent: Agent,
	onSettled: () => void = () => {}
): Promise<void> {
	let settled = false;
	const settle = () => {
		if (settled) return;
		settled = true;
		onSettled();
	};
	// The caller hung up while the worker was being found: nothing is sent.
	if (response.destroyed || response.closed || request.socket.destroyed) {
		settle();
		return Promise.reject(new CallerGoneError('the caller hung up before the request was sent'));
	}
	return new Promise((resolve, reject) => {
		const upstream = httpRequest(
			{ host: '127.0.0.1', port, method: request.method, path, headers, agent },
			(incoming) => {
				incoming.once('close', settle);
				const responseHeaders: string[] = [];
				for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
					if (!hopByHop.has(incoming.rawHeaders[i].toLowerCase()))
						responseHeaders.push(incoming.rawHeaders[i], incoming.rawHeaders[i + 1]);
				}
				const status = incoming.statusCode ?? 502;
				response.writeHead(status, incoming.statusMessage, responseHeaders);
				if (request.method === 'HEAD' || nullBodyStatuses.has(status)) {
					incoming.resume();
					response.end();
				} else {
					// A worker that fails mid-answer cuts the caller's answer short; a caller that goes
					// away cuts the worker's (below). Plain pipe(): pipeline() builds an AbortSignal and
					// a DOMException for every exchange.
					incoming.once('error', () => response.destroy());
					incoming.pipe(response);
				}
				resolve();
			}
		);
		let callerGone = false;
		upstream.once('close', settle);
		upstream.once('error', (error) => {
			settle();
			reject(callerGone ? new CallerGoneError(error.message) : new UpstreamError(error.message));
		});
		// The caller hung up before the answer was complete: the worker's request is cut too.
		response.once('close', () => {
			if (response.writableFinished) return;
			callerGone = true;
			upstream.destroy();
		});
		request.once('error', (error) => upstream.destroy(error));
		request.pipe(upstream);
	});
}
