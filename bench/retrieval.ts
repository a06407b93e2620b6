/**
 * Knowledge retrieval at scale: tenants whose AI agent has 10k passages each (1,000 sources of ten
 * paragraphs, written through the same triggers that index an article saved in the app), then
 * match_knowledge asked as the tenant's owner through RLS, as the functions ask it: questions made
 * of words of some passage (answerable), and the same questions misspelt (the trigram path).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../supabase/local/db.ts';
import { asMember, walkPlan, type PlanNode } from './as-member.ts';
import { withScratchDatabase } from './scratch.ts';

export interface RetrievalScale {
	tenants: number;
	passagesPerTenant: number;
}

export const RETRIEVAL_SCALES = {
	full: { tenants: 3, passagesPerTenant: 10_000 },
	quick: { tenants: 2, passagesPerTenant: 2_000 }
} satisfies Record<string, RetrievalScale>;

export interface RetrievalTiming {
	name: string;
	iterations: number;
	p50Ms: number;
	p99Ms: number;
	/** Share of questions whose best passage was the one the question was made from. */
	foundShare: number;
}

export interface RetrievalResult {
	database: 'pglite' | 'postgres';
	scale: RetrievalScale;
	loaded: { passages: number; seconds: number };
	queries: RetrievalTiming[];
	/** The plan of the full-text read, as text. */
	plan: string;
	usesIndex: boolean;
}

/** A deterministic pseudo-random sequence, so every run loads the same words. */
function sequence(seed: number) {
	let state = seed >>> 0;
	return () => {
		state = (state * 1664525 + 1013904223) >>> 0;
		return state / 2 ** 32;
	};
}

const SYLLABLES = 'ka lo mi ne su ta ri po de va gu shi ro bel tan mor fen dal quin sar'.split(' ');

/** A vocabulary of pronounceable words, used with a skewed frequency like real text. */
function vocabulary(size: number, random: () => number): string[] {
	const words = new Set<string>();
	while (words.size < size) {
		const length = 2 + Math.floor(random() * 3);
		let word = '';
		for (let i = 0; i < length; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
		words.add(word);
	}
	return [...words];
}

function paragraph(words: string[], random: () => number): string {
	const out: string[] = [];
	let length = 0;
	// About 600 characters, so two never fit one 900-character passage: one passage each.
	while (length < 600) {
		const word = words[Math.floor(words.length * random() ** 2.5)];
		out.push(word);
		length += word.length + 1;
	}
	return `${out.join(' ')}.`;
}

export interface Loaded {
	tenants: { tenantId: string; ownerId: string; agentId: string }[];
	/** Questions for the first tenant's agent: words of a passage, and that passage's id. */
	questions: { text: string; misspelt: string; body: string }[];
	seconds: number;
}

/** Loads the tenants and their knowledge; exported for profiling. */
export async function loadRetrievalTenants(db: Db, scale: RetrievalScale): Promise<Loaded> {
	const started = performance.now();
	const random = sequence(17);
	const words = vocabulary(5000, random);
	const tenants = Array.from({ length: scale.tenants }, () => ({
		tenantId: randomUUID(),
		ownerId: randomUUID(),
		agentId: randomUUID()
	}));
	await db.transaction(async (tx) => {
		// Tenants and memberships as their triggers would leave them; auth users are not needed.
		await tx.exec(`set local session_replication_role = replica`);
		for (const [index, t] of tenants.entries()) {
			await tx.query(`insert into public.tenants (id, name, slug) values ($1, $2, $3)`, [
				t.tenantId,
				`Retrieval ${index}`,
				`retrieval-${index}-${t.tenantId.slice(0, 6)}`
			]);
			await tx.query(
				`insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'owner')`,
				[t.tenantId, t.ownerId]
			);
			await tx.query(
				`insert into public.ai_agents (id, tenant_id, name, whatsapp_enabled) values ($1, $2, 'Bench', true)`,
				[t.agentId, t.tenantId]
			);
		}
	});
	const questions: Loaded['questions'] = [];
	const sourcesPerTenant = Math.ceil(scale.passagesPerTenant / 10);
	for (const t of tenants) {
		for (let batch = 0; batch < sourcesPerTenant; batch += 100) {
			const titles: string[] = [];
			const bodies: string[] = [];
			for (let s = batch; s < Math.min(sourcesPerTenant, batch + 100); s++) {
				const paragraphs = Array.from({ length: 10 }, () => paragraph(words, random));
				titles.push(`Article ${s}`);
				bodies.push(paragraphs.join('\n\n'));
				if (t === tenants[0] && questions.length < 400 && random() < 0.05) {
					const chosen = paragraphs[Math.floor(random() * 10)];
					const own = chosen.replace('.', '').split(' ');
					// Rarer words make a question specific, as a customer's usually is.
					const picked = [...new Set(own)]
						.sort((a, b) => words.indexOf(b) - words.indexOf(a))
						.slice(0, 4);
					const text = `${picked.join(' ')}?`;
					const misspelt = picked.map((w) => w.slice(0, -1) + (w.endsWith('a') ? 'e' : 'a'));
					questions.push({ text, misspelt: `${misspelt.join(' ')}?`, body: chosen });
				}
			}
			// Through the triggers, as an article saved in the app: split and indexed in Postgres.
			await db.query(
				`insert into public.knowledge_sources (agent_id, kind, title, body)
				 select $1, 'article', t, b from unnest($2::text[], $3::text[]) as x(t, b)`,
				[t.agentId, titles, bodies]
			);
		}
	}
	await db.exec('analyze public.knowledge_passages; analyze public.knowledge_sources;');
	return { tenants, questions, seconds: (performance.now() - started) / 1000 };
}

/** Loads the tenants, then times match_knowledge for answerable and misspelt questions. */
export async function measureRetrieval(
	options: { databaseServer?: string; scale?: RetrievalScale } = {}
): Promise<RetrievalResult> {
	return withScratchDatabase(options.databaseServer, async (db) => {
		const scale = options.scale ?? RETRIEVAL_SCALES.full;
		const loaded = await loadRetrievalTenants(db, scale);
		const [{ ownerId, agentId }] = loaded.tenants;
		const { rows: counted } = await db.query<{ count: string }>(
			'select count(*)::text as count from public.knowledge_passages'
		);

		const timeQuestions = async (name: string, texts: string[], bodies: string[]) => {
			const timings: number[] = [];
			let found = 0;
			for (let i = 0; i < texts.length + 5; i++) {
				const index = i % texts.length;
				const started = performance.now();
				const rows = await asMember(db, ownerId, async (tx) => {
					const result = await tx.query<{ body: string }>(
						'select body from public.match_knowledge($1, $2, 5)',
						[agentId, texts[index]]
					);
					return result.rows;
				});
				// The first runs warm the caches.
				if (i >= 5) {
					timings.push(performance.now() - started);
					if (rows[0]?.body === bodies[index]) found += 1;
				}
			}
			timings.sort((a, b) => a - b);
			const percentile = (p: number) =>
				timings[Math.min(timings.length - 1, Math.ceil((p / 100) * timings.length) - 1)];
			return {
				name,
				iterations: timings.length,
				p50Ms: Math.round(percentile(50) * 100) / 100,
				p99Ms: Math.round(percentile(99) * 100) / 100,
				foundShare: Math.round((found / timings.length) * 100) / 100
			};
		};
		const bodies = loaded.questions.map((q) => q.body);
		const queries = [
			await timeQuestions(
				'answerable question',
				loaded.questions.map((q) => q.text),
				bodies
			),
			await timeQuestions(
				'misspelt question (trigram path)',
				loaded.questions.slice(0, 100).map((q) => q.misspelt),
				bodies.slice(0, 100)
			)
		];

		// The full-text read inside match_knowledge, planned as the function runs it: as its owner
		// (security definer, so RLS does not keep the GIN index from being used).
		const read = `select p.id from public.knowledge_passages p
			where p.agent_id = $1 and p.search @@ to_tsquery('english', $2)`;
		const firstWords = loaded.questions[0].text
			.replace('?', '')
			.split(' ')
			.map((w) => `'${w}'`)
			.join(' | ');
		const { rows: planRows } = await db.query<{ 'QUERY PLAN': string }>(
			`explain (analyze, costs off) ${read}`,
			[agentId, firstWords]
		);
		const plan = planRows.map((row) => row['QUERY PLAN']).join('\n');
		const { rows: jsonRows } = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
			`explain (format json) ${read}`,
			[agentId, firstWords]
		);
		const value = jsonRows[0]['QUERY PLAN'];
		const json = (typeof value === 'string' ? JSON.parse(value) : value)[0].Plan as PlanNode;
		let usesIndex = false;
		let scansAll = false;
		walkPlan(json, (node) => {
			if (node['Index Name']?.startsWith('knowledge_passages')) usesIndex = true;
			if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'knowledge_passages')
				scansAll = true;
		});
		return {
			database: db.kind,
			scale,
			loaded: { passages: Number(counted[0].count), seconds: loaded.seconds },
			queries,
			plan,
			usesIndex: usesIndex && !scansAll
		};
	});
}
