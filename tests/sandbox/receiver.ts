/**
 * A local webhook receiver for sandbox tests: records every request exactly as it arrived
 * (full URL, headers, raw body) and answers 200, or what a test tells it to.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
	method: string;
	url: string;
	path: string;
	headers: IncomingHttpHeaders;
	rawBody: string;
	/** Form fields for form posts, parsed JSON for JSON posts. */
	form: Record<string, string>;
	json: unknown;
}

export interface Receiver {
	url: string;
	received: ReceivedRequest[];
	/** Resolves when `count` requests matching `path` have arrived. */
	waitFor(count: number, path?: string): Promise<ReceivedRequest[]>;
	respondWith(handler: (request: ReceivedRequest) => { status: number; body?: string }): void;
	close(): Promise<void>;
}

/** Starts a receiver on a free loopback port. */
export async function startReceiver(): Promise<Receiver> {
	const received: ReceivedRequest[] = [];
	let waiters: { count: number; path?: string; resolve: (list: ReceivedRequest[]) => void }[] = [];
	let respond: (request: ReceivedRequest) => { status: number; body?: string } = () => ({
		status: 200,
		body: ''
	});
	const matching = (path?: string) => received.filter((request) => !path || request.path === path);

	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const rawBody = Buffer.concat(chunks).toString('utf8');
			const full = new URL(req.url ?? '/', `http://${req.headers.host}`);
			const type = req.headers['content-type'] ?? '';
			const request: ReceivedRequest = {
				method: req.method ?? 'GET',
				url: full.href,
				path: full.pathname,
				headers: req.headers,
				rawBody,
				form: type.includes('urlencoded') ? Object.fromEntries(new URLSearchParams(rawBody)) : {},
				json: type.includes('json') && rawBody ? JSON.parse(rawBody) : undefined
			};
			received.push(request);
			const answer = respond(request);
			res.writeHead(answer.status, { 'Content-Type': 'text/plain' }).end(answer.body ?? '');
			waiters = waiters.filter((waiter) => {
				const list = matching(waiter.path);
				if (list.length < waiter.count) return true;
				waiter.resolve(list);
				return false;
			});
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		received,
		waitFor(count, path) {
			const list = matching(path);
			if (list.length >= count) return Promise.resolve(list);
			return new Promise((resolve) => waiters.push({ count, path, resolve }));
		},
		respondWith(handler) {
			respond = handler;
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
