import { describe, expect, it } from 'vitest';
import { poolSizeFrom, WorkerPool } from '../../../supabase/local/functions/pool.ts';
import { BootError, type Worker } from '../../../supabase/local/functions/worker.ts';

/** A stand-in for a Deno worker whose boot and exit the test decides. */
interface FakeWorker extends Worker {
	exit(): void;
}

function fakeWorker(pid: number): FakeWorker {
	let alive = true;
	let markExited = () => {};
	const exited = new Promise<void>((done) => (markExited = done));
	const exit = () => {
		alive = false;
		markExited();
	};
	return {
		port: 10_000 + pid,
		pid,
		get alive() {
			return alive;
		},
		exited,
		exit,
		async stop() {
			exit();
		}
	};
}

/** A pool whose workers boot when the test says so (`boot`) or fail to (`fail`). */
function controlledPool(size: number) {
	const boots: { resolve(worker: Worker): void; reject(error: Error): void }[] = [];
	const workers: FakeWorker[] = [];
	const pool = new WorkerPool(
		size,
		() => new Promise<Worker>((resolve, reject) => boots.push({ resolve, reject }))
	);
	const settle = async () => {
		// Lets the pool's promise callbacks run, so it has asked for whatever boots it needs.
		for (let i = 0; i < 5; i++) await Promise.resolve();
	};
	return {
		pool,
		workers,
		/** Boots asked for so far. */
		get started() {
			return boots.length;
		},
		async boot(index: number): Promise<FakeWorker> {
			await settle();
			const worker = fakeWorker(index + 1);
			workers[index] = worker;
			boots[index].resolve(worker);
			return worker;
		},
		async fail(index: number): Promise<void> {
			await settle();
			boots[index].reject(new BootError(`worker ${index + 1} did not listen`));
		},
		settle
	};
}

/** A pool whose workers boot at once. */
function instantPool(size: number) {
	const workers: FakeWorker[] = [];
	const pool = new WorkerPool(size, async () => {
		const worker = fakeWorker(workers.length + 1);
		workers.push(worker);
		return worker;
	});
	return { pool, workers };
}

describe('worker pool', () => {
	it('keeps one worker while requests come one at a time', async () => {
		const { pool, workers } = instantPool(2);
		for (let i = 0; i < 3; i++) {
			const lease = await pool.acquire();
			expect(lease.worker.pid).toBe(1);
			lease.release();
		}
		expect(workers).toHaveLength(1);
	});

	it('starts a second worker for a request that overlaps a busy one', async () => {
		const { pool, workers } = instantPool(2);
		const first = await pool.acquire();
		const second = await pool.acquire();
		expect([first.worker.pid, second.worker.pid]).toEqual([1, 2]);
		expect(workers).toHaveLength(2);
		expect(pool.pids.sort()).toEqual([1, 2]);
	});

	it('never grows past its size: a full pool sends the next request to the least busy worker', async () => {
		const { pool, workers } = instantPool(2);
		await pool.acquire();
		await pool.acquire();
		// Both busy with one: the tie goes to the worker used last.
		expect((await pool.acquire()).worker.pid).toBe(2);
		// Worker 2 has two in flight now, worker 1 one.
		expect((await pool.acquire()).worker.pid).toBe(1);
		expect(workers).toHaveLength(2);
	});

	it('after a busy moment, requests one at a time stay on the worker used last', async () => {
		const { pool } = instantPool(2);
		const first = await pool.acquire();
		const second = await pool.acquire();
		first.release();
		second.release();
		const pids: (number | undefined)[] = [];
		for (let i = 0; i < 3; i++) {
			const lease = await pool.acquire();
			pids.push(lease.worker.pid);
			lease.release();
		}
		expect(pids).toEqual([2, 2, 2]);
	});

	it('a lease released twice counts once, so its worker still looks as busy as it is', async () => {
		const { pool } = instantPool(2);
		const first = await pool.acquire();
		await pool.acquire();
		first.release();
		first.release();
		// Worker 1 is idle and worker 2 has one in flight; had the second release counted, worker 1
		// would look idle after two more and get the third as well.
		const pids: (number | undefined)[] = [];
		for (let i = 0; i < 3; i++) pids.push((await pool.acquire()).worker.pid);
		expect(pids).toEqual([1, 1, 2]);
	});

	it('requests that arrive while the first worker boots wait for it instead of booting more', async () => {
		const control = controlledPool(2);
		const leases = Promise.all([control.pool.acquire(), control.pool.acquire()]);
		await control.settle();
		expect(control.started).toBe(1);
		await control.boot(0);
		expect((await leases).map((lease) => lease.worker.pid)).toEqual([1, 1]);
	});

	it('a worker that exits leaves the pool; the other keeps its request and the next busy moment boots a successor', async () => {
		const { pool, workers } = instantPool(2);
		const held = await pool.acquire();
		const other = await pool.acquire();
		other.release();
		workers[1].exit();
		await Promise.resolve();
		expect(pool.pids).toEqual([1]);
		// Worker 1 is still busy with `held`, so the next request gets a fresh worker.
		const next = await pool.acquire();
		expect(next.worker.pid).toBe(3);
		expect(held.worker.alive).toBe(true);
		expect(pool.pids.sort()).toEqual([1, 3]);
	});

	it('a retired worker is stopped and not chosen again', async () => {
		const { pool } = instantPool(2);
		const first = await pool.acquire();
		const second = await pool.acquire();
		second.release();
		await pool.retire(second.worker);
		expect(second.worker.alive).toBe(false);
		first.release();
		expect((await pool.acquire()).worker.pid).toBe(1);
	});

	it('a second worker that fails to boot leaves the request with the busy first one', async () => {
		const control = controlledPool(2);
		const firstLease = control.pool.acquire();
		await control.boot(0);
		await firstLease;
		const second = control.pool.acquire();
		await control.fail(1);
		expect((await second).worker.pid).toBe(1);
	});

	it('with no worker able to boot, the request gets the boot error, and the next one tries again', async () => {
		const control = controlledPool(2);
		const first = control.pool.acquire();
		await control.fail(0);
		await expect(first).rejects.toBeInstanceOf(BootError);
		const second = control.pool.acquire();
		await control.boot(1);
		expect((await second).worker.pid).toBe(2);
	});

	it('closing stops every worker, one still booting included, and refuses new requests', async () => {
		const control = controlledPool(2);
		const first = control.pool.acquire();
		const running = await control.boot(0);
		await first;
		const second = control.pool.acquire();
		await control.settle();
		const closed = control.pool.close();
		const late = await control.boot(1);
		await closed;
		await second.catch(() => undefined);
		expect([running.alive, late.alive]).toEqual([false, false]);
		await expect(control.pool.acquire()).rejects.toThrow('closing');
	});
});

describe('PARLEY_FUNCTION_WORKERS', () => {
	it('defaults to two workers per function when unset or empty', () => {
		expect(poolSizeFrom(undefined)).toBe(2);
		expect(poolSizeFrom(' ')).toBe(2);
	});

	it('takes a whole number from one', () => {
		expect(poolSizeFrom('1')).toBe(1);
		expect(poolSizeFrom('4')).toBe(4);
	});

	it('refuses anything else with a sentence naming the variable', () => {
		for (const value of ['0', '-1', '1.5', 'two']) {
			expect(() => poolSizeFrom(value)).toThrow(
				`PARLEY_FUNCTION_WORKERS must be a whole number of Deno workers per function, 1 or more (it is "${value}").`
			);
		}
	});
});
