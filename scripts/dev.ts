/**
 * `npm run dev`: the local Supabase-compatible stack (unless PUBLIC_SUPABASE_URL and
 * PUBLIC_SUPABASE_ANON_KEY point at a hosted project) and the SvelteKit app under `vite dev`.
 *
 * `--e2e` runs the same thing for the end-to-end tests: the stack on a free port over a throwaway
 * database (a temp PGlite directory, or a fresh database on PARLEY_TEST_DATABASE_URL), never the
 * developer's `.parley/`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runStack } from './stack.ts';
import { PortInUseError, type Stack } from '../supabase/local/stack.ts';

const DEMO_ACCOUNTS = ['owner@parley.local', 'admin@parley.local', 'agent@parley.local'];
const DEMO_PASSWORD = 'parley-demo';

const e2e = process.argv.includes('--e2e');
const appPort = Number(process.env.PARLEY_APP_PORT || 5173);

/** What must be undone on the way out, in reverse order of starting. */
const cleanups: Array<() => Promise<void>> = [];
let vite: ChildProcess | undefined;
let stopping = false;

/** Stops vite, the stack and anything temporary, once, then exits with `code`. */
async function shutdown(code: number): Promise<never> {
	if (!stopping) {
		stopping = true;
		if (vite && vite.exitCode === null && vite.signalCode === null) {
			const exited = new Promise((done) => vite?.once('exit', done));
			vite.kill('SIGTERM');
			await exited;
		}
		for (const cleanup of cleanups.reverse()) {
			await cleanup().catch((error: unknown) => console.error(error));
		}
	}
	process.exit(code);
}

/** Resolves when nothing listens on `port`, so a taken port is reported before anything starts. */
function assertPortFree(port: number): Promise<void> {
	return new Promise((done, fail) => {
		const probe = createServer();
		probe.once('error', (error: NodeJS.ErrnoException) =>
			fail(
				error.code === 'EADDRINUSE'
					? new PortInUseError(
							`port ${port} is already in use (another \`npm run dev\`?); stop it or set PARLEY_APP_PORT`
						)
					: error
			)
		);
		probe.listen(port, () => probe.close(() => done()));
	});
}

/** Resolves once something accepts connections on localhost:`port`. */
async function waitForPort(port: number, child: ChildProcess): Promise<void> {
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null)
			throw new Error('vite stopped before it was ready.');
		const open = await new Promise<boolean>((done) => {
			const socket = new Socket();
			socket.once('connect', () => (socket.destroy(), done(true)));
			socket.once('error', () => (socket.destroy(), done(false)));
			socket.connect(port, 'localhost');
		});
		if (open) return;
		await new Promise((done) => setTimeout(done, 200));
	}
}

/** For end-to-end runs on PostgreSQL: a fresh database that is dropped afterwards. */
async function createThrowawayDatabase(serverUrl: string): Promise<string> {
	const name = `parley_e2e_${randomBytes(6).toString('hex')}`;
	const admin = new pg.Client({ connectionString: serverUrl });
	await admin.connect();
	await admin.query(`create database ${name}`);
	await admin.end();
	cleanups.push(async () => {
		const client = new pg.Client({ connectionString: serverUrl });
		await client.connect();
		await client.query(`drop database if exists ${name} with (force)`);
		await client.end();
	});
	const url = new URL(serverUrl);
	url.pathname = `/${name}`;
	return url.toString();
}

/** Starts the local stack the way `npm run stack` does (or a throwaway one for `--e2e`). */
async function startLocalStack(): Promise<{
	stack: Stack;
	/** Where an end-to-end run's stack keeps its state and stack.json; undefined for `.parley/`. */
	stateDir: string | undefined;
	mailboxUrl: string;
	phoneUrl: string;
	demoAccounts: string[];
}> {
	let stateDir: string | undefined;
	if (e2e) {
		stateDir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
		const dir = stateDir;
		cleanups.push(() => rm(dir, { recursive: true, force: true }));
		process.env.PARLEY_STACK_PORT ||= '0';
		process.env.PARLEY_SANDBOX_PORT ||= '0';
		const testServer = process.env.PARLEY_TEST_DATABASE_URL;
		process.env.DATABASE_URL = testServer ? await createThrowawayDatabase(testServer) : '';
	}
	const { stack, info } = await runStack({ dev: !e2e, stateDir });
	cleanups.push(() => stack.close());
	// A database made before the seed existed has no demo people; say so rather than list them.
	const { rows } = await stack.db.query<{ email: string }>(
		'select email from auth.users where email = any($1)',
		[DEMO_ACCOUNTS]
	);
	const present = new Set(rows.map((row) => row.email));
	return {
		stack,
		stateDir,
		mailboxUrl: info.mailboxUrl,
		phoneUrl: info.sandbox.phoneUrl,
		demoAccounts: DEMO_ACCOUNTS.filter((email) => present.has(email))
	};
}

/**
 * Fills Deno's cache with what every function imports (as `npm install` does), so no function's
 * first call waits on a download even when the install skipped its scripts or `.parley/` is new.
 * Quick when the cache is already full; says why and goes on when it cannot download.
 */
function cacheFunctionDependencies(): Promise<void> {
	return new Promise((done) => {
		const child = spawn('bash', ['scripts/cache-functions.sh', '--quiet'], { stdio: 'inherit' });
		child.once('exit', () => done());
		child.once('error', (error) => {
			console.error(`Edge Function dependencies were not cached (${error.message}).`);
			done();
		});
	});
}

/**
 * Asks for the sign-in page once, so the server-side runtime, the hooks and the root layout are
 * compiled and loaded before anyone opens the app (vite's warmup compiles the rest; see
 * vite.config.ts). A failure here is the first request's to report, not this one's.
 */
async function warmUp(appUrl: string): Promise<void> {
	await fetch(`${appUrl}/login`, { signal: AbortSignal.timeout(60_000) })
		.then((response) => response.arrayBuffer())
		.catch(() => undefined);
}

function printBanner(lines: string[]): void {
	const width = Math.max(...lines.map((line) => line.length)) + 4;
	const rule = '─'.repeat(width);
	console.log(`\n╭${rule}╮`);
	for (const line of lines) console.log(`│  ${line.padEnd(width - 2)}│`);
	console.log(`╰${rule}╯\n`);
}

async function main(): Promise<void> {
	process.on('SIGINT', () => void shutdown(0));
	process.on('SIGTERM', () => void shutdown(0));

	await assertPortFree(appPort);

	const hosted =
		!e2e && Boolean(process.env.PUBLIC_SUPABASE_URL && process.env.PUBLIC_SUPABASE_ANON_KEY);
	const env: NodeJS.ProcessEnv = { ...process.env };
	let mailboxUrl: string | undefined;
	let phoneUrl: string | undefined;
	let demoAccounts: string[] = [];
	let supabaseUrl = process.env.PUBLIC_SUPABASE_URL ?? '';
	// Alongside the stack's start; awaited before the banner says the app is ready.
	const functionsCached = hosted ? Promise.resolve() : cacheFunctionDependencies();
	if (!hosted) {
		const local = await startLocalStack();
		supabaseUrl = local.stack.url;
		mailboxUrl = local.mailboxUrl;
		phoneUrl = local.phoneUrl;
		demoAccounts = local.demoAccounts;
		env.PUBLIC_SUPABASE_URL = local.stack.url;
		// Only the public pair: the service role key stays with the stack.
		env.PUBLIC_SUPABASE_ANON_KEY = local.stack.anonKey;
		// The app reads this run's stack.json (the sandbox's demo credentials), not the developer's.
		if (local.stateDir) env.PARLEY_DATA_DIR = local.stateDir;
	}

	const viteBin = resolve('node_modules/vite/bin/vite.js');
	const viteArgs = ['dev', '--port', String(appPort), '--strictPort'];
	if (e2e) viteArgs.push('--config', 'scripts/vite.e2e.config.ts');
	vite = spawn(process.execPath, [viteBin, ...viteArgs], {
		stdio: 'inherit',
		env
	});
	vite.once('exit', (code, signal) => {
		if (!stopping) {
			console.error(`vite stopped (${signal ?? `exit code ${code}`}); stopping the local stack.`);
			void shutdown(code ?? 1);
		}
	});
	await waitForPort(appPort, vite);
	await Promise.all([functionsCached, warmUp(`http://localhost:${appPort}`)]);

	const appUrl = `http://localhost:${appPort}`;
	const lines = [`Parley is running: sign in at ${appUrl}/login`, ''];
	if (hosted) {
		lines.push(`Supabase: ${supabaseUrl} (from PUBLIC_SUPABASE_URL; no local stack started)`);
	} else {
		lines.push(`Supabase (local stack): ${supabaseUrl}`);
		if (demoAccounts.length > 0) {
			lines.push(`Demo accounts (password "${DEMO_PASSWORD}"):`);
			for (const account of demoAccounts) lines.push(`  ${account}`);
		} else {
			lines.push(
				'No demo accounts in this database: sign up, or delete .parley/db to start fresh.'
			);
		}
		lines.push(`Mailbox (invitations and links): ${mailboxUrl}`);
		if (phoneUrl) lines.push(`Provider sandbox (play a customer): ${phoneUrl}`);
	}
	lines.push('', 'Press Ctrl-C to stop.');
	printBanner(lines);
}

main().catch(async (error: unknown) => {
	console.error(error instanceof PortInUseError ? `Cannot start: ${error.message}` : error);
	await shutdown(1);
});
