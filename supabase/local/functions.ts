import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseToml } from 'smol-toml';
import { watch, type FSWatcher } from 'chokidar';
import type { NodeStackService, StackContext } from './context.ts';
import { writeJson } from './http.ts';
import { effectiveToken, verifyJwt } from './jwt.ts';
import { ANON_KEY, PUBLISHABLE_KEY, SECRET_KEY, SERVICE_ROLE_KEY } from './keys.ts';
import { BootError, startWorker } from './functions/worker.ts';
import { poolSizeFrom, WorkerPool, type Lease } from './functions/pool.ts';
import { CallerGoneError, forwardedHeaders, proxyToWorker } from './functions/proxy.ts';

/** Folder names that are functions; anything else (`_shared`, dotfiles) is never served. */
const slugPattern = /^[A-Za-z][A-Za-z0-9_-]*$/;

export interface FunctionsOptions {
	/** Secrets added to `<functionsDir>/.env` (these win over the file). */
	secrets?: Record<string, string>;
	/** Where the function folders are; default `<supabaseDir>/functions`. */
	functionsDir?: string;
	/** The config.toml with `[functions.<slug>]` sections; default `<supabaseDir>/config.toml`. */
	configPath?: string;
	/** The PostgreSQL the stack runs on, given to functions as SUPABASE_DB_URL (none on PGlite). */
	databaseUrl?: string;
	/** Deno's cache (npm packages); default `.parley/deno` in the working directory. */
	denoDir?: string;
	/** How long a worker may take to listen, npm downloads included; default 120 s. */
	bootTimeoutMs?: number;
	/** Deno workers each function may run at once; default PARLEY_FUNCTION_WORKERS, else 2. */
	workersPerFunction?: number;
	/** Where a function's console output goes; default the host's console, prefixed with the slug. */
	log?: (slug: string, line: string) => void;
}

/** What config.toml says about one function. */
interface FunctionConfig {
	verifyJwt: boolean;
	entrypoint?: string;
	importMap?: string;
}

/**
 * Edge Functions host at /functions/v1: each function folder runs in its own pool of Deno
 * processes, the first started on its first request and kept warm, more while requests overlap;
 * requests and responses stream through unchanged.
 */
export async function createFunctionsService(
	context: StackContext,
	options: FunctionsOptions = {}
): Promise<NodeStackService> {
	const functionsDir = resolve(options.functionsDir ?? join(context.supabaseDir, 'functions'));
	const configPath = resolve(options.configPath ?? join(context.supabaseDir, 'config.toml'));
	const denoDir = resolve(options.denoDir ?? join('.parley', 'deno'));
	const bootTimeoutMs = options.bootTimeoutMs ?? 120_000;
	const log = options.log ?? ((slug, line) => console.log(`[functions:${slug}] ${line}`));
	const agent = new Agent({ keepAlive: true });
	const poolSize = options.workersPerFunction ?? poolSizeFrom(process.env.PARLEY_FUNCTION_WORKERS);
	const pools = new Map<string, WorkerPool>();
	let config = readFunctionsConfig(configPath);

	const environment = (): Record<string, string> => {
		const dotenvPath = join(functionsDir, '.env');
		const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
		return {
			...fromFile,
			...options.secrets,
			// Set last: as on the CLI, secrets cannot override the platform's own variables.
			SUPABASE_URL: context.url,
			SUPABASE_ANON_KEY: ANON_KEY,
			SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
			SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: PUBLISHABLE_KEY }),
			SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET_KEY }),
			...(options.databaseUrl ? { SUPABASE_DB_URL: options.databaseUrl } : {})
		};
	};

	// Found entrypoints are kept (the file system is asked once per function, not per request);
	// in dev mode a change under the functions folder forgets them.
	const entrypoints = new Map<string, string>();
	const entrypointOf = (slug: string): string | undefined => {
		const known = entrypoints.get(slug);
		if (known) return known;
		const found = findEntrypoint(slug);
		if (found) entrypoints.set(slug, found);
		return found;
	};
	const findEntrypoint = (slug: string): string | undefined => {
		const configured = config.get(slug)?.entrypoint;
		const candidates = configured
			? [resolve(context.supabaseDir, configured)]
			: ['index.ts', 'index.js', 'index.tsx', 'index.mjs'].map((file) =>
					join(functionsDir, slug, file)
				);
		return candidates.find((file) => existsSync(file));
	};

	const poolFor = (slug: string, entrypoint: string): WorkerPool => {
		const running = pools.get(slug);
		if (running) return running;
		const denoConfig = ['deno.json', 'deno.jsonc']
			.map((file) => join(functionsDir, slug, file))
			.find((file) => existsSync(file));
		const importMap = config.get(slug)?.importMap;
		const pool = new WorkerPool(poolSize, () =>
			startWorker({
				slug,
				entrypoint,
				denoConfig,
				importMap: importMap ? resolve(context.supabaseDir, importMap) : undefined,
				env: environment(),
				denoDir,
				bootTimeoutMs,
				log: (line) => log(slug, line)
			})
		);
		pools.set(slug, pool);
		return pool;
	};

	const stopPool = async (slug: string): Promise<void> => {
		const pool = pools.get(slug);
		pools.delete(slug);
		await pool?.close();
	};

	let watcher: FSWatcher | undefined;
	if (context.dev) {
		watcher = watchSources(functionsDir, configPath, (changed) => {
			if (changed === 'config') {
				try {
					config = readFunctionsConfig(configPath);
				} catch (error) {
					// A half-saved file must not take the stack down; the last good config stays.
					log('config', (error as Error).message);
				}
			}
			entrypoints.clear();
			const slugs = changed === 'all' || changed === 'config' ? [...pools.keys()] : [changed];
			for (const slug of slugs) {
				if (pools.has(slug)) {
					log(slug, 'source changed; restarting on the next request');
					void stopPool(slug);
				}
			}
		});
	}

	return {
		async serve(request, response, subpath, search) {
			const slug = subpath.split('/')[1] ?? '';
			const entrypoint = slugPattern.test(slug) ? entrypointOf(slug) : undefined;
			// What is not read of a refused request's body is drained, so the connection can be reused.
			const refuse = (status: number, body: unknown) => {
				request.resume();
				writeJson(response, status, body);
			};
			if (!entrypoint) return refuse(404, { code: 'NOT_FOUND', message: 'Function not found' });

			const header = (name: string) => {
				const value = request.headers[name];
				return (Array.isArray(value) ? value[0] : value) ?? null;
			};
			const authorization = header('authorization');
			const token = effectiveToken(authorization, header('apikey'));
			if (request.method !== 'OPTIONS' && (config.get(slug)?.verifyJwt ?? true)) {
				if (!token) return refuse(401, { msg: 'Error: Missing authorization header' });
				const valid = await verifyJwt(token).then(
					() => true,
					() => false
				);
				if (!valid) return refuse(401, { msg: 'Invalid JWT' });
			}

			const pool = poolFor(slug, entrypoint);
			let lease: Lease;
			try {
				lease = await pool.acquire();
			} catch (error) {
				log(slug, error instanceof BootError ? error.message : `could not start: ${String(error)}`);
				return refuse(503, {
					code: 'BOOT_ERROR',
					message: 'Worker failed to boot (please check logs)'
				});
			}

			// As the CLI's gateway does: new-style keys reach the function as the JWT they stand for.
			const headers = forwardedHeaders(
				request,
				token && (!authorization || authorization.startsWith('Bearer sb_'))
					? { authorization: `Bearer ${token}` }
					: {}
			);
			try {
				await proxyToWorker(
					request,
					response,
					lease.worker.port,
					subpath + search,
					headers,
					agent,
					lease.release
				);
			} catch (error) {
				lease.release();
				if (error instanceof CallerGoneError) return;
				log(slug, `request failed: ${(error as Error).message}`);
				// Only this worker goes; the pool's others keep their requests, and it boots a successor.
				void pool.retire(lease.worker);
				if (response.headersSent) response.destroy();
				else
					writeJson(response, 500, {
						code: 'WORKER_ERROR',
						message: 'Function exited due to an error (please check logs)'
					});
			}
		},
		async close() {
			await watcher?.close();
			await Promise.all([...pools.keys()].map((slug) => stopPool(slug)));
			agent.destroy();
		}
	};
}

/** Reads the `[functions.<slug>]` sections of config.toml; a missing file means all defaults. */
function readFunctionsConfig(configPath: string): Map<string, FunctionConfig> {
	const functions = new Map<string, FunctionConfig>();
	if (!existsSync(configPath)) return functions;
	let parsed: Record<string, unknown>;
	try {
		parsed = parseToml(readFileSync(configPath, 'utf8'));
	} catch (error) {
		throw new Error(`${configPath} could not be read: ${(error as Error).message}`, {
			cause: error
		});
	}
	const sections = parsed.functions;
	if (!sections || typeof sections !== 'object' || Array.isArray(sections)) return functions;
	for (const [slug, section] of Object.entries(sections)) {
		if (!section || typeof section !== 'object' || Array.isArray(section)) continue;
		const entry = section as Record<string, unknown>;
		functions.set(slug, {
			verifyJwt: entry.verify_jwt !== false,
			entrypoint: typeof entry.entrypoint === 'string' ? entry.entrypoint : undefined,
			importMap: typeof entry.import_map === 'string' ? entry.import_map : undefined
		});
	}
	return functions;
}

/**
 * Watches the functions folder and config.toml; tells which function changed, or 'all' when
 * `_shared`, `.env` or anything outside one function's folder did, or 'config'.
 */
function watchSources(
	functionsDir: string,
	configPath: string,
	onChange: (changed: string) => void
): FSWatcher {
	const pending = new Set<string>();
	let timer: NodeJS.Timeout | undefined;
	const watcher = watch([functionsDir, configPath], {
		ignoreInitial: true,
		// Deno writes node_modules and lock files into function folders; those are not edits.
		ignored: (path) => path.split(sep).includes('node_modules') || path.endsWith('deno.lock')
	});
	watcher.on('all', (_event, path) => {
		const changed = resolve(path) === configPath ? 'config' : changedFunction(functionsDir, path);
		pending.add(changed);
		// Editors save in bursts; one restart per burst.
		clearTimeout(timer);
		timer = setTimeout(() => {
			for (const name of pending) onChange(name);
			pending.clear();
		}, 100);
	});
	return watcher;
}

function changedFunction(functionsDir: string, path: string): string {
	const [first, ...rest] = relative(functionsDir, resolve(path)).split(sep);
	return rest.length > 0 && slugPattern.test(first) ? first : 'all';
}
