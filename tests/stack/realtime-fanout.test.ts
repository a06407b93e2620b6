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
