/**
 * `npm run stack`: the local Supabase-compatible stack on embedded defaults.
 * Writes .parley/stack.json for the app and tools; Ctrl-C stops everything it started.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PortInUseError, startStack, type Stack } from './stack.ts';

export interface StackInfo {
	supabaseUrl: string;
	anonKey: string;
	serviceRoleKey: string;
	database: string;
	mailboxUrl: string;
}

/** Starts the stack as `npm run stack` and `npm run dev` do, and records where it listens. */
export async function runStack(
	options: { dev?: boolean; stateDir?: string } = {}
): Promise<{ stack: Stack; info: StackInfo }> {
	// PARLEY_DATA_DIR lets end-to-end runs keep their database and stack.json away from the developer's.
	const stateDir = resolve(options.stateDir ?? (process.env.PARLEY_DATA_DIR || '.parley'));
	const databaseUrl = process.env.DATABASE_URL || undefined;
	await mkdir(stateDir, { recursive: true });
	const stack = await startStack({
		port: Number(process.env.PARLEY_STACK_PORT ?? 54321),
		databaseUrl,
		dataDir: databaseUrl ? undefined : resolve(stateDir, 'db'),
		dev: options.dev
	});
	const info: StackInfo = {
		supabaseUrl: stack.url,
		anonKey: stack.anonKey,
		serviceRoleKey: stack.serviceRoleKey,
		database: databaseUrl ? 'postgresql (DATABASE_URL)' : `pglite (${resolve(stateDir, 'db')})`,
		mailboxUrl: `${stack.url}/_parley/mailbox`
	};
	await writeFile(resolve(stateDir, 'stack.json'), JSON.stringify(info, null, 2) + '\n');
	return { stack, info };
}

/** Closes the stack on Ctrl-C or SIGTERM, once. */
export function stopOnSignal(stop: () => Promise<void>): void {
	let stopping = false;
	const onSignal = () => {
		if (stopping) return;
		stopping = true;
		stop().finally(() => process.exit(0));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		const { stack, info } = await runStack();
		console.log('Local Supabase stack is up:');
		for (const [key, value] of Object.entries(info)) console.log(`  ${key.padEnd(15)} ${value}`);
		stopOnSignal(() => stack.close());
	} catch (error) {
		console.error(error instanceof PortInUseError ? `Cannot start: ${error.message}` : error);
		process.exit(1);
	}
}
