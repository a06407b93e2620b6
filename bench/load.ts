/**
 * The HTTP load generator: autocannon in a child process, so the load does not share the stack's
 * event loop. autocannon cannot sign bodies itself, so the parent hands it a pool of pre-signed
 * requests and `setupRequest` takes the next one for every request, each exactly once.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { SignedRequest } from './tenant.ts';

export interface LoadTask {
	/** The stack's origin, e.g. http://127.0.0.1:54321. */
	origin: string;
	requests: SignedRequest[];
	connections: number;
	/** Requests per second over all connections; without it, as fast as the server answers. */
	ratePerSecond?: number;
}

export interface LoadResult {
	sent: number;
	/** Responses with a 2xx status. */
	ok: number;
	non2xx: number;
	errors: number;
	seconds: number;
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
}

const CHILD_FLAG = '--bench-load-child';

/** Sends every request of the pool once, from a child process, and reports autocannon's figures. */
export function runLoad(task: LoadTask): Promise<LoadResult> {
	const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
		execArgv: ['--import', 'tsx'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc']
	});
	return new Promise<LoadResult>((resolve, reject) => {
		child.once('message', (message: LoadResult | { error: string }) => {
			child.kill();
			if ('error' in message) reject(new Error(message.error));
			else resolve(message);
		});
		child.once('exit', (code) => reject(new Error(`The load generator exited with code ${code}.`)));
		child.send(task);
	});
}

async function runChild(task: LoadTask): Promise<LoadResult> {
	let next = 0;
	const started = performance.now();
	const result = await autocannon({
		url: task.origin,
		connections: task.connections,
		amount: task.requests.length,
		...(task.ratePerSecond ? { overallRate: task.ratePerSecond } : {}),
		timeout: 30,
		// autocannon notices the last answer only at its next sample; at the default 1 s every
		// unthrottled step measured a whole number of seconds (600 answers in 3.1 s read as 4.05 s).
		sampleInt: 20,
		requests: [
			{
				method: 'POST',
				setupRequest: (request) => {
					const signed = task.requests[next++ % task.requests.length];
					return { ...request, path: signed.path, headers: signed.headers, body: signed.body };
				}
			}
		]
	});
	return {
		sent: result.requests.sent,
		ok: result['2xx'],
		non2xx: result.non2xx,
		errors: result.errors + result.timeouts,
		seconds: (performance.now() - started) / 1000,
		p50Ms: result.latency.p50,
		p99Ms: result.latency.p99,
		maxMs: result.latency.max
	};
}

if (process.argv.includes(CHILD_FLAG)) {
	process.once('message', (task: LoadTask) => {
		runChild(task).then(
			(result) => process.send?.(result),
			(error: Error) => process.send?.({ error: error.message })
		);
	});
	process.on('disconnect', () => process.exit(0));
}
