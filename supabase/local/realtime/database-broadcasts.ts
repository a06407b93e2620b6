import type { Db } from '../db.ts';
import type { RealtimeHub } from './hub.ts';

/** The channel bootstrap.sql's trigger notifies with `<id> <inserted_at>` after each broadcast row commits. */
export const MESSAGES_CHANNEL = 'parley_realtime';

/** Supabase keeps broadcast rows for days; we keep them only long enough to have been delivered. */
const RETENTION = '5 minutes';
const CLEANUP_INTERVAL_MS = 60_000;
const BATCH_SIZE = 500;

interface MessageRow {
	id: string;
	topic: string;
	event: string | null;
	private: boolean | null;
	payload: string | null;
}

/**
 * Delivers broadcast rows (realtime.send, realtime.broadcast_changes) to subscribers after they
 * commit. Notifications only queue ids; the rows are read in batches (many notifies, one query), so
 * a burst of writes never waits on delivery or on sockets.
 */
export async function deliverDatabaseBroadcasts(
	db: Db,
	hub: RealtimeHub
): Promise<() => Promise<void>> {
	const queued: { id: string; insertedAt: string }[] = [];
	let draining: Promise<void> | undefined;
	let stopped = false;

	const drain = async () => {
		while (queued.length > 0 && !stopped) {
			const batch = queued.splice(0, BATCH_SIZE);
			try {
				const { rows } = await db.query<MessageRow>(
					`select m.id::text as id, m.topic, m.event, m.private, m.payload::text as payload
					 from unnest($1::uuid[], $2::timestamp[]) with ordinality as k(id, inserted_at, position)
					 join realtime.messages m on m.id = k.id and m.inserted_at = k.inserted_at
					 order by k.position`,
					[batch.map((entry) => entry.id), batch.map((entry) => entry.insertedAt)]
				);
				for (const row of rows) {
					hub.broadcast(
						row.topic,
						row.private === true,
						row.event ?? '',
						{ json: row.payload ?? '{}' },
						{ id: row.id }
					);
				}
			} catch (error) {
				if (!stopped)
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

	const unlisten = await db.listen(MESSAGES_CHANNEL, (notification) => {
		const space = notification.indexOf(' ');
		if (space < 0) return;
		queued.push({ id: notification.slice(0, space), insertedAt: notification.slice(space + 1) });
		startDraining();
	});

	const cleanup = setInterval(() => {
		db.query(
			`delete from realtime.messages where inserted_at < now() - interval '${RETENTION}'`
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
	};
}
