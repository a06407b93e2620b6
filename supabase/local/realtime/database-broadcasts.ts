import { isDatabaseUnavailable, type Db } from '../db.ts';
import type { RealtimeHub } from './hub.ts';

/** Where database broadcasts go: the hub itself, or the process that owns the sockets. */
export type BroadcastTarget = Pick<RealtimeHub, 'broadcast' | 'resyncAll'> & {
	/**
	 * Whether anyone has the topic open: rows for other topics are not read as they are notified
	 * (default: every topic is wanted), and the target drops any a catch-up hands it.
	 */
	wants?(topic: string, isPrivate: boolean): boolean;
};

/**
 * The channel bootstrap.sql's trigger notifies on after each broadcast row commits, with
 * `<id> <inserted_at>` and, unless the topic is too long for a notification, a newline, `t` or `f`
 * for private, and the topic.
 */
export const MESSAGES_CHANNEL = 'parley_realtime';

/** A notification on MESSAGES_CHANNEL, read; `topic` is absent when the row must be read to know it. */
export function parseMessageNotification(
	payload: string
): { id: string; insertedAt: string; topic?: string; isPrivate?: boolean } | undefined {
	const newline = payload.indexOf('\n');
	const head = newline < 0 ? payload : payload.slice(0, newline);
	const space = head.indexOf(' ');
	if (space < 0) return undefined;
	const row = { id: head.slice(0, space), insertedAt: head.slice(space + 1) };
	if (newline < 0) return row;
	return { ...row, isPrivate: payload[newline + 1] === 't', topic: payload.slice(newline + 2) };
}

/** Supabase keeps broadcast rows for days; we keep them only long enough to have been delivered. */
const RETENTION_SECONDS = 300;
const CLEANUP_INTERVAL_MS = 60_000;
const BATCH_SIZE = 500;

/**
 * After the LISTEN session comes back, rows inserted this long before the newest one delivered are
 * read again: `inserted_at` is when the writing transaction began, so one that began earlier may
 * have committed while nobody listened.
 */
const CATCH_UP_OVERLAP_SECONDS = 30;
/** Retries of reads that failed because the database was unreachable: 100 ms doubling to 5 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
/** A catch-up that still fails after this many tries gives up and asks clients to resync. */
const CATCH_UP_ATTEMPTS = 8;

/** What clients on every topic are told when broadcasts may have been lost. */
export const RESYNC_MESSAGE =
	'Realtime lost its database connection and may have missed messages on this Channel topic; fetch its current state again.';

interface MessageRow {
	id: string;
	topic: string;
	event: string | null;
	private: boolean | null;
	payload: string | null;
	inserted_at: string;
}

/** `inserted_at::text` (a timestamp without zone, ISO) as milliseconds, for pruning only. */
function timestampMs(text: string): number {
	return Date.parse(text.replace(' ', 'T') + 'Z');
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Delivers broadcast rows (realtime.send, realtime.broadcast_changes) to subscribers after they
 * commit. Notifications only queue ids; the rows are read in batches (many notifies, one query), so
 * a burst of writes never waits on delivery or on sockets.
 *
 * Notifications sent while the LISTEN session is down are lost, so when it resumes the rows
 * inserted since the newest one delivered (less an overlap) are read and those not yet delivered
 * are sent; recently delivered ids are remembered so nothing goes out twice. If that catch-up
 * cannot be complete (the rows were already cleaned up, or the database stays unreachable), every
 * joined channel gets a `system` message telling its client to fetch current state again.
 */
export async function deliverDatabaseBroadcasts(
	db: Db,
	hub: BroadcastTarget
): Promise<() => Promise<void>> {
	const queued: { id: string; insertedAt: string }[] = [];
	let draining: Promise<void> | undefined;
	let catchingUp: Promise<void> | undefined;
	let stopped = false;
	// Newest inserted_at delivered (database clock), and ids delivered recently with their time.
	let cursor = (await db.query<{ now: string }>('select localtimestamp::text as now')).rows[0].now;
	const delivered = new Map<string, number>();

	const deliver = (row: MessageRow) => {
		if (delivered.has(row.id)) return;
		delivered.set(row.id, timestampMs(row.inserted_at));
		if (row.inserted_at > cursor) cursor = row.inserted_at;
		hub.broadcast(
			row.topic,
			row.private === true,
			row.event ?? '',
			{ json: row.payload ?? '{}' },
			{ id: row.id }
		);
	};

	// A row for a topic nobody has open counts as delivered, to nobody, as Realtime would.
	const skip = (id: string, insertedAt: string) => {
		delivered.set(id, timestampMs(insertedAt));
		if (insertedAt > cursor) cursor = insertedAt;
		forgetOld();
	};

	// Ids older than twice the overlap can no longer come back in a catch-up. They were added
	// roughly in time order, so the walk stops at the first one still inside the horizon.
	const forgetOld = () => {
		if (delivered.size < 2 * BATCH_SIZE) return;
		const horizon = timestampMs(cursor) - 2 * CATCH_UP_OVERLAP_SECONDS * 1000;
		for (const [id, at] of delivered) {
			if (at >= horizon) break;
			delivered.delete(id);
		}
	};

	const drain = async () => {
		let retryMs = FIRST_RETRY_MS;
		while (queued.length > 0 && !stopped) {
			const batch = queued.splice(0, BATCH_SIZE);
			try {
				const { rows } = await db.query<MessageRow>(
					`select m.id::text as id, m.topic, m.event, m.private, m.payload::text as payload,
					        m.inserted_at::text as inserted_at
					 from unnest($1::uuid[], $2::timestamp[]) with ordinality as k(id, inserted_at, position)
					 join realtime.messages m on m.id = k.id and m.inserted_at = k.inserted_at
					 order by k.position`,
					[batch.map((entry) => entry.id), batch.map((entry) => entry.insertedAt)]
				);
				for (const row of rows) deliver(row);
				forgetOld();
				retryMs = FIRST_RETRY_MS;
			} catch (error) {
				if (stopped) return;
				if (isDatabaseUnavailable(error)) {
					// The rows are committed; read them again once the database answers.
					queued.unshift(...batch);
					await sleep(retryMs);
					retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
				} else
					console.error('[realtime] could not read broadcast messages:', (error as Error).message);
			}
		}
	};

	const startDraining = () => {
		if (draining || stopped) return;
		draining = drain().finally(() => {
			draining = undefined;
			if (queued.length > 0) startDraining();
		});
	};

	const catchUp = async () => {
		let retryMs = FIRST_RETRY_MS;
		for (let attempt = 1; !stopped; attempt++) {
			const since = cursor;
			try {
				const { rows: window } = await db.query<{ complete: boolean }>(
					`select $1::timestamp - make_interval(secs => $2) >= localtimestamp - make_interval(secs => $3) as complete`,
					[since, CATCH_UP_OVERLAP_SECONDS, RETENTION_SECONDS]
				);
				const { rows } = await db.query<MessageRow>(
					`select m.id::text as id, m.topic, m.event, m.private, m.payload::text as payload,
					        m.inserted_at::text as inserted_at
					 from realtime.messages m
					 where m.extension = 'broadcast' and m.inserted_at >= $1::timestamp - make_interval(secs => $2)
					 order by m.inserted_at, m.id`,
					[since, CATCH_UP_OVERLAP_SECONDS]
				);
				if (stopped) return;
				let caughtUp = 0;
				for (const row of rows) {
					if (delivered.has(row.id)) continue;
					deliver(row);
					caughtUp++;
				}
				forgetOld();
				if (caughtUp > 0)
					console.error(`[realtime] delivered ${caughtUp} broadcasts sent while not listening.`);
				// Rows older than the retention may have been deleted before anyone read them.
				if (!window[0].complete) hub.resyncAll(RESYNC_MESSAGE);
				return;
			} catch (error) {
				if (stopped) return;
				if (!isDatabaseUnavailable(error) || attempt >= CATCH_UP_ATTEMPTS) {
					console.error(
						'[realtime] could not catch up on missed broadcasts; asking clients to resync:',
						(error as Error).message
					);
					hub.resyncAll(RESYNC_MESSAGE);
					return;
				}
				await sleep(retryMs);
				retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
			}
		}
	};

	const startCatchUp = () => {
		if (stopped) return;
		// One catch-up at a time; a resume during one starts another after it, from the newer cursor.
		const previous = catchingUp ?? Promise.resolve();
		const next: Promise<void> = previous.then(catchUp).finally(() => {
			if (catchingUp === next) catchingUp = undefined;
		});
		catchingUp = next;
	};

	const unlisten = await db.listen(
		MESSAGES_CHANNEL,
		(notification) => {
			const row = parseMessageNotification(notification);
			if (!row) return;
			if (row.topic !== undefined && hub.wants && !hub.wants(row.topic, row.isPrivate === true)) {
				skip(row.id, row.insertedAt);
				return;
			}
			queued.push({ id: row.id, insertedAt: row.insertedAt });
			startDraining();
		},
		startCatchUp
	);

	const cleanup = setInterval(() => {
		db.query(
			`delete from realtime.messages where inserted_at < localtimestamp - make_interval(secs => $1)`,
			[RETENTION_SECONDS]
		).catch((error) => {
			if (!stopped)
				console.error(
					'[realtime] could not delete old broadcast messages:',
					(error as Error).message
				);
		});
	}, CLEANUP_INTERVAL_MS);
	cleanup.unref();

	return async () => {
		stopped = true;
		clearInterval(cleanup);
		await unlisten();
		await draining;
		await catchingUp;
	};
}
