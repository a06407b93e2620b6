import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxFunctionSecrets, startSandbox, type Sandbox } from '../../sandbox/index.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { callFunction } from '../support/clients.ts';
import {
	completionsMentioning,
	connectNumberWithAgent,
	conversationOf,
	customerWrites,
	pdfWithText,
	sentTo,
	team,
	uploadKnowledgeFile,
	threadOrder,
	writeArticle,
	type Team
} from './ai-support.ts';

// The AI agent answers from its knowledge: customers write through the sandbox, the agent
// retrieves passages in Postgres, the sandbox's model quotes the passage that answers and cites
// it, and what it cannot answer goes to a person with the reason. The copilot and the test chat
// draw on the same knowledge.

const debounceMs = 300;
const handover =
	"I don't have that information, so I'm asking a member of our team to help you. They will continue here shortly.";

let sandbox: Sandbox;
let stack: TestStack;
let teamA: Team;
let teamB: Team;
let agentId: string;
let otherAgentId: string;
let shippingId: string;
let returnsId: string;
let phoneCount = 0;
const newPhone = () => `+1555070${String(++phoneCount).padStart(4, '0')}`;
const wait = { timeout: 20_000, interval: 50 };

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0, settings: { statusDelayMs: 5 } });
	stack = await startTestStack({
		functionSecrets: {
			...sandboxFunctionSecrets(sandbox),
			PARLEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
			PARLEY_AI_DEBOUNCE_MS: String(debounceMs)
		}
	});
	sandbox.setWebhookBaseUrl(`${stack.url}/functions/v1`);
	teamA = await team(stack, 'kn-a');
	teamB = await team(stack, 'kn-b');
	({ agentId } = await connectNumberWithAgent(teamA, {
		name: 'Sofia',
		instructions: 'You are Sofia from Parley Store.'
	}));
	shippingId = await writeArticle(
		teamA.owner,
		agentId,
		'Shipping',
		'We ship to Canada and the United States. Delivery to Canada takes 5 to 7 business days.\n\nShipping is free on orders over 50 dollars.'
	);
	returnsId = await writeArticle(
		teamA.owner,
		agentId,
		'Returns',
		'You can return shoes within 30 days of delivery for a full refund, as long as they are unworn.'
	);
	const { data, error } = await teamB.owner
		.from('ai_agents')
		.insert({ tenant_id: teamB.tenantId, name: 'Rival', whatsapp_enabled: true })
		.select('id')
		.single();
	if (error) throw error;
	otherAgentId = data.id;
	await writeArticle(teamB.owner, otherAgentId, 'Secret', 'Our secret sauce uses smoked paprika.');
}, 240_000);

afterAll(async () => {
	await stack?.close();
	await sandbox?.close();
});

interface StoredMessage {
	sender: string;
	body: string | null;
	citations: { passage_id: string; source_id: string; title: string; excerpt: string }[] | null;
	created_at: string;
}

async function storedMessages(phone: string): Promise<StoredMessage[]> {
	const conversation = await conversationOf(teamA.agent, phone);
	const { data, error } = await teamA.agent
		.from('messages')
		.select('sender, body, citations, created_at')
		.eq('conversation_id', conversation.id)
		.order('created_at')
		.order('id');
	if (error) throw error;
	return data.sort(threadOrder);
}

describe('grounded auto-replies', () => {
	it('answers a question from the article that holds the answer, and keeps the citation with the message', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'How long does delivery to Canada take?');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		expect(sentTo(sandbox, phone)[0].body).toBe('Delivery to Canada takes 5 to 7 business days.');

		const [request] = completionsMentioning(sandbox, 'delivery to Canada take?');
		expect(request.response_format?.json_schema?.name).toBe('grounded_answer');
		expect(request.messages[0].content).toContain('<passage id="P1" title="Shipping">');

		await vi.waitFor(async () => {
			const messages = await storedMessages(phone);
			expect(messages.map((m) => m.sender)).toEqual(['customer', 'ai']);
			expect(messages[1].citations).toEqual([
				expect.objectContaining({ source_id: shippingId, title: 'Shipping' })
			]);
			expect(messages[1].citations?.[0].excerpt).toContain('Delivery to Canada takes 5 to 7');
		}, wait);
		expect((await conversationOf(teamA.agent, phone)).ai_active).toBe(true);
	});

	it('hands a question outside the knowledge to a person, telling the team why', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'Do you sell gift cards?');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		expect(sentTo(sandbox, phone)[0].body).toBe(handover);

		const conversation = await conversationOf(teamA.agent, phone);
		expect(conversation.ai_active).toBe(false);
		const reason = 'Sofia found nothing in its knowledge that answers “Do you sell gift cards?”.';
		await vi.waitFor(async () => {
			const { data } = await teamA.agent
				.from('notifications')
				.select('kind, body')
				.eq('conversation_id', conversation.id)
				.eq('kind', 'escalation');
			expect(data).toEqual([{ kind: 'escalation', body: reason }]);
		}, wait);
		const messages = await storedMessages(phone);
		expect(messages.map((m) => [m.sender, m.body])).toEqual([
			['customer', 'Do you sell gift cards?'],
			['ai', handover],
			['system', `AI replies are off for this conversation: ${reason} A person should reply.`]
		]);
		expect(messages[1].citations).toBeNull();
		// Nothing in the knowledge, so no model was asked to make something up.
		expect(completionsMentioning(sandbox, 'gift cards')).toEqual([]);
	});

	it('answers a greeting from the instructions, without escalating', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'Hello!');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		expect(sentTo(sandbox, phone)[0].body).toBe('Sandbox reply to: Hello!');
		expect((await conversationOf(teamA.agent, phone)).ai_active).toBe(true);
	});
});

describe('the agent test chat', () => {
	it('shows what the agent would answer and the passages it used, sending nothing', async () => {
		const before = sandbox.state.messages.size;
		const answer = await callFunction(teamA.owner, 'knowledge/ask', 'POST', {
			agentId,
			question: 'Can I return shoes I bought?'
		});
		expect(answer.status, JSON.stringify(answer.body)).toBe(200);
		expect(answer.body).toMatchObject({
			kind: 'answer',
			reply:
				'You can return shoes within 30 days of delivery for a full refund, as long as they are unworn.',
			citations: [expect.objectContaining({ source_id: returnsId, title: 'Returns' })]
		});
		expect(answer.body.passages[0]).toMatchObject({ title: 'Returns' });
		expect(sandbox.state.messages.size).toBe(before);
	});

	it('says it would hand over, and why, for a question outside the knowledge', async () => {
		const answer = await callFunction(teamA.owner, 'knowledge/ask', 'POST', {
			agentId,
			question: 'What is the wifi password?'
		});
		expect(answer.body).toMatchObject({
			kind: 'escalate',
			reply: handover,
			reason: 'Sofia found nothing in its knowledge that answers “What is the wifi password?”.',
			citations: []
		});
	});

	it("never reaches another workspace's agent or knowledge", async () => {
		const answer = await callFunction(teamA.owner, 'knowledge/ask', 'POST', {
			agentId: otherAgentId,
			question: 'secret sauce paprika'
		});
		expect(answer).toEqual({
			status: 404,
			body: { code: 'not_found', message: 'There is no such AI agent, or you cannot see it.' }
		});
		const { data, error } = await teamA.owner.rpc('match_knowledge', {
			agent_id: otherAgentId,
			query: 'secret sauce paprika'
		});
		expect(error).toBeNull();
		expect(data).toEqual([]);
	});

	it('answers from an edited article once it is saved', async () => {
		const { error } = await teamA.owner
			.from('knowledge_sources')
			.update({
				body: 'We ship to Canada and the United States. Delivery to Canada takes 3 business days with express shipping.'
			})
			.eq('id', shippingId);
		expect(error).toBeNull();
		const answer = await callFunction(teamA.owner, 'knowledge/ask', 'POST', {
			agentId,
			question: 'How long does delivery to Canada take?'
		});
		expect(answer.body).toMatchObject({
			kind: 'answer',
			reply: 'Delivery to Canada takes 3 business days with express shipping.'
		});
	});
});

describe('knowledge files', () => {
	it('turns an uploaded Markdown file into passages by heading, and keeps the file', async () => {
		const markdown =
			'# Payments\n\nWe accept cards, bank transfers and cash on delivery.\n\n# Opening hours\n\nThe shop opens Monday to Saturday from 9 to 18.';
		const uploaded = await uploadKnowledgeFile(
			teamA.owner,
			agentId,
			new File([markdown], 'store-policies.md', { type: 'text/markdown' })
		);
		expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
		expect(uploaded.body.source).toMatchObject({ title: 'store policies', passageCount: 2 });
		const sourceId = (uploaded.body.source as { id: string }).id;

		const { data: passages } = await teamA.agent
			.from('knowledge_passages')
			.select('heading, body')
			.eq('source_id', sourceId)
			.order('position');
		expect(passages).toEqual([
			{
				heading: 'store policies — Payments',
				body: 'We accept cards, bank transfers and cash on delivery.'
			},
			{
				heading: 'store policies — Opening hours',
				body: 'The shop opens Monday to Saturday from 9 to 18.'
			}
		]);
		const { data: source } = await teamA.owner
			.from('knowledge_sources')
			.select('storage_path, content_type, file_name')
			.eq('id', sourceId)
			.single();
		expect(source).toMatchObject({ content_type: 'text/markdown', file_name: 'store-policies.md' });
		const kept = await teamA.agent.storage.from('knowledge-files').download(source!.storage_path);
		expect(kept.error).toBeNull();
		expect(await kept.data!.text()).toBe(markdown);

		const answer = await callFunction(teamA.owner, 'knowledge/ask', 'POST', {
			agentId,
			question: 'Do you accept bank transfers?'
		});
		expect(answer.body).toMatchObject({
			kind: 'answer',
			reply: 'We accept cards, bank transfers and cash on delivery.'
		});
	});

	it('reads the text of an uploaded PDF into passages', async () => {
		const pdf = pdfWithText([
			'Warranty: every bicycle has a two year warranty.',
			'Keep the receipt.'
		]);
		const uploaded = await uploadKnowledgeFile(
			teamA.owner,
			agentId,
			new File([pdf], 'Warranty.pdf', { type: 'application/pdf' })
		);
		expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
		const sourceId = (uploaded.body.source as { id: string }).id;
		const { data: passages } = await teamA.agent
			.from('knowledge_passages')
			.select('heading, body')
			.eq('source_id', sourceId);
		expect(passages).toHaveLength(1);
		expect(passages![0].heading).toBe('Warranty');
		expect(passages![0].body).toContain('every bicycle has a two year warranty');
		expect(passages![0].body).toContain('Keep the receipt.');
	});

	it('refuses uploads from people who are not owners or admins, and files it cannot read', async () => {
		expect(
			await uploadKnowledgeFile(
				teamA.agent,
				agentId,
				new File(['text'], 'notes.txt', { type: 'text/plain' })
			)
		).toEqual({
			status: 403,
			body: {
				code: 'forbidden',
				message: 'Only owners and admins can add knowledge to an AI agent.'
			}
		});
		const image = await uploadKnowledgeFile(
			teamA.owner,
			agentId,
			new File(['GIF89a'], 'logo.gif', { type: 'image/gif' })
		);
		expect(image.status).toBe(415);
		expect(image.body.message).toBe(
			'Upload a Markdown (.md), plain text (.txt) or PDF (.pdf) file; other kinds cannot become knowledge.'
		);
	});
});

describe('the copilot', () => {
	it('suggests a reply from the knowledge for a conversation people answer, sending nothing', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'Hi');
		await vi.waitFor(() => expect(sentTo(sandbox, phone)).toHaveLength(1), wait);
		const conversation = await conversationOf(teamA.agent, phone);
		await teamA.agent.from('conversations').update({ ai_active: false }).eq('id', conversation.id);
		await customerWrites(sandbox, phone, 'Can I get a refund on shoes?');

		const suggestion = await callFunction(teamA.agent, 'copilot/suggest', 'POST', {
			conversationId: conversation.id
		});
		expect(suggestion.status, JSON.stringify(suggestion.body)).toBe(200);
		expect(suggestion.body).toMatchObject({
			text: 'You can return shoes within 30 days of delivery for a full refund, as long as they are unworn.',
			source: 'ai',
			citations: [expect.objectContaining({ source_id: returnsId, title: 'Returns' })]
		});
		const [request] = completionsMentioning(sandbox, 'Can I get a refund on shoes?');
		expect(request.messages[0].content).toContain('You draft the next WhatsApp reply');
		expect(sentTo(sandbox, phone)).toHaveLength(1);
	});

	it('rewrites a draft shorter, friendlier, or in the customer language', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'Hola, ¿cuánto tarda el envío?');
		const conversation = await conversationOf(teamA.agent, phone);
		const draft = 'Delivery takes 5 days. We will send a tracking link.';
		const rewrite = (style: string) =>
			callFunction(teamA.agent, 'copilot/rewrite', 'POST', {
				conversationId: conversation.id,
				text: draft,
				style
			});
		expect((await rewrite('shorter')).body).toEqual({ text: 'Delivery takes 5 days.' });
		expect((await rewrite('friendlier')).body).toEqual({
			text: `Hi! ${draft} Have a lovely day! 😊`
		});
		expect((await rewrite('translate')).body).toEqual({ text: `[es] ${draft}` });
		const [request] = completionsMentioning(sandbox, 'Style: translate.');
		expect(request.messages[1].content).toContain('Hola, ¿cuánto tarda el envío?');
	});

	it('answers 404 for a conversation of another workspace', async () => {
		const phone = newPhone();
		await customerWrites(sandbox, phone, 'private question about shipping');
		const conversation = await conversationOf(teamA.agent, phone);
		expect(
			await callFunction(teamB.owner, 'copilot/suggest', 'POST', {
				conversationId: conversation.id
			})
		).toEqual({
			status: 404,
			body: { code: 'not_found', message: 'There is no such conversation, or you cannot see it.' }
		});
	});
});
