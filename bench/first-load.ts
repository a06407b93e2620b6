/**
 * The first WhatsApp page of a fresh checkout's first `npm run dev`: starts `scripts/dev.ts` in a
 * checkout on free ports over a new database, signs the demo owner in over HTTP (as the login form
 * posts), then opens /app/acme/whatsapp in Chromium as the first page and prints how long it took:
 * to the load event, to hydration, and to the live channel, plus how often vite reloaded the tab.
 *
 *   tsx bench/first-load.ts [checkout]        (default: this repository)
 *
 * PARLEY_FIRST_LOAD_FRESH=1 first removes the checkout's `.svelte-kit` and `node_modules/.vite`, as a
 * fresh clone has neither: do it in a clone (`git clone`, then `cp -al` of node_modules and
 * `.parley/deno`), never in a tree where someone else's vite is running. Figures only, no goals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';

const DEMO_OWNER = { email: 'owner@parley.local', password: 'parley-demo' };
const PAGE = '/app/acme/whatsapp';

const checkout = resolve(process.argv[2] ?? resolve(import.meta.dirname, '..'));

function freePort(): Promise<number> {
	return new Promise((done) => {
		const server = createServer().listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => done(port));
		});
	});
}

/** Resolves with the time the dev server printed its banner, the moment a person opens the app. */
function bannerOf(dev: ChildProcess, started: number): Promise<number> {
	return new Promise((done, fail) => {
		let output = '';
		dev.stdout?.on('data', (chunk: Buffer) => {
			output += chunk.toString();
			if (output.includes('Parley is running')) done(performance.now() - started);
		});
		dev.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
		dev.once('exit', (code) => fail(new Error(`npm run dev stopped (exit code ${code}).`)));
	});
}

async function main(): Promise<void> {
	if (process.env.PARLEY_FIRST_LOAD_FRESH === '1') {
		await rm(join(checkout, '.svelte-kit'), { recursive: true, force: true });
		await rm(join(checkout, 'node_modules/.vite'), { recursive: true, force: true });
	}
	const appPort = Number(process.env.PARLEY_APP_PORT || (await freePort()));
	const dataDir = await mkdtemp(join(tmpdir(), 'parley-first-load-'));
	const started = performance.now();
	const dev = spawn(
		process.execPath,
		[join(checkout, 'node_modules/tsx/dist/cli.mjs'), 'scripts/dev.ts'],
		{
			cwd: checkout,
			env: {
				...process.env,
				PARLEY_APP_PORT: String(appPort),
				PARLEY_STACK_PORT: '0',
				PARLEY_SANDBOX_PORT: '0',
				PARLEY_DATA_DIR: dataDir,
				PUBLIC_SUPABASE_URL: '',
				PUBLIC_SUPABASE_ANON_KEY: ''
			},
			stdio: ['ignore', 'pipe', 'pipe']
		}
	);
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--no-first-run']
	});
	try {
		const bannerMs = await bannerOf(dev, started);
		const baseURL = `http://localhost:${appPort}`;
		const context = await browser.newContext({ baseURL });
		// The login form's post, over HTTP: the browser's first page is then the WhatsApp page.
		const signedIn = await context.request.post('/login', {
			form: DEMO_OWNER,
			headers: { origin: baseURL, accept: 'text/html' },
			maxRedirects: 0,
			// A cold server on a busy machine answers its first post slowly.
			timeout: 180_000
		});
		if (signedIn.status() !== 303)
			throw new Error(
				`Signing in answered ${signedIn.status()}: ${(await signedIn.text()).slice(0, 300)}`
			);
		const page = await context.newPage();
		let loads = 0;
		let requests = 0;
		page.on('load', () => loads++);
		page.on('request', () => requests++);
		const opened = performance.now();
		const response = await page.goto(PAGE, { waitUntil: 'load', timeout: 120_000 });
		const navigation = await page.evaluate(() => {
			const [entry] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
			return {
				responseEnd: entry.responseEnd,
				domContentLoaded: entry.domContentLoadedEventEnd,
				load: entry.loadEventEnd
			};
		});
		// Hydrated: the root layout marks the body (checkouts without the marker report null).
		const hydratedMs = await page
			.waitForSelector('body[data-hydrated]', { state: 'attached', timeout: 60_000 })
			.then(() => performance.now() - opened)
			.catch(() => null);
		await page.waitForSelector('[data-testid="live-status"][data-status="live"]', {
			timeout: 120_000
		});
		const liveMs = performance.now() - opened;
		await page.waitForLoadState('networkidle');
		// The same page again: what is left once vite has compiled everything is the data's cost.
		const again = performance.now();
		await page.reload({ waitUntil: 'load' });
		await page.waitForSelector('[data-testid="live-status"][data-status="live"]');
		const secondLiveMs = performance.now() - again;
		const secondFirstByteMs = await page.evaluate(
			() =>
				(performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd
		);
		const figures = {
			checkout,
			status: response?.status(),
			bannerMs: Math.round(bannerMs),
			firstByteMs: Math.round(navigation.responseEnd),
			domContentLoadedMs: Math.round(navigation.domContentLoaded),
			loadEventMs: Math.round(navigation.load),
			hydratedMs: hydratedMs === null ? null : Math.round(hydratedMs),
			liveMs: Math.round(liveMs),
			secondFirstByteMs: Math.round(secondFirstByteMs),
			secondLiveMs: Math.round(secondLiveMs),
			// Every load after the first is vite reloading the tab (a late dependency optimisation).
			reloads: loads - 2,
			// Each one a module vite served (and, the first time, transformed) for this page.
			requests,
			// The machine's load while measuring: figures from a busy machine are slower.
			loadAverage: loadavg()[0]
		};
		console.log(JSON.stringify(figures, null, 2));
	} finally {
		await browser.close();
		const exited = new Promise((done) => dev.once('exit', done));
		dev.kill('SIGTERM');
		await exited;
		await rm(dataDir, { recursive: true, force: true });
	}
}

await main();
