/** The functions proxy when its caller is gone before anything reaches the worker. */
import { createServer, Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import {
	CallerGoneError,
	forwardedHeaders,
	proxyToWorker
} from '../../../supabase/local/functions/proxy.ts';

it('a caller who hung up while a worker was found gets nothing sent, and the lease is let go', async () => {
	let workerAsked = 0;
	const worker = createServer((_request, response) => {
		workerAsked++;
		response.end('late');
	});
	await new Promise<void>((resolve) => worker.listen(0, '127.0.0.1', resolve));
	const workerPort = (worker.address() as AddressInfo).port;
	const agent = new Agent({ keepAlive: true });

	let settled = 0;
	const stack = createServer();
	const outcome = new Promise<unknown>((resolve) => {
		stack.on('request', (request, response) => {
			// As when the caller leaves during the JWT check or a worker's boot: the proxy starts after.
			response.once('close', () => {
				proxyToWorker(
					request,
					response,
					workerPort,
					'/fn',
					forwardedHeaders(request),
					agent,
					() => settled++
				).then(
					() => resolve('proxied'),
					(error: unknown) => resolve(error)
				);
			});
			request.socket.destroy();
		});
		stack.listen(0, '127.0.0.1', () => {
			const { port } = stack.address() as AddressInfo;
			httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/fn' })
				.on('error', () => undefined)
				.end('body');
		});
	});
	expect(await outcome).toBeInstanceOf(CallerGoneError);
	stack.close();
	expect(settled).toBe(1);
	expect(workerAsked).toBe(0);
	agent.destroy();
	await new Promise<void>((resolve) => worker.close(() => resolve()));
});
