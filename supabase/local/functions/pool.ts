import type { Worker } from './worker.ts';

/** Workers a function may run at once unless PARLEY_FUNCTION_WORKERS says otherwise. */
export const defaultPoolSize = 2;

/**
 * PARLEY_FUNCTION_WORKERS as a pool size: a whole number from 1, or the default when unset or
 * empty; anything else is refused with a sentence naming the variable.
 */
export function poolSizeFrom(value: string | undefined): number {
	if (value === undefined || value.trim() === '') return defaultPoolSize;
	const size = Number(value);
	if (!Number.isInteger(size) || size < 1) {
		throw new Error(
			`PARLEY_FUNCTION_WORKERS must be a whole number of Deno workers per function, 1 or more (it is "${value}").`
		);
	}
	return size;
}

/** One request's hold on a worker; `release` once its response is over (safe to call twice). */
export interface Lease {
	readonly worker: Worker;
	release(): void;
}

/** A worker of the pool, counted from the moment a request is routed to it, boot included. */
interface Slot {
	readonly starting: Promise<Worker>;
	worker?: Worker;
	inFlight: number;
	/** When it was last given a request: ties go to the one used last, whose caches are warm. */
	lastLeased: number;
}

/**
 * The Deno workers of one function, as the edge runtime runs several: a request goes to the ready
 * worker with the fewest requests in flight (of equals, the one used last, whose caches are warm).
 * The pool grows to `size` only when every worker is busy, so a function called one request at a
 * time runs in one process. A worker that exits leaves the pool alone (requests on the others
 * carry on) and the next busy moment starts its successor.
 */
export class WorkerPool {
	readonly #slots = new Set<Slot>();
	#leases = 0;
	#closed = false;

	constructor(
		private readonly size: number,
		private readonly start: () => Promise<Worker>
	) {}

	/** Process ids of the workers that are up, for logs and tests. */
	get pids(): number[] {
		return [...this.#slots].flatMap((slot) => (slot.worker?.pid ? [slot.worker.pid] : []));
	}

	/**
	 * A worker for one request: an idle ready one, else a new one while the pool has room, else
	 * the least busy. Before any worker is up it waits for the first to boot; it throws the boot
	 * error (BootError) only when no worker can serve.
	 */
	async acquire(): Promise<Lease> {
		if (this.#closed) throw new Error('The functions host is closing.');
		for (const slot of this.#slots) if (slot.worker && !slot.worker.alive) this.#slots.delete(slot);
		const ready = [...this.#slots].filter((slot) => slot.worker);
		const idle = leastBusy(ready.filter((slot) => slot.inFlight === 0));
		if (idle) return this.#lease(idle);
		if (this.#slots.size < this.size && (ready.length > 0 || this.#slots.size === 0)) {
			const slot = this.#grow();
			slot.inFlight++;
			try {
				await slot.starting;
			} catch (error) {
				slot.inFlight--;
				// A busy worker still serves; only with none is the boot failure the answer.
				const fallback = leastBusy([...this.#slots].filter((other) => other.worker?.alive));
				if (fallback) return this.#lease(fallback);
				throw error;
			}
			slot.inFlight--;
			return this.#lease(slot);
		}
		const leastLoaded = leastBusy(ready);
		if (leastLoaded) return this.#lease(leastLoaded);
		// Only workers still booting: wait for the first and take the least busy that is up (a
		// request that waited out one boot does not start another).
		const booting = [...this.#slots].map((slot) => slot.starting);
		await Promise.any(booting).catch((error: unknown) => {
			throw error instanceof AggregateError ? error.errors[0] : error;
		});
		const booted = leastBusy([...this.#slots].filter((slot) => slot.worker?.alive));
		return booted ? this.#lease(booted) : this.acquire();
	}

	/** Stops one worker (its requests failed) and drops it; the others keep serving. */
	async retire(worker: Worker): Promise<void> {
		for (const slot of this.#slots) if (slot.worker === worker) this.#slots.delete(slot);
		await worker.stop();
	}

	/** Stops every worker; requests after this are refused. */
	async close(): Promise<void> {
		this.#closed = true;
		const slots = [...this.#slots];
		this.#slots.clear();
		await Promise.all(
			slots.map((slot) => slot.starting.then((worker) => worker.stop()).catch(() => undefined))
		);
	}

	#grow(): Slot {
		const starting = this.start();
		const slot: Slot = { starting, inFlight: 0, lastLeased: 0 };
		this.#slots.add(slot);
		starting.then(
			(worker) => {
				slot.worker = worker;
				// Closed while it booted: nobody will route to it, so it goes at once.
				if (this.#closed || !this.#slots.has(slot)) void worker.stop();
				void worker.exited.then(() => this.#slots.delete(slot));
			},
			() => this.#slots.delete(slot)
		);
		return slot;
	}

	#lease(slot: Slot): Lease {
		slot.inFlight++;
		slot.lastLeased = ++this.#leases;
		let released = false;
		return {
			worker: slot.worker!,
			release() {
				if (released) return;
				released = true;
				slot.inFlight--;
			}
		};
	}
}

function leastBusy(slots: Slot[]): Slot | undefined {
	let best: Slot | undefined;
	for (const slot of slots) {
		if (
			!best ||
			slot.inFlight < best.inFlight ||
			(slot.inFlight === best.inFlight && slot.lastLeased > best.lastLeased)
		) {
			best = slot;
		}
	}
	return best;
}
