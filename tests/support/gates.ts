import { createServer, type ServerResponse } from 'node:http';

/**
 * A loopback HTTP server whose answers the test releases: a fixture function that awaits
 * `fetch(gates.url(name))` holds until `gates.open(name)`, in whichever worker process it runs.
 */
export interface Gates {
	/** The URL a function fetches to wait at the gate `name`. */
	url(name: string): string;
	/** Gates reached so far, in order of arrival. */
	arrived(): string[];
	/** Answers every request waiting at `name`, and any that arrives later. */
	open(name: string): void;
	close(): Promise<void>;
}

export async function startGates(): Promise<Gates> {
	const waiting = new Map<string, ServerResponse[]>();
	const opened = new Set<string>();
	const arrivals: string[] = [];
	const server = createServer((request, response) => {
		const name = decodeURIComponent((request.url ?? '/').slice(1));
		arrivals.push(name);
		if (opened.has(name)) response.end('open');
		else waiting.set(name, [...(waiting.get(name) ?? []), response]);
	});
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return {
		url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
		arrived: () => [...arrivals],
		open(name) {
			opened.add(name);
			for (const response of waiting.get(name) ?? []) response.end('open');
			waiting.delete(name);
		},
		async close() {
			server.closeAllConnections();
			await new Promise<void>((done) => server.close(() => done()));
		}
	};
}
