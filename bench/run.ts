/**
 * `npm run bench`: starts what each benchmark needs, runs it, prints one table and writes the
 * figures to bench/results/<time>.json. PostgreSQL figures need PARLEY_BENCH_DATABASE_URL (a server
 * where scratch databases may be created); PGlite is always measured.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { measureRealtimeLatency, type RealtimeLatencyResult } from './realtime-latency.ts';

interface Row {
	benchmark: string;
	database: string;
	figure: string;
	goal: string;
	met: string;
}

const databaseServer = process.env.PARLEY_BENCH_DATABASE_URL || undefined;
const targets: Array<string | undefined> = [undefined, ...(databaseServer ? [databaseServer] : [])];

const rows: Row[] = [];
const results: Record<string, RealtimeLatencyResult> = {};
for (const server of targets) {
	const result = await measureRealtimeLatency({ databaseServer: server });
	results[`realtime-${result.database}`] = result;
	rows.push({
		benchmark: `commit → broadcast at ${result.subscribers} sockets (${result.inserts} inserts)`,
		database: result.database,
		figure: `p50 ${result.p50Ms} ms · p99 ${result.p99Ms} ms · ${result.delivered}/${result.expected} delivered`,
		goal: 'p99 ≤ 100 ms, all delivered',
		met: result.p99Ms <= 100 && result.delivered === result.expected ? 'yes' : 'NO'
	});
}
if (!databaseServer) {
	console.log('PARLEY_BENCH_DATABASE_URL is not set: PostgreSQL figures are skipped.');
}

console.table(rows);
await mkdir('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(
	file,
	JSON.stringify({ at: new Date().toISOString(), rows, results }, null, 2) + '\n'
);
console.log(`Figures written to ${file}`);
