import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { ANON_KEY } from '../../supabase/local/keys.ts';
import { startGates, type Gates } from '../support/gates.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// The functions host runs several Deno workers per function, as the edge runtime does. The `hold`
// fixture answers its worker's pid at once and finishes when the test opens its gate, so the
// tests see which worker serves each overlapping request.

const fixtureSupabaseDir = fileURLToPath(
	new URL('../fixtures/functions/supabase', import.meta.url)
);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stackWithGates(
	functionWorkers?: number
): Promise<{ stack: TestStack; gates: Gates }> {
	const gates = await startGates();
	cleanups.push(() => gates.close());
	const stack = await startTestStack({ supabaseDir: fixtureSupabaseDir, functionWorkers });
	cleanups.push(() => stack.close());
	return { stack, gates };
}

/** A request to `hold`: the pid of the worker serving it, and the rest of its body to come. */
interface Held {
	pid: number;
	rest: Promise<string>;
}

async function hold(stack: TestStack, gate?: string): Promise<Held> {
	const query = gate ? `?gate=${encodeURIComponent(gate)}` : '';
	const response = await fetch(`${stack.url}/functions/v1/hold${query}`, {
		headers: { apikey: ANON_KEY, authorization: `Bearer ${ANON_KEY}` }
	});
	expect(response.status).toBe(200);
	const reader = response.body!.getReader();
	const decoder = new TextDecoder();
	let received = '';
	while (!received.includes('\n')) {
		const chunk = await reader.read();
		if (chunk.done) throw new Error(`the body ended before the pid: ${received}`);
		received += decoder.decode(chunk.value, { stream: true });
	}
	const [pid, ...after] = received.split('\n');
	const rest = (async () => {
		let tail = after.join('\n');
		for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
			tail += decoder.decode(chunk.value, { stream: true });
		}
		return tail;
	})();
	// A request the test lets fail must not fail the run before the test looks at it.
	rest.catch(() => undefined);
	return { pid: Number(pid), rest };
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

test('requests one at a time are served by one worker', async () => {
	const { stack } = await stackWithGates();
	const pids = new Set<number>();
	for (let i = 0; i < 3; i++) {
		const served = await hold(stack);
		expect(await served.rest).toBe('released\n');
		pids.add(served.pid);
	}
	expect(pids.size).toBe(1);
});

test('two overlapping requests run at the same time on two workers', async () => {
	const { stack, gates } = await stackWithGates();
	const first = await hold(stack, gates.url('first'));
	const second = await hold(stack, gates.url('second'));
	// Both handlers are waiting at their gates at once, each in its own process.
	await expect.poll(() => gates.arrived().sort()).toEqual(['first', 'second']);
	expect(second.pid).not.toBe(first.pid);
	expect([first.pid, second.pid].every(isAlive)).toBe(true);
	gates.open('first');
	gates.open('second');
	expect(await first.rest).toBe('released\n');
	expect(await second.rest).toBe('released\n');
}, 60_000);

test('a killed worker is replaced, the next request succeeds, and the other worker keeps its request', async () => {
	const { stack, gates } = await stackWithGates();
	const kept = await hold(stack, gates.url('kept'));
	const doomed = await hold(stack, gates.url('doomed'));
	await expect.poll(() => gates.arrived().sort()).toEqual(['doomed', 'kept']);
	process.kill(doomed.pid, 'SIGKILL');
	await expect.poll(() => isAlive(doomed.pid)).toBe(false);
	await expect(doomed.rest).rejects.toThrow();

	// The surviving worker is still busy, so this one boots the dead one's successor.
	const next = await hold(stack);
	expect(await next.rest).toBe('released\n');
	expect(next.pid).not.toBe(kept.pid);
	expect(next.pid).not.toBe(doomed.pid);

	gates.open('kept');
	expect(await kept.rest).toBe('released\n');
}, 60_000);

test('with one worker per function, overlapping requests share it', async () => {
	const { stack, gates } = await stackWithGates(1);
	const first = await hold(stack, gates.url('first'));
	const second = await hold(stack, gates.url('second'));
	await expect.poll(() => gates.arrived().sort()).toEqual(['first', 'second']);
	expect(second.pid).toBe(first.pid);
	gates.open('first');
	gates.open('second');
	expect(await first.rest).toBe('released\n');
	expect(await second.rest).toBe('released\n');
}, 60_000);

test('a caller who hangs up before the answer leaves the worker in service', async () => {
	const { stack, gates } = await stackWithGates(1);
	const before = await hold(stack);
	expect(await before.rest).toBe('released\n');

	const hangUp = new AbortController();
	const abandoned = fetch(
		`${stack.url}/functions/v1/hold?wait=${encodeURIComponent(gates.url('abandoned'))}`,
		{ headers: { apikey: ANON_KEY, authorization: `Bearer ${ANON_KEY}` }, signal: hangUp.signal }
	);
	await expect.poll(() => gates.arrived()).toEqual(['abandoned']);
	hangUp.abort();
	await expect(abandoned).rejects.toThrow();

	// The same worker answers next: it was not retired for the caller's leaving.
	const after = await hold(stack);
	expect(await after.rest).toBe('released\n');
	expect(after.pid).toBe(before.pid);
	gates.open('abandoned');
}, 60_000);
