import { describe, expect, it } from 'vitest';
import {
	boundThread,
	customerAsksForPerson,
	estimateTokens,
	extractiveSummary,
	replySystemPrompt,
	sentimentOfScore,
	threadMessageOf
} from '../../supabase/functions/_shared/ai-text.ts';

describe('the thread sent to the model', () => {
	it('estimates tokens as a quarter of the characters, rounded up', () => {
		expect(estimateTokens('')).toBe(0);
		expect(estimateTokens('abcd')).toBe(1);
		expect(estimateTokens('abcde')).toBe(2);
	});

	it('keeps the newest messages that fit the token budget, oldest first', () => {
		const messages = [
			{ role: 'user' as const, content: 'x'.repeat(400) },
			{ role: 'assistant' as const, content: 'y'.repeat(40) },
			{ role: 'user' as const, content: 'z'.repeat(40) }
		];
		// 10 + 4 tokens each for the last two; the first (100 + 4) does not fit in 40.
		expect(boundThread(messages, 40)).toEqual(messages.slice(1));
		expect(boundThread(messages, 1000)).toEqual(messages);
	});

	it('always keeps the newest message, even when it alone is over the budget', () => {
		const messages = [{ role: 'user' as const, content: 'a'.repeat(4000) }];
		expect(boundThread(messages, 10)).toEqual(messages);
	});

	it('shows customers as the user, people and the AI as the assistant, and leaves out notes', () => {
		expect(threadMessageOf({ sender: 'customer', type: 'text', body: 'Hi' })).toEqual({
			role: 'user',
			content: 'Hi'
		});
		expect(threadMessageOf({ sender: 'agent', type: 'text', body: 'Hello' })?.role).toBe(
			'assistant'
		);
		expect(threadMessageOf({ sender: 'system', type: 'system', body: 'AI is off' })).toBe(
			undefined
		);
		expect(
			threadMessageOf({
				sender: 'customer',
				type: 'document',
				body: null,
				media: { filename: 'invoice.pdf' }
			})
		).toEqual({ role: 'user', content: '[document: invoice.pdf]' });
	});

	it("puts the agent's instructions and the customer's name in the system prompt", () => {
		const prompt = replySystemPrompt('You are Sofia.', 'Ana');
		expect(prompt.startsWith('You are Sofia.')).toBe(true);
		expect(prompt).toContain('whose name is Ana');
	});
});

describe('asking for a person', () => {
	it('recognises customers asking for a person in English and Spanish', () => {
		expect(customerAsksForPerson('Can I talk to a person?')).toBe(true);
		expect(customerAsksForPerson('I want a human')).toBe(true);
		expect(customerAsksForPerson('quiero hablar con una persona')).toBe(true);
	});

	it('does not take an ordinary question for one', () => {
		expect(customerAsksForPerson('Where is my order?')).toBe(false);
		expect(customerAsksForPerson('My travel agent booked it')).toBe(false);
	});
});

describe('offline insights', () => {
	it('labels lexicon scores and keeps them within -1..1', () => {
		expect(sentimentOfScore(0.6)).toEqual({ sentiment: 'positive', score: 0.3 });
		expect(sentimentOfScore(-5)).toEqual({ sentiment: 'negative', score: -1 });
		expect(sentimentOfScore(0.02)).toEqual({ sentiment: 'neutral', score: 0.01 });
	});

	it('picks the sentences whose words recur most, in the order they were written', () => {
		const summary = extractiveSummary(
			[
				'Hello.',
				'My order 1234 has not arrived. The order was due on Monday!',
				'Nice weather today.',
				'Can you check the order status?'
			],
			2
		);
		// Sentences about the order outscore greetings and small talk; ties go to the earlier one.
		expect(summary).toBe('My order 1234 has not arrived. The order was due on Monday!');
	});

	it('says there is nothing to summarise for an empty conversation', () => {
		expect(extractiveSummary([])).toBe('No messages to summarise yet.');
	});
});
