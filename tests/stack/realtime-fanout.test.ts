/** Realtime's sockets live in a fan-out process of their own, which the stack replaces if it dies. */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { RawSocket } from './realtime-rooms.ts';

let stack: TestStack;
let closed = false;
beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(async () => {
	if (!closed) await stack?.close();
});

/** Child processes of this one (where the stack runs) that run the fan-out module. */
function fanoutPids(): number[] {
	return readdirSync('/proc')
		.filter((entry) => /^\d+$/.test(entry))
		.map(Number)
		.filter((pid) => {
			try {
				const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
				const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
				const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
				return parent === process.pid && command.includes('fanout-process');
			} catch {
				// Gone between the listing and the read.
				return false;
			}
		});
}

/** A raw socket joined to public topic `name`, its join reply read. */
async function joined(name: string): Promise<RawSocket> {
	// vsn 1.0.0: every frame is JSON text.
	const socket = await RawSocket.open(
		`${stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${stack.anonKey}&vsn=1.0.0`
	);
	socket.send({
		topic: `realtime:${name}`,
		event: 'phx_join',
		payload: { config: { private: false } },
		ref: '1',
		join_ref: '1'
	});
	expect(await socket.frames.next()).toMatchObject({
		topic: `realtime:${name}`,
		event: 'phx_reply',
		payload: { status: 'ok' }
	});
	return socket;
}

async function sendFromDatabase(name: string, n: number): Promise<void> {
	await stack.db.query(
		`select realtime.send(jsonb_build_object('n', $1::int), 'note', $2, false)`,
		[n, name]
	);
}

it('one fan-out process serves the sockets, apart from the stack', async () => {
	expect(fanoutPids()).toHaveLength(1);
	const socket = await joined('apart');
	await sendFromDatabase('apart', 1);
	expect(await socket.frames.next()).toMatchObject({
		topic: 'realtime:apart',
		event: 'broadcast',
		payload: { event: 'note', payload: { n: 1 } }
	});
	socket.close();
});

it('a topic gets broadcasts while a socket has it open, again after its last one left and another joined', async () => {
	const first = await joined('reopened');
	await sendFromDatabase('reopened', 1);
	expect(await first.frames.next()).toMatchObject({
		event: 'broadcast',
		payload: { event: 'note', payload: { n: 1 } }
	});
	// The topic's last channel leaves: the stack stops sending its broadcasts to the process.
	first.send({
		topic: 'realtime:reopened',
		event: 'phx_leave',
		payload: {},
		ref: '2',
		join_ref: '1'
	});
	expect(await first.frames.next()).toMatchObject({
		event: 'phx_reply',
		ref: '2',
		payload: { status: 'ok' }
	});
	// Another socket opens it: what commits once it is told it joined reaches it.
	const second = await joined('reopened');
	await sendFromDatabase('reopened', 2);
	expect(await second.frames.next()).toMatchObject({
		event: 'broadcast',
		payload: { event: 'note', payload: { n: 2 } }
	});
	// The first socket, whose channel left, heard nothing since: its next frame is a later join's.
	first.send({
		topic: 'realtime:reopened',
		event: 'phx_join',
		payload: { config: { private: false } },
		ref: '3',
		join_ref: '3'
	});
	expect(await first.frames.next()).toMatchObject({ event: 'phx_reply', ref: '3' });
	first.close();
	second.close();
});

it('the first channels of a topic hear what commits the moment their join is answered', async () => {
	const url = `${stack.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${stack.anonKey}&vsn=1.0.0`;
	const sockets = await Promise.all([RawSocket.open(url), RawSocket.open(url)]);
	const noteOf = (frame: unknown) =>
		(frame as { payload: { payload: { n: number } } }).payload.payload.n;
	// Each round opens a new topic on both sockets at once (one watch of the topic, two joins
	// waiting on it), and each socket's join reply sets off a commit at once: each socket must get
	// its own row. The other's may have committed before its join was answered.
	for (let round = 0; round < 20; round++) {
		const name = `first-${round}`;
		await Promise.all(
			sockets.map(async (socket, index) => {
				const ref = `${round}-join`;
				socket.send({
					topic: `realtime:${name}`,
					event: 'phx_join',
					payload: { config: { private: false } },
					ref,
					join_ref: ref
				});
				expect(await socket.frames.next()).toMatchObject({
					event: 'phx_reply',
					ref,
					payload: { status: 'ok' }
				});
				await sendFromDatabase(name, index);
				const notes: number[] = [];
				while (!notes.includes(index)) notes.push(noteOf(await socket.frames.next()));
			})
		);
		// A last row both have joined before: after it, nothing of this round is still on the way.
		await sendFromDatabase(name, 99);
		for (const socket of sockets) while (noteOf(await socket.frames.next()) !== 99);
		// Leaving ends the topic's watch; the next round's topic starts a new one.
		for (const socket of sockets) {
			const ref = `${round}-leave`;
			socket.send({
				topic: `realtime:${name}`,
				event: 'phx_leave',
				payload: {},
				ref,
				join_ref: ref
			});
			expect(await socket.frames.next()).toMatchObject({ event: 'phx_reply', ref });
		}
	}
	for (const socket of sockets) socket.close();
});

it('a topic too long to name in a notification still gets its broadcasts', async () => {
	const name = `long-${'x'.repeat(5000)}`;
	const socket = await joined(name);
	await sendFromDatabase(name, 7);
	expect(await socket.frames.next()).toMatchObject({
		topic: `realtime:${name}`,
		event: 'broadcast',
		payload: { event: 'note', payload: { n: 7 } }
	});
	socket.close();
});

it('a fan-out process that dies is replaced: its sockets close, and new ones are served', async () => {
	const [first] = fanoutPids();
	const before = await joined('replaced');
	const closed = new Promise<number>((done) => before.ws.once('close', (code) => done(code)));
	process.kill(first, 'SIGKILL');
	await closed;
	await expect.poll(() => fanoutPids().filter((pid) => pid !== first)).toHaveLength(1);

	const after = await joined('replaced');
	await sendFromDatabase('replaced', 2);
	expect(await after.frames.next()).toMatchObject({
		topic: 'realtime:replaced',
		event: 'broadcast',
		payload: { event: 'note', payload: { n: 2 } }
	});
	after.close();
});

it('closing the stack ends the fan-out process', async () => {
	const [pid] = fanoutPids();
	closed = true;
	await stack.close();
	expect(fanoutPids()).not.toContain(pid);
});
