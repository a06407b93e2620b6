import { fork, type ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Db } from '../db.ts';
import { checkChannelPolicies } from './authorization.ts';
import type { BroadcastTarget } from './database-broadcasts.ts';
import type { FromFanout, ToFanout, WireBody, WireBroadcast } from './fanout-messages.ts';
import { groupKey } from './hub.ts';
import type { BroadcastBody } from './protocol.ts';

const entryPath = fileURLToPath(new URL('./fanout-process.ts', import.meta.url));
/** The process runs TypeScript as the stack does; tsx is resolved here so any working directory works. */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Every fan-out process alive, killed when the stack's process exits (IPC closing covers harder deaths). */
const liveProcesses = new Set<ChildProcess>();
process.on('exit', () => {
	for (const child of liveProcesses) child.kill('SIGKILL');
});

/** The stack's handle on the Realtime fan-out process (see fanout-process.ts). */
export interface Fanout extends BroadcastTarget {
	/** Hands an upgraded socket over; the process answers it (101, or a refusal). */
	upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
	recheckUser(userId: string): Promise<void>;
	recheckAll(): Promise<void>;
	revokeSessions(userId: string, sessionIds?: string[]): void;
	close(): Promise<void>;
}

function wireBody(body: BroadcastBody): WireBody {
	return 'json' in body ? body : { base64: body.binary.toString('base64') };
}

/**
 * Starts the fan-out process and answers its RLS questions from `db`. If it dies, its sockets are
 * gone (clients reconnect) and a new one is started.
 */
/** Broadcasts per message to the fan-out process at most. */
const MAX_BATCH = 500;

export async function startFanout(db: Db): Promise<Fanout> {
	let closing = false;
	let nextId = 1;
	const rechecks = new Map<number, { resolve(): void; reject(error: Error): void }>();
	let child: ChildProcess;
	let ready: Promise<void>;
	// Sent before the process listens would be lost; such messages wait for its `ready`.
	let queued: { message: ToFanout; handle?: Socket }[] | undefined;

	// Topics with a channel in the process. A broadcast to any other reaches nobody and is not
	// sent: on a busy database most rows are for topics nobody has open.
	const watched = new Set<string>();

	// Broadcasts of one tick go as one message (one IPC write and parse instead of one each);
	// anything else sent meanwhile goes after them, so the order is kept.
	let batch: WireBroadcast[] | undefined;
	const flushBatch = () => {
		if (!batch) return;
		const items = batch;
		batch = undefined;
		deliver({ type: 'broadcasts', items });
	};
	const send = (message: ToFanout, handle?: Socket) => {
		flushBatch();
		deliver(message, handle);
	};
	const deliver = (message: ToFanout, handle?: Socket) => {
		if (queued) queued.push({ message, handle });
		else if (child.connected) child.send(message, handle);
		else handle?.destroy();
	};

	const answer = (message: FromFanout) => {
		if (message.type === 'authorize') {
			checkChannelPolicies(db, message.name, message.claims).then(
				(policies) => send({ type: 'authorized', id: message.id, policies }),
				(error: Error) => send({ type: 'authorized', id: message.id, error: error.message })
			);
		} else if (message.type === 'watch') {
			const key = groupKey(message.topic, message.private);
			if (message.watch) {
				watched.add(key);
				send({ type: 'watching', id: message.id });
			} else watched.delete(key);
		} else if (message.type === 'rechecked') {
			const waiting = rechecks.get(message.id);
			rechecks.delete(message.id);
			if (message.error) waiting?.reject(new Error(message.error));
			else waiting?.resolve();
		}
	};

	const start = () => {
		queued = [];
		watched.clear();
		child = fork(entryPath, [], {
			execArgv: ['--import', tsxLoader],
			stdio: ['ignore', 'inherit', 'inherit', 'ipc']
		});
		const started = child;
		liveProcesses.add(started);
		let served = false;
		ready = new Promise<void>((resolve, reject) => {
			started.on('message', (raw: unknown) => {
				// Only fanout-process.ts writes to this channel, with the types of fanout-messages.ts.
				const message = raw as FromFanout;
				// A process already replaced may still have words in the channel; they are not the new one's.
				if (started !== child) return;
				if (message.type === 'ready') {
					const waiting = queued ?? [];
					queued = undefined;
					for (const { message: next, handle } of waiting) deliver(next, handle);
					served = true;
					resolve();
				} else answer(message);
			});
			started.once('exit', (code, signal) => {
				liveProcesses.delete(started);
				reject(
					new Error(`the Realtime fan-out process exited (${code ?? signal}) before it was ready`)
				);
				for (const waiting of rechecks.values())
					waiting.reject(new Error('the Realtime fan-out process exited'));
				rechecks.clear();
				// One that never got ready fails the stack's start instead of being retried forever.
				if (closing || !served) return;
				console.error(
					`[realtime] the fan-out process exited (${code ?? signal}); its sockets were dropped and a new one starts.`
				);
				start();
			});
		});
		ready.catch(() => undefined);
	};

	const recheck = (userId?: string) =>
		new Promise<void>((resolve, reject) => {
			const id = nextId++;
			rechecks.set(id, { resolve, reject });
			send({ type: 'recheck', id, userId });
		});

	const killChild = () => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	};

	start();
	await ready!;

	return {
		wants: (topic, isPrivate) => watched.has(groupKey(topic, isPrivate)),
		broadcast(topic, isPrivate, event, body, meta) {
			if (!watched.has(groupKey(topic, isPrivate))) return;
			if (!batch) {
				batch = [];
				queueMicrotask(flushBatch);
			}
			batch.push({ topic, private: isPrivate, event, body: wireBody(body), meta });
			// A backlog read at once still goes as messages of a bounded size.
			if (batch.length >= MAX_BATCH) flushBatch();
		},
		resyncAll(message) {
			send({ type: 'resync', message });
		},
		recheckUser: (userId) => recheck(userId),
		recheckAll: () => recheck(),
		revokeSessions(userId, sessionIds) {
			send({ type: 'revoke', userId, sessionIds });
		},
		upgrade(request, socket, head) {
			send(
				{
					type: 'upgrade',
					url: request.url ?? '/',
					headers: request.headers,
					head: head.toString('base64')
				},
				socket as Socket
			);
		},
		async close() {
			closing = true;
			if (child.exitCode !== null || child.signalCode !== null) return;
			const exited = new Promise<void>((done) => child.once('exit', () => done()));
			send({ type: 'close' });
			// A process that does not finish closing its sockets in time is ended.
			const timer = setTimeout(killChild, 5000);
			await exited;
			clearTimeout(timer);
		}
	};
}
