import { isDatabaseUnavailable, type Db } from '../db.ts';
import type { RealtimeHub } from './hub.ts';

/** Where database broadcasts go: the hub itself, or the process that owns the sockets. */
export type BroadcastTarget = Pick<RealtimeHub, 'broadcast' | 'resyncAll'> & {
	/** Whether anyone has the topic open (default: every topic is wanted). */
	wants?(topic: string, isPrivate: boolean): boolean;
};

/** What the reader hands back: ask it to read now, and stop it. */
export interface DatabaseBroadcasts {
	/**
	 * Something was just written: reads committed rows once the current read (if any) has ended and
	 * MIN_READ_GAP_MS has passed since the last one started.
	 */
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
 * Reads start at least this far apart, asked or not: under a burst of requests one read takes the
 * rows of several instead of one each, at the cost of a few milliseconds.
 */
const MIN_READ_GAP_MS = 5;

/** Retries of reads that failed: 100 ms doubling to 5 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
/** Clients are told to fetch current state again when reads still fail after this many tries. */
const RESYNC_AFTER_FAILURES = 8;
/**
 * Unread rows are kept for their transaction however long it runs, up to this: the snapshot's
 * oldest running transaction is the whole server's, so an idle session in any database would
 * otherwise stop every delete.
 */
const UNREAD_KEPT_SECONDS = 3600;

/** What clients on every topic are told when broadcasts may be missing or late. */
export const RESYNC_MESSAGE =
	'Realtime lost its database connection and may have missed messages on this Channel topic; fetch its current state again.';

interface HeadRow {
	snapshot: string;
	id: string | null;
	inserted_at: string | null;
	topic: string | null;
	private: boolean | null;
	seq: string | null;
}

/** Where the previous read left off. */
interface Cursor {
	/** Every transaction id at or above this one had not finished. */
	xmax: string;
	/** The ids below `xmax` still running. */
	running: string[];
	/** The highest `seq` read. */
	seq: string;
}

/** `pg_current_snapshot()` as text is `xmin:xmax:xip,xip,...`. */
function parseSnapshot(text: string): { xmax: string; running: string[] } {
	const [, xmax, running] = text.split(':');
	return { xmax, running: running ? running.split(',') : [] };
}

/**
 * One statement, so the rows are exactly those its snapshot shows. A row whose `xid` is not below
 * the snapshot's xmax was not written by a finished transaction (it was given by hand): never read.
 * After a lost session, rows written after the highest `seq` read are read too: a server that
 * crashed can hand the id of an aborted transaction whose WAL never reached the disk to a new one,
 * which the id test alone would take for a transaction already read; a sequence never goes back
 * past a value whose row committed.
 */
const headSql = (afterLoss: boolean) => `
	select s.snapshot::text as snapshot, m.id::text as id, m.inserted_at::text as inserted_at,
	       m.topic, m.private, m.seq::text as seq
	from (select pg_current_snapshot() as snapshot) s
	left join lateral (
		select m.id, m.inserted_at, m.topic, m.private, m.seq
		from realtime.messages m
		where m.extension = 'broadcast' and m.xid < pg_snapshot_xmax(s.snapshot)
		  and (m.xid >= $1::xid8 or m.xid = any($2::xid8[])${afterLoss ? ' or m.seq > $3::bigint' : ''})
	) m on true
	order by m.seq`;

/**
 * The bodies of the rows somebody wants, read only then: most rows are for topics nobody has open.
 * A row is its id and time (realtime.send takes the id from the payload, so an id can recur).
 */
const BODIES_SQL = `
	select k.position, m.event, m.payload::text as payload
	from unnest($1::uuid[], $2::timestamp[]) with ordinality as k(id, inserted_at, position)
	join realtime.messages m on m.id = k.id and m.inserted_at = k.inserted_at`;

/**
 * Delivers broadcast rows (realtime.send, realtime.broadcast_changes) to subscribers once they
 * commit, in the order they were written. Each read asks, in one statement, for the snapshot it
 * runs in and the rows of every transaction that had not finished at the previous read and is
 * visible now. A transaction finishes once, so each row is read once, however late it commits;
 * nothing depends on a session staying up, so a lost connection only delays rows. Rows are
 * deleted only once read.
 *
 * Writers pay nothing for this beyond the row: no NOTIFY, so their commits need not queue one
 * behind another. Writes through the stack's API call `readSoon`; others (SQL sessions, scheduled
 * jobs) are found by the next timed read.
 */
export async function deliverDatabaseBroadcasts(
	db: Db,
	hub: BroadcastTarget
): Promise<DatabaseBroadcasts> {
	const losses = () => db.connectionLosses;
	let seenLosses = losses();
	const first = (
		await db.query<{ snapshot: string; seq: string }>(
			`select pg_current_snapshot()::text as snapshot,
			        coalesce((select max(seq) from realtime.messages), 0)::text as seq`
		)
	).rows[0];
	let cursor: Cursor = { ...parseSnapshot(first.snapshot), seq: first.seq };
	let stopped = false;
	let reading: Promise<void> | undefined;
	let readAgain = false;
	let timer: NodeJS.Timeout | undefined;
	let idleMs = BUSY_READ_MS;
	let failures = 0;
	let resyncSent = false;

	const read = async (): Promise<number> => {
		const lossesNow = losses();
		const afterLoss = lossesNow !== seenLosses;
		const { rows } = await db.query<HeadRow>(
			headSql(afterLoss),
			afterLoss ? [cursor.xmax, cursor.running, cursor.seq] : [cursor.xmax, cursor.running]
		);
		const found = rows.filter((row) => row.id !== null && row.topic !== null);
		const wanted = found.filter((row) => !hub.wants || hub.wants(row.topic!, row.private === true));
		if (wanted.length > 0) {
			const { rows: bodies } = await db.query<{
				position: string;
				event: string | null;
				payload: string | null;
			}>(BODIES_SQL, [wanted.map((row) => row.id), wanted.map((row) => row.inserted_at)]);
			const byPosition = new Map(bodies.map((body) => [Number(body.position), body]));
			wanted.forEach((row, index) => {
				const body = byPosition.get(index + 1);
				if (!body) return;
				hub.broadcast(
					row.topic!,
					row.private === true,
					body.event ?? '',
					{ json: body.payload ?? '{}' },
					{ id: row.id! }
				);
			});
		}
		let seq = cursor.seq;
		for (const row of found) if (BigInt(row.seq!) > BigInt(seq)) seq = row.seq!;
		cursor = { ...parseSnapshot(rows[0].snapshot), seq };
		seenLosses = lossesNow;
		return found.length;
	};

	let dueAt = Infinity;
	let lastStart = -Infinity;

	/** Reads in `ms` (or once the gap since the last read is over), unless one is due sooner. */
	const schedule = (ms: number) => {
		if (stopped) return;
		if (reading) {
			readAgain = true;
			return;
		}
		const at = Math.max(performance.now() + ms, lastStart + MIN_READ_GAP_MS);
		if (timer && dueAt <= at) return;
		setTimer(at - performance.now(), at);
	};

	const setTimer = (ms: number, at = performance.now() + ms) => {
		clearTimeout(timer);
		dueAt = at;
		timer = setTimeout(
			() => {
				timer = undefined;
				dueAt = Infinity;
				startRead();
			},
			Math.max(0, ms)
		);
		timer.unref();
	};

	/** One read; gives the delay before the next timed one, or undefined when a retry is set. */
	const runRead = async (): Promise<number | undefined> => {
		try {
			const count = await read();
			if (resyncSent) console.error('[realtime] reading broadcast messages again.');
			failures = 0;
			resyncSent = false;
			idleMs = count > 0 ? BUSY_READ_MS : Math.min(idleMs * 2, IDLE_READ_MS);
			return idleMs;
		} catch (error) {
			if (stopped) return undefined;
			failures++;
			const unavailable = isDatabaseUnavailable(error);
			if (!unavailable || failures === 1)
				console.error('[realtime] could not read broadcast messages:', (error as Error).message);
			// The rows stay until read; meanwhile subscribers learn theirs may be late.
			if (!resyncSent && (!unavailable || failures >= RESYNC_AFTER_FAILURES)) {
				resyncSent = true;
				hub.resyncAll(RESYNC_MESSAGE);
			}
			setTimer(Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS));
			return undefined;
		}
	};

	const startRead = () => {
		if (stopped) return;
		if (reading) {
			readAgain = true;
			return;
		}
		clearTimeout(timer);
		timer = undefined;
		dueAt = Infinity;
		lastStart = performance.now();
		reading = runRead().then((next) => {
			reading = undefined;
			const asked = readAgain;
			readAgain = false;
			if (next !== undefined) schedule(asked ? 0 : next);
		});
	};

	const cleanup = setInterval(() => {
		// Rows of transactions finished before the previous read have been read.
		const { xmax, running } = cursor;
		db.query(
			`delete from realtime.messages
			 where inserted_at < localtimestamp - make_interval(secs => $1)
			   and (xid < least($2::xid8, (select min(x) from unnest($3::xid8[]) x))
			        or inserted_at < localtimestamp - make_interval(secs => $4))`,
			[RETENTION_SECONDS, xmax, running, UNREAD_KEPT_SECONDS]
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
			if (failures === 0) schedule(0);
		},
		async stop() {
			stopped = true;
			clearTimeout(timer);
			clearInterval(cleanup);
			await reading;
		}
	};
}
