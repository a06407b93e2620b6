import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxFunctionSecrets, startSandbox, type Sandbox } from '../../sandbox/index.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	connectNumberWithAgent,
	conversationOf,
	customerWrites,
	messagesOf,
	sentTo,
	team,
	writeArticle,
	type Team
} from './ai-support.ts';
import { callFunction } from '../support/clients.ts';

// Parley without an AI key: messages still arrive and nothing is asked of any AI provider, and
// insights come from the offline analysis, labelled as such.

const debounceMs = 200;
let sandbox: Sandbox;
let stack: TestStack;
let teamA: Team;
let agentId: string;

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0, settings: { statusDelayMs: 5 } });
	const secrets = { ...sandboxFunctionSecrets(sandbox) };
	delete secrets.OPENAI_API_KEY;
	stack = await startTestStack({
		functionSecrets: {
			...secrets,
			PARLEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
			PARLEY_AI_DEBOUNCE_MS: String(debounceMs)
		}
	});
	sandbox.setWebhookBaseUrl(`${stack.url}/functions/v1`);
	teamA = await team(stack, 'ai-offline');
	({ agentId } = await connectNumberWithAgent(teamA, {
		name: 'Sofia',
		instructions: 'Answer kindly.'
	}));
}, 240_000);

afterAll(async () => {
	await stack?.close();
	await sandbox?.close();
});

describe('without an AI key', () => {
	it('says AI is not configured, so the agents page can say why replies are off', async () => {
		expect(await callFunction(teamA.agent, 'generate-insights/status', 'GET')).toEqual({
			status: 200,
			body: { aiConfigured: false }
		});
	});

	it('keeps customer messages and asks no AI provider for a reply', async () => {
		await customerWrites(sandbox, '+15550400001', 'Is anyone there without AI?');
		await new Promise((resolve) => setTimeout(resolve, debounceMs * 6));

		expect(sandbox.requests({ provider: 'openai' })).toEqual([]);
		expect(sentTo(sandbox, '+15550400001')).toEqual([]);
		const conversation = await conversationOf(teamA.agent, '+15550400001');
		expect(conversation.ai_active).toBe(true);
		expect((await messagesOf(teamA.agent, conversation.id)).map((m) => m.body)).toEqual([
			'Is anyone there without AI?'
		]);
	});

	it('computes insights offline: lexicon sentiment and an extractive summary, labelled offline', async () => {
		const phone = '+15550400002';
		await customerWrites(
			sandbox,
			phone,
			'I love the new jacket, thank you! The jacket fits perfectly. The delivery of the jacket was fast.'
		);
		await customerWrites(sandbox, phone, 'Could you send the invoice for the jacket?');
		const conversation = await conversationOf(teamA.agent, phone);

		const answer = await callFunction(teamA.agent, 'generate-insights', 'POST', {
			conversationId: conversation.id
		});
		expect(answer.status, JSON.stringify(answer.body)).toBe(200);
		expect(answer.body).toMatchObject({
			conversationId: conversation.id,
			sentiment: 'positive',
			source: 'offline'
		});
		expect(answer.body.sentimentScore).toBeGreaterThan(0);
		expect(answer.body.sentimentScore).toBeLessThanOrEqual(1);
		const summary = answer.body.summary as string;
		expect(summary).toContain('The jacket fits perfectly.');
		expect(summary.length).toBeLessThan(
			'I love the new jacket, thank you! The jacket fits perfectly. The delivery of the jacket was fast. Could you send the invoice for the jacket?'
				.length
		);
		expect(await conversationOf(teamA.owner, phone)).toMatchObject({
			sentiment: 'positive',
			summary,
			insights_source: 'offline'
		});
		expect(sandbox.requests({ provider: 'openai' })).toEqual([]);
	});

	it('labels an unhappy customer negative', async () => {
		const phone = '+15550400003';
		await customerWrites(
			sandbox,
			phone,
			'This is terrible. My order arrived broken and I am angry.'
		);
		const conversation = await conversationOf(teamA.agent, phone);
		const answer = await callFunction(teamA.agent, 'generate-insights', 'POST', {
			conversationId: conversation.id
		});
		expect(answer.body).toMatchObject({ sentiment: 'negative', source: 'offline' });
		expect(answer.body.sentimentScore).toBeLessThan(0);
	});
});

describe('knowledge without an AI key', () => {
	const returns =
		'You can return shoes within 30 days of delivery for a full refund, as long as they are unworn.';

	it('sends the customer no retrieval-only answer, but suggests the best passage to a person', async () => {
		await writeArticle(teamA.owner, agentId, 'Returns', returns);
		const phone = '+15550400004';
		await customerWrites(sandbox, phone, 'Can I return shoes I bought?');
		const conversation = await conversationOf(teamA.agent, phone);

		const suggestion = await callFunction(teamA.agent, 'copilot/suggest', 'POST', {
			conversationId: conversation.id
		});
		expect(suggestion.status, JSON.stringify(suggestion.body)).toBe(200);
		expect(suggestion.body).toMatchObject({
			text: returns,
			source: 'knowledge',
			citations: [expect.objectContaining({ title: 'Returns' })]
		});
		const tried = await callFunction(teamA.owner, 'knowledge/ask', 'POST', {
			agentId,
			question: 'Can I return shoes I bought?'
		});
		expect(tried.body).toMatchObject({ kind: 'retrieval', reply: returns });

		// The webhook answered long ago; a reply, had one been made, would have gone out by now.
		await new Promise((resolve) => setTimeout(resolve, debounceMs * 6));
		expect(sentTo(sandbox, phone)).toEqual([]);
		expect(sandbox.requests({ provider: 'openai' })).toEqual([]);
		expect(
			(
				await callFunction(teamA.agent, 'copilot/rewrite', 'POST', {
					conversationId: conversation.id,
					text: 'Yes, within 30 days.',
					style: 'shorter'
				})
			).status
		).toBe(503);
	});
});
