import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	attempt,
	commitAs,
	createUser,
	failure,
	joinTenant,
	rowsOf,
	type Actor
} from './support.ts';

// An AI agent's knowledge in Postgres: sources split into passages on every change, retrieval
// through match_knowledge, and RLS that keeps each workspace's knowledge its own.

let stack: TestStack;
let userCount = 0;

beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(() => stack?.close());

const newUser = (name: string) => createUser(stack.db, `kn-${name}-${++userCount}@example.test`);

interface Workspace {
	tenantId: string;
	owner: Actor;
	member: Actor;
	agentId: string;
}

async function workspace(slug: string): Promise<Workspace> {
	const owner = await newUser('owner');
	const member = await newUser('member');
	const [tenant] = rowsOf(
		await commitAs<{ id: string }>(stack.db, owner, 'select * from public.create_tenant($1, $2)', [
			`Knowledge ${slug}`,
			slug
		])
	);
	await joinTenant(stack.db, owner, tenant.id, member, 'agent');
	const [agent] = rowsOf(
		await commitAs<{ id: string }>(
			stack.db,
			owner,
			`insert into public.ai_agents (tenant_id, name, whatsapp_enabled) values ($1, 'Sofia', true) returning id`,
			[tenant.id]
		)
	);
	return { tenantId: tenant.id, owner, member, agentId: agent.id };
}

async function addArticle(w: Workspace, title: string, body: string): Promise<string> {
	const [row] = rowsOf(
		await commitAs<{ id: string }>(
			stack.db,
			w.owner,
			`insert into public.knowledge_sources (agent_id, kind, title, body) values ($1, 'article', $2, $3) returning id`,
			[w.agentId, title, body]
		)
	);
	return row.id;
}

interface Match {
	passage_id: string;
	source_id: string;
	source_title: string;
	heading: string;
	body: string;
	score: number;
}

const match = async (actor: Actor, agentId: string, query: string) =>
	rowsOf(
		await attempt<Match>(stack.db, actor, 'select * from public.match_knowledge($1, $2, 5)', [
			agentId,
			query
		])
	);

let shop: Workspace;
let other: Workspace;
let shippingId: string;

beforeAll(async () => {
	shop = await workspace('kn-shop');
	other = await workspace('kn-other');
	shippingId = await addArticle(
		shop,
		'Shipping',
		'We ship to Canada and the United States. Delivery to Canada takes 5 to 7 business days.\n\nShipping is free on orders over 50 dollars.'
	);
	await addArticle(
		shop,
		'Returns',
		'You can return shoes within 30 days of delivery for a full refund, as long as they are unworn.'
	);
	await addArticle(
		other,
		'Secret recipe',
		'Our secret sauce is made with smoked paprika and honey.'
	);
}, 120_000);

describe('retrieval', () => {
	it('finds the passage that answers a question, with its source, best first', async () => {
		const [best] = await match(shop.member, shop.agentId, 'How long does delivery to Canada take?');
		expect(best).toMatchObject({ source_id: shippingId, source_title: 'Shipping' });
		expect(best.body).toContain('Delivery to Canada takes 5 to 7 business days.');
		expect(best.score).toBeGreaterThanOrEqual(0.5);
	});

	it('stems words in the agent language: "returning" finds "return"', async () => {
		const [best] = await match(shop.member, shop.agentId, 'returning unworn shoes');
		expect(best.source_title).toBe('Returns');
		expect(best.score).toBe(1);
	});

	it('finds a passage through a typo by trigram similarity', async () => {
		const [best] = await match(shop.member, shop.agentId, 'shiping to canda');
		expect(best?.source_title).toBe('Shipping');
	});

	it('finds nothing for a question outside the knowledge', async () => {
		expect(await match(shop.member, shop.agentId, 'Do you sell gift cards?')).toEqual([]);
	});

	it("never returns another workspace's knowledge, even by its agent id", async () => {
		expect(await match(shop.owner, other.agentId, 'secret sauce paprika')).toEqual([]);
		const passages = await attempt<{ count: string }>(
			stack.db,
			shop.owner,
			'select count(*)::text as count from public.knowledge_passages where agent_id = $1',
			[other.agentId]
		);
		expect(rowsOf(passages)).toEqual([{ count: '0' }]);
		const [own] = await match(other.member, other.agentId, 'secret sauce paprika');
		expect(own.source_title).toBe('Secret recipe');
	});
});

describe('sources', () => {
	it('re-indexes a source when it is edited: the old text is no longer found, the new one is', async () => {
		const w = await workspace('kn-edit');
		const id = await addArticle(w, 'Opening hours', 'We are open Monday to Friday, 9 to 17.');
		expect((await match(w.member, w.agentId, 'open on saturday'))[0]?.score).toBe(0.5);

		rowsOf(
			await commitAs(
				stack.db,
				w.owner,
				`update public.knowledge_sources set body = 'Our kiosk welcomes visitors every Saturday morning.' where id = $1`,
				[id]
			)
		);
		expect(await match(w.member, w.agentId, 'Monday to Friday')).toEqual([]);
		const [found] = await match(w.member, w.agentId, 'kiosk saturday');
		expect(found).toMatchObject({ source_id: id, score: 1 });
		expect(found.body).toBe('Our kiosk welcomes visitors every Saturday morning.');
	});

	it('splits Markdown at headings into passages named by source and heading', async () => {
		const w = await workspace('kn-markdown');
		const paragraph = 'Words about warranty coverage and repairs. '.repeat(30).trim();
		const id = await addArticle(
			w,
			'Handbook',
			`Welcome to the handbook.\n\n# Payments\n\nWe accept cards and bank transfers.\n\n## Warranty\n\n${paragraph}\n\n${paragraph}`
		);
		const passages = rowsOf(
			await attempt<{ position: number; heading: string; body: string }>(
				stack.db,
				w.member,
				'select position, heading, body from public.knowledge_passages where source_id = $1 order by position',
				[id]
			)
		);
		expect(passages.map((p) => p.heading)).toEqual([
			'Handbook',
			'Handbook — Payments',
			// Each 1,300-character paragraph is cut at a space into two passages.
			'Handbook — Warranty',
			'Handbook — Warranty',
			'Handbook — Warranty',
			'Handbook — Warranty'
		]);
		expect(passages[1].body).toBe('We accept cards and bank transfers.');
		for (const passage of passages) expect(passage.body.length).toBeLessThanOrEqual(900);
		const [source] = rowsOf(
			await attempt<{ passage_count: number }>(
				stack.db,
				w.member,
				'select passage_count from public.knowledge_sources where id = $1',
				[id]
			)
		);
		expect(source.passage_count).toBe(6);
	});

	it("re-stems every passage when the agent's language changes", async () => {
		const w = await workspace('kn-language');
		await addArticle(w, 'Envíos', 'Enviamos pedidos a todo el país en tres días.');
		expect(await match(w.member, w.agentId, 'envío de pedido')).toHaveLength(1);
		expect((await match(w.member, w.agentId, 'envío de pedido'))[0].score).toBeLessThan(1);
		rowsOf(
			await commitAs(
				stack.db,
				w.owner,
				`update public.ai_agents set knowledge_language = 'spanish' where id = $1`,
				[w.agentId]
			)
		);
		expect((await match(w.member, w.agentId, 'envío de pedido'))[0].score).toBe(1);
	});

	it('only owners and admins add, edit or remove knowledge; members read it', async () => {
		expect(
			failure(
				await attempt(
					stack.db,
					shop.member,
					`insert into public.knowledge_sources (agent_id, kind, title, body) values ($1, 'article', 'Mine', 'text')`,
					[shop.agentId]
				)
			)
		).toMatchObject({ code: '42501' });
		const edited = await attempt(
			stack.db,
			shop.member,
			`update public.knowledge_sources set body = 'changed' where id = $1`,
			[shippingId]
		);
		expect(rowsOf(edited)).toEqual([]);
		expect(edited.ok && edited.affectedRows).toBe(0);
		const written = await attempt(
			stack.db,
			shop.owner,
			`insert into public.knowledge_passages (tenant_id, agent_id, source_id, position, heading, body, language)
			 values ($1, $2, $3, 99, 'x', 'x', 'english')`,
			[shop.tenantId, shop.agentId, shippingId]
		);
		expect(failure(written)).toMatchObject({ code: '42501' });
		expect(
			failure(
				await attempt(
					stack.db,
					other.owner,
					`insert into public.knowledge_sources (agent_id, kind, title, body) values ($1, 'article', 'Intruder', 'text')`,
					[shop.agentId]
				)
			)
		).toMatchObject({ message: 'That AI agent does not exist, or you cannot see it.' });
	});

	it('says in words what is wrong with a source', async () => {
		expect(
			failure(
				await attempt(
					stack.db,
					shop.owner,
					`insert into public.knowledge_sources (agent_id, kind, title, body) values ($1, 'article', '  ', 'text')`,
					[shop.agentId]
				)
			)
		).toMatchObject({
			code: '22023',
			message: 'A knowledge source needs a title of 1 to 200 characters.'
		});
		expect(
			failure(
				await attempt(
					stack.db,
					shop.owner,
					`insert into public.knowledge_sources (agent_id, kind, title, body) values ($1, 'article', 'Empty', ' ')`,
					[shop.agentId]
				)
			)
		).toMatchObject({ message: "Write the article's text before saving it." });
	});
});
