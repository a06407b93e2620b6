import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entryPath = fileURLToPath(new URL('./entry.ts', import.meta.url));

/**
 * Deno's standard permissions for the Edge Runtime's job: network (to serve and to call APIs),
 * environment (secrets), read (its own files, `_shared`, the npm cache) and sys (npm packages
 * such as the OpenAI and Twilio SDKs read os details through node:os). No write, run or ffi,
 * as on the hosted runtime.
 */
const permissionFlags = ['--allow-net', '--allow-env', '--allow-read', '--allow-sys'];

/** Variables of the host a worker still needs to fetch npm packages (proxies, extra CAs). */
const inheritedEnv =
	/^(PATH|HOME|TMPDIR|TZ|LANG|LC_[A-Z]+|SSL_CERT_(FILE|DIR)|NODE_EXTRA_CA_CERTS|(HTTPS?|NO|ALL)_PROXY|NPM_CONFIG_[A-Z_]+|DENO_(TLS_CA_STORE|CERT|AUTH_TOKENS))$/i;

/** Every Deno child alive, killed when the host exits (the stdin pipe covers harder deaths). */
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
	for (const child of liveChildren) killChild(child);
});

/** What a worker needs to run one function. */
export interface WorkerSpec {
	slug: string;
	/** The function's entry module (index.ts). */
	entrypoint: string;
	/** The function's deno.json, if it has one (import map, nodeModulesDir). */
	denoConfig?: string;
	/** An import map named in config.toml, used when there is no deno.json. */
	importMap?: string;
	/** Variables the function sees (on top of a few of the host's for npm downloads). */
	env: Record<string, string>;
	denoDir: string;
	bootTimeoutMs: number;
	log(line: string): void;
}

/** A running Deno process serving one function on a local port. */
export interface Worker {
	readonly port: number;
	readonly pid: number | undefined;
	/** False once the process has exited. */
	readonly alive: boolean;
	/** Resolves when the process has exited. */
	readonly exited: Promise<void>;
	/** Ends the process (SIGTERM, then SIGKILL if it lingers). */
	stop(): Promise<void>;
}

/** Why a function could not start; the caller answers 503 BOOT_ERROR. */
export class BootError extends Error {}

/** The Deno binary shipped by the `deno` npm package. */
export function denoBinaryPath(): string {
	const require = createRequire(import.meta.url);
	const packageDir = dirname(require.resolve('deno/package.json'));
	const binary = join(packageDir, process.platform === 'win32' ? 'deno.exe' : 'deno');
	if (existsSync(binary)) return binary;
	// The package downloads the binary on first use when its postinstall step did not run.
	const installer = require(join(packageDir, 'install_api.cjs')) as { runInstall(): string };
	return installer.runInstall();
}

/** Starts a Deno process for one function and waits until its port accepts connections. */
export async function startWorker(spec: WorkerSpec): Promise<Worker> {
	const port = await freePort();
	const args = ['run', ...permissionFlags, '--no-prompt'];
	if (spec.denoConfig) {
		args.push('--config', spec.denoConfig);
		// Keep the source tree clean unless the function already pins its versions.
		if (!existsSync(join(dirname(spec.denoConfig), 'deno.lock'))) args.push('--no-lock');
	} else {
		args.push('--no-config', '--no-lock');
		if (spec.importMap) args.push('--import-map', spec.importMap);
	}
	args.push(entryPath, pathToFileURL(spec.entrypoint).href);

	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (value !== undefined && inheritedEnv.test(name)) env[name] = value;
	}
	Object.assign(env, spec.env, {
		DENO_DIR: spec.denoDir,
		DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`,
		// The project's package.json is for the app; functions resolve npm: specifiers on their own.
		DENO_NO_PACKAGE_JSON: '1',
		DENO_NO_UPDATE_CHECK: '1',
		NO_COLOR: '1'
	});

	const child = spawn(denoBinaryPath(), args, {
		cwd: dirname(spec.entrypoint),
		env,
		stdio: ['pipe', 'pipe', 'pipe']
	});
	liveChildren.add(child);
	// The pipe is only there to tell the worker when the host is gone.
	child.stdin?.on('error', () => {});
	const recentOutput: string[] = [];
	const forward = (line: string) => {
		// Deno's own banner names the internal port, which callers never use.
		if (line.startsWith('Listening on http://127.0.0.1:')) return;
		recentOutput.push(line);
		if (recentOutput.length > 20) recentOutput.shift();
		spec.log(line);
	};
	createInterface({ input: child.stdout! }).on('line', forward);
	createInterface({ input: child.stderr! }).on('line', forward);

	let alive = true;
	let exitCode: number | string | null = null;
	const exited = new Promise<void>((done) => {
		child.once('exit', (code, signal) => {
			liveChildren.delete(child);
			alive = false;
			exitCode = code ?? signal;
			done();
		});
		child.once('error', (error) => {
			liveChildren.delete(child);
			alive = false;
			spec.log(`could not start Deno: ${error.message}`);
			done();
		});
	});

	const worker: Worker = {
		port,
		pid: child.pid,
		get alive() {
			return alive;
		},
		exited,
		async stop() {
			if (!alive) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => killChild(child), 2000);
			await exited;
			clearTimeout(timer);
		}
	};

	const outcome = await waitUntilListening(port, () => alive, spec.bootTimeoutMs);
	if (outcome === 'ready') return worker;
	await worker.stop();
	const reason =
		outcome === 'exited'
			? `exited with ${exitCode ?? 'an error'} before it listened`
			: `did not listen within ${Math.round(spec.bootTimeoutMs / 1000)} s`;
	throw new BootError(
		`Function ${spec.slug} ${reason}.${recentOutput.length ? ' Last output: ' + recentOutput.slice(-5).join(' | ') : ''}`
	);
}

function killChild(child: ChildProcess): void {
	if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A TCP port nobody listens on right now (the worker binds it a moment later). */
function freePort(): Promise<number> {
	return new Promise((done, fail) => {
		const server = createServer();
		server.once('error', fail);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => done(port));
		});
	});
}

async function waitUntilListening(
	port: number,
	isAlive: () => boolean,
	timeoutMs: number
): Promise<'ready' | 'exited' | 'timeout'> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (!isAlive()) return 'exited';
		if (await accepts(port)) return 'ready';
		await new Promise((done) => setTimeout(done, 100));
	}
	return 'timeout';
}

function accepts(port: number): Promise<boolean> {
	return new Promise((done) => {
		const socket = connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.destroy();
			done(true);
		});
		socket.once('error', () => done(false));
	});
}
