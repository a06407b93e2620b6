/**
 * The app's pages: server render time of the inbox and chat pages from the built server
 * (`vite build`, then `node build` against a stack), signed in as an agent of a loaded tenant, and
 * the JavaScript each page makes the browser load — the modulepreload links and the entry imports
 * of the rendered HTML — gzipped; and, apart, what it fetches once it is interactive (the Supabase
 * client, loaded on first use), so the total is never hidden.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { createServerClient } from '@supabase/ssr';
import bcrypt from 'bcryptjs';
import { loadInbox, type InboxScale } from './inbox.ts';
import { startBenchStack } from './stack.ts';

export interface PageFigures {
	page: string;
	path: string;
	status: number;
	p50Ms: number;
	p99Ms: number;
	/** Distinct JS files the page loads and their gzip sum. */
	jsFiles: number;
	jsGzipBytes: number;
	/** The Supabase client's chunks the page fetches once interactive, beyond those above, gzipped. */
	clientJsFiles: number;
	clientJsGzipBytes: number;
}

export interface PagesResult {
	database: 'pglite' | 'postgres';
	conversations: number;
	pages: PageFigures[];
}

const root = resolve(import.meta.dirname, '..');
// Where `vite build` leaves the client's manifest (the adapter copies the chunks, not the manifest).
const clientManifest = resolve(root, '.svelte-kit/output/client/.vite/manifest.json');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
	return new Promise((done, fail) => {
		const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
		child.once('exit', (code) =>
			code === 0
				? done()
				: fail(new Error(`${command} ${args.join(' ')} exited with code ${code}.`))
		);
	});
}

function freePort(): Promise<number> {
	return new Promise((done) => {
		const server = createServer().listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => done(port));
		});
	});
}

/**
 * The JS a rendered page loads: modulepreload links (in the HTML or, as SvelteKit sends them, the
 * `link` header) and the inline start script's imports.
 */
export async function pageJavaScript(
	html: string,
	linkHeader = ''
): Promise<{ files: number; gzipBytes: number; paths: Set<string> }> {
	const paths = new Set<string>();
	for (const match of linkHeader.matchAll(/<([^>]+)>;[^,]*rel="?modulepreload/g))
		paths.add(match[1]);
	for (const tag of html.match(/<link[^>]*>/g) ?? []) {
		const href = /href="([^"]+)"/.exec(tag)?.[1];
		if (href && /rel="modulepreload"/.test(tag)) paths.add(href);
	}
	for (const match of html.matchAll(/import\("([^"]+\.js)"\)/g)) paths.add(match[1]);
	const files = new Set([...paths].map((path) => path.replace(/^(\.\.\/)+|^\.\/|^\//g, '')));
	let gzipBytes = 0;
	for (const path of files)
		gzipBytes += gzipSync(await readFile(resolve(root, 'build/client', path))).length;
	return { files: files.size, gzipBytes, paths: files };
}

interface ManifestChunk {
	file: string;
	src?: string;
	isDynamicEntry?: boolean;
	imports?: string[];
}

/**
 * What the browser fetches after a page that loaded `loaded` (paths under build/client) asks for
 * the Supabase client: the dynamic `@supabase/ssr` chunk and its imports not already loaded.
 */
export function supabaseClientChunks(
	manifest: Record<string, ManifestChunk>,
	loaded: Set<string>
): string[] {
	const entry = Object.keys(manifest).find(
		(key) => manifest[key].isDynamicEntry && /@supabase\/ssr\//.test(manifest[key].src ?? key)
	);
	if (!entry) throw new Error('The build has no lazily loaded @supabase/ssr chunk.');
	const files = new Set<string>();
	const walk = (key: string) => {
		const file = manifest[key].file;
		if (files.has(file) || loaded.has(file)) return;
		files.add(file);
		for (const next of manifest[key].imports ?? []) walk(next);
	};
	walk(entry);
	return [...files];
}

/** Builds the app, serves it against a fresh stack and times both pages. */
export async function measurePages(
	options: {
		databaseServer?: string;
		build?: boolean;
		iterations?: number;
		scale?: Partial<InboxScale>;
	} = {}
): Promise<PagesResult> {
	if (options.build ?? true) await run('npx', ['vite', 'build']);
	const bench = await startBenchStack(options.databaseServer);
	const { stack } = bench;
	let server: ReturnType<typeof spawn> | undefined;
	try {
		const scale: InboxScale = {
			conversations: 2000,
			messagesPerConversation: 10,
			otherTenants: 0,
			otherConversations: 0,
			notifications: 200,
			...options.scale
		};
		const loaded = await loadInbox(stack.db, scale);
		// The loaded agent has no password; give it one so it can sign in as people do.
		const { rows } = await stack.db.query<{ email: string; slug: string; conversation_id: string }>(
			`update auth.users set encrypted_password = $3
			 where id = $1
			 returning email, (select slug from public.tenants where id = $2) as slug,
			   (select id from public.conversations where tenant_id = $2 order by last_message_at desc limit 1) as conversation_id`,
			[loaded.agentId, loaded.tenantId, bcrypt.hashSync('secret-password', 4)]
		);
		const [{ email, slug, conversation_id: conversationId }] = rows;
		const cookies = new Map<string, string>();
		const auth = createServerClient(stack.url, stack.anonKey, {
			// Node 20 has no global WebSocket; the client is only used to sign in.
			realtime: { transport: WebSocket as never },
			cookies: {
				getAll: () => [...cookies].map(([name, value]) => ({ name, value })),
				setAll: (changes) => {
					for (const { name, value } of changes) cookies.set(name, value);
				}
			}
		});
		const { error } = await auth.auth.signInWithPassword({ email, password: 'secret-password' });
		if (error) throw error;
		const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');

		const port = await freePort();
		const origin = `http://127.0.0.1:${port}`;
		server = spawn(process.execPath, ['build'], {
			cwd: root,
			env: {
				...process.env,
				PORT: String(port),
				HOST: '127.0.0.1',
				ORIGIN: origin,
				PUBLIC_SUPABASE_URL: stack.url,
				PUBLIC_SUPABASE_ANON_KEY: stack.anonKey
			},
			stdio: ['ignore', 'ignore', 'inherit']
		});
		for (let tries = 0; ; tries++) {
			const up = await fetch(origin).then(
				() => true,
				() => false
			);
			if (up) break;
			if (tries > 100) throw new Error('The built app did not start within 10 seconds.');
			await new Promise((done) => setTimeout(done, 100));
		}

		const pages: PageFigures[] = [];
		for (const [page, path] of [
			['inbox', `/app/${slug}/whatsapp/conversations`],
			['chat', `/app/${slug}/whatsapp/${conversationId}`]
		] as const) {
			const timings: number[] = [];
			let html = '';
			let status = 0;
			let linkHeader = '';
			const iterations = options.iterations ?? 50;
			for (let i = 0; i < iterations + 5; i++) {
				const started = performance.now();
				const response = await fetch(origin + path, { headers: { cookie }, redirect: 'manual' });
				html = await response.text();
				status = response.status;
				linkHeader = response.headers.get('link') ?? '';
				if (i >= 5) timings.push(performance.now() - started);
			}
			if (status !== 200) throw new Error(`The ${page} page answered ${status}.`);
			timings.sort((a, b) => a - b);
			const percentile = (p: number) =>
				timings[Math.min(timings.length - 1, Math.ceil((p / 100) * timings.length) - 1)];
			const js = await pageJavaScript(html, linkHeader);
			const manifest = JSON.parse(await readFile(clientManifest, 'utf8'));
			const clientFiles = supabaseClientChunks(manifest, js.paths);
			let clientJsGzipBytes = 0;
			for (const file of clientFiles)
				clientJsGzipBytes += gzipSync(await readFile(resolve(root, 'build/client', file))).length;
			if (process.env.PARLEY_BENCH_DUMP_HTML) console.log(html.slice(0, 3000));
			pages.push({
				page,
				path,
				status,
				p50Ms: Math.round(percentile(50) * 10) / 10,
				p99Ms: Math.round(percentile(99) * 10) / 10,
				jsFiles: js.files,
				jsGzipBytes: js.gzipBytes,
				clientJsFiles: clientFiles.length,
				clientJsGzipBytes
			});
		}
		return { database: stack.db.kind, conversations: scale.conversations, pages };
	} finally {
		server?.kill();
		await bench.close();
	}
}
