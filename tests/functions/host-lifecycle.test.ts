import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';

const fixtureSupabaseDir = fileURLToPath(
	new URL('../fixtures/functions/supabase', import.meta.url)
);

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stackOver(supabaseDir: string, dev = false): Promise<TestStack> {
	const stack = await startTestStack({ supabaseDir, dev });
	cleanups.push(() => stack.close());
	return stack;
}

test('closing the stack ends every function worker', async () => {
	const stack = await startTestStack({ supabaseDir: fixtureSupabaseDir });
	const echo = await stack.client().functions.invoke<{ pid: number }>('echo');
	const crash = await stack.client().functions.invoke<{ pid: number }>('crash', { method: 'GET' });
	const pids = [echo.data!.pid, crash.data!.pid];
	expect(pids.every(isAlive)).toBe(true);
	await stack.close();
	expect(pids.map(isAlive)).toEqual([false, false]);
});

test('workers die when the host process is killed outright', async () => {
	const host = spawn(
		process.execPath,
		[
			'--import',
			'tsx',
			fileURLToPath(new URL('../fixtures/functions/orphaned-host.ts', import.meta.url))
		],
		{
			stdio: ['ignore', 'pipe', 'inherit']
		}
	);
	let output = '';
	host.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	await new Promise((done) => host.once('exit', done));
	const pid = Number(output.trim());
	expect(pid).toBeGreaterThan(0);
	await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
}, 60_000);

test('in dev mode a change to a function or to _shared is served on the next request', async () => {
	const supabaseDir = await mkdtemp(join(tmpdir(), 'parley-functions-'));
	cleanups.push(() => rm(supabaseDir, { recursive: true, force: true }));
	const functionsDir = join(supabaseDir, 'functions');
	await mkdir(join(functionsDir, '_shared'), { recursive: true });
	await mkdir(join(functionsDir, 'version'));
	await writeFile(
		join(functionsDir, '_shared', 'label.ts'),
		"export const label = 'shared one';\n"
	);
	const writeFunction = (greeting: string) =>
		writeFile(
			join(functionsDir, 'version', 'index.ts'),
			`import { label } from '../_shared/label.ts';\nDeno.serve(() => Response.json({ greeting: '${greeting}', label }));\n`
		);
	await writeFunction('first');
	const stack = await stackOver(supabaseDir, true);
	const version = async () => (await stack.client().functions.invoke('version')).data;

	expect(await version()).toEqual({ greeting: 'first', label: 'shared one' });
	await writeFunction('second');
	await expect
		.poll(version, { timeout: 15_000 })
		.toEqual({ greeting: 'second', label: 'shared one' });
	await writeFile(
		join(functionsDir, '_shared', 'label.ts'),
		"export const label = 'shared two';\n"
	);
	await expect
		.poll(version, { timeout: 15_000 })
		.toEqual({ greeting: 'second', label: 'shared two' });
});
