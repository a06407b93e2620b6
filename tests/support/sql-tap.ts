import { connect, createServer, type Socket } from 'node:net';

/** A TCP hop in front of PostgreSQL that notes each statement its clients send, in order. */
export interface SqlTap {
	port: number;
	close(): Promise<void>;
}

/**
 * Starts a tap that forwards every connection to `target` unchanged and hands `onStatement` the
 * text of each Parse and simple Query message its clients send. Messages are read as the
 * protocol frames them (a type byte, then a length that counts itself): the startup packet has
 * no type byte, and an SSL request is refused as a server without TLS would.
 */
export async function startSqlTap(
	target: { host: string; port: number },
	onStatement: (sql: string) => void
): Promise<SqlTap> {
	const sockets = new Set<Socket>();
	const server = createServer((client) => {
		const upstream = connect(target.port, target.host);
		sockets.add(client).add(upstream);
		const drop = () => {
			client.destroy();
			upstream.destroy();
			sockets.delete(client);
			sockets.delete(upstream);
		};
		client.on('error', drop).on('close', drop);
		upstream.on('error', drop).on('close', drop);
		upstream.pipe(client);
		let pending = Buffer.alloc(0);
		let started = false;
		client.on('data', (chunk: Buffer) => {
			pending = Buffer.concat([pending, chunk]);
			const forward: Buffer[] = [];
			for (;;) {
				if (!started) {
					if (pending.length < 8) break;
					const length = pending.readInt32BE(0);
					if (pending.length < length) break;
					const packet = pending.subarray(0, length);
					pending = pending.subarray(length);
					const code = packet.readInt32BE(4);
					// SSLRequest and GSSENCRequest: answer "no" and wait for the real startup packet.
					if (code === 80877103 || code === 80877104) {
						client.write('N');
						continue;
					}
					started = true;
					forward.push(packet);
					continue;
				}
				if (pending.length < 5) break;
				const length = pending.readInt32BE(1);
				if (pending.length < length + 1) break;
				const message = pending.subarray(0, length + 1);
				pending = pending.subarray(length + 1);
				const type = String.fromCharCode(message[0]);
				const body = message.subarray(5);
				if (type === 'Q') onStatement(cString(body, 0));
				if (type === 'P') onStatement(cString(body, body.indexOf(0) + 1));
				forward.push(message);
			}
			if (forward.length) upstream.write(Buffer.concat(forward));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	if (typeof address !== 'object' || !address) throw new Error('The SQL tap has no port.');
	return {
		port: address.port,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			})
	};
}

function cString(buffer: Buffer, start: number): string {
	return buffer.subarray(start, buffer.indexOf(0, start)).toString('utf8');
}
