import { isDatabaseUnavailable, type Db } from '../db.ts';
import type { RealtimeHub } from './hub.ts';

/** Where database broadcasts go: the hub itself, or the process that owns the sockets. */
export type BroadcastTarget = Pick<RealtimeHub, 'broadcast' | 'resyncAll'> & {
	/** Whether anyone has the topic open (default: every topic is wanted). */
	wants?(topic: string, isPrivate: boolean): boolean;
};

/** What the reader hands back: ask it to read now, and stop it. */
export interface DatabaseBroadcasts {
	/** Reads committed rows as soon as the current read (if any) ends: something was just written. */
	readSoon(): void;
	stop(): Promise<void>;
}

/** Supabase keeps broadcast rows for days; we keep them only long enough to have been delivered. */
const RETENTION_SECONDS = 300;
const CLEANUP_INTERVAL_MS = 60_000;

/**
 * Reads when nothing asked for one: soon after a read that found rows (a burst usually goes on),
 * then less often while reads come back empty. Writes through the stack's API ask at once.
 */
const BUSY_READ_MS = 5;
const IDLE_READ_MS = 50;

/**
 * After PostgreSQL restarts, rows inserted this long before the previous read are read again, and
 * those already delivered are skipped: a crash can hand an aborted transaction's id, never written
 * to the WAL, to a new transaction, which the id cursor would take for one already read.
 */
const RESTART_OVERLAP_SECONDS = 30;
/** Retries of reads that failed: 100 ms doubling to 5 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
/** Clients are told to fetch current state again when reads still fail after this many tries. */
const RESYNC_AFTER_FAILURES = 8;

/** What clients on every topic are told when broadcasts may be missing or late. */
export const RESYNC_MESSAGE =
	'Realtime lost its database connection and may have missed messages on this Channel topic; fetch its current state again.';

interface ReadRow {
	snapshot: string;
	started: string;
	now: string;
	id: string | null;
	topic: string | null;
	event: string | null;
	private: boolean | null;
	payload: string | null;
}

/** Where the previous read left off: the transactions it could not see yet. */
interface Cursor {
	/** Every transaction id at or above this one had not finished. */
	xmax: string;
	/** The ids below `xmax` still running. */
	running: string[];
	/** When the server started, to notice a restart. */
	started: string;
	/** The database's clock at that read. */
	readAt: string;
}

/** `pg_current_snapshot()` as text is `xmin:xmax:xip,xip,...`. */
function parseSnapshot(text: string): { xmax: string; running: string[] } {
	const [, xmax, running] = text.split(':');
	return { xmax, running: running ? running.split(',') : [] };
}

const READ_SQL = `
	select s.snapshot, s.started, s.now, m.id::text as id, m.topic, m.event, m.private,
	       m.payload::text as payload
	from (select pg_current_snapshot()::text as snapshot, pg_postmaster_start_time()::text as started,
	             localtimestamp::text as now) s
	left join lateral (
		select m.id, m.topic, m.event, m.private, m.payload, m.seq
		from realtime.messages m
		where m.extension = 'broadcast'
		  and (m.xid >= $1::xid8 or m.xid = any($2::xid8[])
		       or (s.started <> $3 and m.inserted_at >= $4::timestamp - make_interval(secs => $5)))
	) m on true
	order by m.seq`;

/**
 * Delivers broadcast rows (realtime.send, realtime.broadcast_changes) to subscribers once they
 * commit, in the order they were written. Each read is one statement: the snapshot it ran in, and
 * the rows of every transaction that had not finished at the previous read and is visible now. A
 * transaction finishes once, so each row is read once, however late it commits; nothing depends
 * on a session staying up, so a lost connection only delays rows. Rows are deleted only once read.
 *
 * Writers pay nothing for this beyond the row: no NOTIFY, so their commits need not queue one
 * behind another. Writes through the stack's API call `readSoon`; others (SQL sessions, scheduled
 * jobs) are found by the next timed read.
 */
export async function deliverDatabaseBroadcasts(
	db: Db,
	hub: BroadcastTarget
): Promise<DatabaseBroadcasts> {
	const first = (
		await db.query<ReadRow>(
			`select pg_current_snapshot()::text as snapshot, pg_postmaster_start_time()::text as started,
			        localtimestamp::text as now`
		)
	).rows[0];
	let cursor: Cursor = {
		...parseSnapshot(first.snapshot),
		started: first.started,
		readAt: first.now
	};
	// Ids delivered lately, only consulted after a restart; kept for twice the overlap.
	const delivered = new Map<string, number>();
	let stopped = false;
	let reading: Promise<void> | undefined;
	let readAgain = false;
	let timer: NodeJS.Timeout | undefined;
	let idleMs = BUSY_READ_MS;
	let failures = 0;
	let resyncSent = false;

	const forgetOld = () => {
		const horizon = Date.now() - 2 * RESTART_OVERLAP_SECONDS * 1000;
		for (const [id, at] of delivered) {
			if (at >= horizon) break;
			delivered.delete(id);
		}
	};

	const read = async (): Promise<number> => {
		const { rows } = await db.query<ReadRow>(READ_SQL, [
			cursor.xmax,
			cursor.running,
			cursor.started,
			cursor.readAt,
			RESTART_OVERLAP_SECONDS
		]);
		const head = rows[0];
		const restarted = head.started !== cursor.started;
		let count = 0;
		for (const row of rows) {
			if (row.id === null || row.topic === null) continue;
			if (restarted && delivered.has(row.id)) continue;
			delivered.set(row.id, Date.now());
			count++;
			if (hub.wants && !hub.wants(row.topic, row.private === true)) continue;
			hub.broadcast(
				row.topic,
				row.private === true,
				row.event ?? '',
				{ json: row.payload ?? '{}' },
				{ id: row.id }
			);
		}
		cursor = { ...parseSnapshot(head.snapshot), started: head.started, readAt: head.now };
		forgetOld();
		return count;
	};

	const schedule = (ms: number) => {
		if (stopped) return;
		clearTimeout(timer);
		timer = setTimeout(startRead, ms);
		timer.unref();
	};

	const runRead = async () => {
		try {
			const count = await read();
			if (resyncSent) console.error('[realtime] reading broadcast messages again.');
			failures = 0;
			resyncSent = false;
			idleMs = count > 0 ? BUSY_READ_MS : Math.min(idleMs * 2, IDLE_READ_MS);
			schedule(idleMs);
		} catch (error) {
			if (stopped) return;
			failures++;
			const unavailable = isDatabaseUnavailable(error);
			if (!unavailable || failures === 1)
				console.error('[realtime] could not read broadcast messages:', (error as Error).message);
			// The rows stay until read; meanwhile subscribers learn theirs may be late.
			if (!resyncSent && (!unavailable || failures >= RESYNC_AFTER_FAILURES)) {
				resyncSent = true;
				hub.resyncAll(RESYNC_MESSAGE);
			}
			schedule(Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS));
		}
	};

	const startRead = () => {
		if (stopped) return;
		if (reading) {
			readAgain = true;
			return;
		}
		clearTimeout(timer);
		reading = runRead().finally(() => {
			reading = undefined;
			if (readAgain) {
				readAgain = false;
				if (failures === 0) startRead();
			}
		});
	};

	const cleanup = setInterval(() => {
		// Only rows of transactions finished before the previous read: those have been read.
		const { xmax, running } = cursor;
		db.query(
			`delete from realtime.messages
			 where inserted_at < localtimestamp - make_interval(secs => $1)
			   and xid < least($2::xid8, (select min(x) from unnest($3::xid8[]) x))`,
			[RETENTION_SECONDS, xmax, running]
		).catch((error) => {
			if (!stopped)
				console.error(
					'[realtime] could not delete old broadcast messages:',
					(error as Error).message
				);
		});
	}, CLEANUP_INTERVAL_MS);
	cleanup.unref();

	schedule(BUSY_READ_MS);

	return {
		// While reads fail, the retry timer alone decides when to try again.
		readSoon: () => {
			if (failures === 0) startRead();
		},
		async stop() {
			stopped = true;
			clearTimeout(timer);
			clearInterval(cleanup);
			await reading;
		}
	};
}
