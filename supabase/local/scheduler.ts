import { isDatabaseUnavailable, type Db } from './db.ts';

/**
 * The local stack's stand-in for pg_cron: SQL that hosted Supabase runs on a schedule (the
 * migrations schedule it there when pg_cron is present) runs here on a timer instead.
 */
export interface ScheduledJob {
	name: string;
	sql: string;
	everyMs: number;
}

/** The jobs the migrations give pg_cron, at the same names; an interval of 0 leaves its job out. */
export function scheduledJobs(intervals: {
	snoozeWakeEveryMs: number;
	volumeFoldEveryMs: number;
}): ScheduledJob[] {
	const jobs: ScheduledJob[] = [
		{
			// 20261204100100_conversation_snooze.sql
			name: 'wake-snoozed-conversations',
			sql: 'select private.wake_snoozed_conversations()',
			everyMs: intervals.snoozeWakeEveryMs
		},
		{
			// 20261206800000_report_volume_queue.sql
			name: 'fold-message-volume',
			sql: 'call private.fold_all_message_volume()',
			everyMs: intervals.volumeFoldEveryMs
		}
	];
	return jobs.filter((job) => job.everyMs > 0);
}

/**
 * Runs each job every `everyMs`, one run at a time per job; a failed run is logged and the next
 * one tries again. Returns a stop function that waits for a run under way.
 */
export function startScheduler(db: Db, jobs: ScheduledJob[]): () => Promise<void> {
	const running = new Set<Promise<unknown>>();
	const timers = jobs.map((job) => {
		let busy = false;
		const timer = setInterval(() => {
			if (busy) return;
			busy = true;
			const run = db
				.query(job.sql)
				.catch((error: unknown) => {
					if (!isDatabaseUnavailable(error)) console.error(`[scheduler] ${job.name}:`, error);
				})
				.finally(() => {
					busy = false;
					running.delete(run);
				});
			running.add(run);
		}, job.everyMs);
		timer.unref();
		return timer;
	});
	return async () => {
		for (const timer of timers) clearInterval(timer);
		await Promise.all(running);
	};
}
