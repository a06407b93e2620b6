import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../supabase/local/db.ts';
import { scheduledJobs, startScheduler } from '../../supabase/local/scheduler.ts';

// The local stack's stand-in for pg_cron: its jobs run on timers, one run of each at a time.

afterEach(() => {
	vi.useRealTimers();
});

/** A database that records what it was asked and answers when told to. */
function recordingDb() {
	const asked: string[] = [];
	const pending: (() => void)[] = [];
	const db = {
		query: (sql: string) => {
			asked.push(sql);
			return new Promise((done) => pending.push(() => done({ rows: [], affectedRows: 0 })));
		}
	} as unknown as Db;
	return { db, asked, answer: () => pending.splice(0).forEach((done) => done()) };
}

describe('the local scheduler', () => {
	it('wakes snoozed conversations and folds queued message counts, each job left out when turned off', () => {
		expect(scheduledJobs({ snoozeWakeEveryMs: 60_000, volumeFoldEveryMs: 10_000 })).toEqual([
			{
				name: 'wake-snoozed-conversations',
				sql: 'select private.wake_snoozed_conversations()',
				everyMs: 60_000
			},
			{
				name: 'fold-message-volume',
				sql: 'call private.fold_all_message_volume()',
				everyMs: 10_000
			}
		]);
		expect(scheduledJobs({ snoozeWakeEveryMs: 0, volumeFoldEveryMs: 10_000 })).toEqual([
			{
				name: 'fold-message-volume',
				sql: 'call private.fold_all_message_volume()',
				everyMs: 10_000
			}
		]);
		expect(scheduledJobs({ snoozeWakeEveryMs: 0, volumeFoldEveryMs: 0 })).toEqual([]);
	});

	it('runs a job on its interval, skips a tick while a run is under way, and stops', async () => {
		vi.useFakeTimers();
		const { db, asked, answer } = recordingDb();
		const stop = startScheduler(
			db,
			scheduledJobs({ snoozeWakeEveryMs: 1000, volumeFoldEveryMs: 0 })
		);
		expect(asked).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(1000);
		expect(asked).toEqual(['select private.wake_snoozed_conversations()']);
		// The first run has not answered: the next tick does not start a second one.
		await vi.advanceTimersByTimeAsync(1000);
		expect(asked).toHaveLength(1);
		answer();
		await vi.advanceTimersByTimeAsync(1000);
		expect(asked).toHaveLength(2);
		const stopped = stop();
		answer();
		await stopped;
		await vi.advanceTimersByTimeAsync(5000);
		expect(asked).toHaveLength(2);
	});
});
