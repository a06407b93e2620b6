/**
 * Answers from an AI agent's knowledge: retrieval through match_knowledge (one SQL call; RLS of
 * the client decides whose knowledge is searched), and the grounded structured answer — the
 * answer, the passages it used and a confidence — that auto-replies, the copilot and the agent
 * test chat share.
 */
import type OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { SupabaseClient } from '@supabase/supabase-js';
import { z } from 'zod';
import { databaseFailure } from './database-errors.ts';
import { AiFailure, completeStructured, type ThreadMessage } from './ai.ts';
import {
	citationOf,
	groundedSystemPrompt,
	passageLabel,
	type Citation,
	type KnowledgeConfig,
	type KnowledgePassage
} from './knowledge-text.ts';

export * from './knowledge-text.ts';

const passageRowSchema = z.object({
	passage_id: z.string(),
	source_id: z.string(),
	source_title: z.string(),
	heading: z.string(),
	body: z.string(),
	score: z.coerce.number()
});

/** The passages good enough to answer `question`, best first (none when nothing covers it). */
export async function retrievePassages(
	client: SupabaseClient,
	agentId: string,
	question: string,
	config: KnowledgeConfig
): Promise<KnowledgePassage[]> {
	if (!question.trim()) return [];
	const { data, error } = await client.rpc('match_knowledge', {
		agent_id: agentId,
		query: question,
		match_count: config.passages
	});
	if (error) throw databaseFailure(error);
	return z
		.array(passageRowSchema)
		.parse(data ?? [])
		.filter((passage) => passage.score >= config.minScore);
}

/** Whether the agent has any knowledge at all (without it, it answers from instructions alone). */
export async function hasKnowledge(client: SupabaseClient, agentId: string): Promise<boolean> {
	const { count, error } = await client
		.from('knowledge_sources')
		.select('id', { count: 'exact', head: true })
		.eq('agent_id', agentId);
	if (error) throw databaseFailure(error);
	return (count ?? 0) > 0;
}

/** What the model answers from passages. */
export const groundedSchema = z.object({
	answer: z.string().describe('The message, drawn only from the passages.'),
	passage_ids: z.array(z.string()).describe('Ids of the passages the answer uses, like "P1".'),
	confidence: z.number().min(0).max(1).describe('How sure you are the passages answer it, 0 to 1.'),
	can_answer: z.boolean().describe('False when the passages do not answer the question.'),
	reason: z.string().describe('Why you cannot answer, in one sentence for the team; else empty.')
});

/** The response_format of a grounded request. */
export const groundedResponseFormat = zodResponseFormat(groundedSchema, 'grounded_answer');

/** A grounded answer with the passages it cites, or why there is none. */
export type GroundedOutcome =
	| { kind: 'answer'; text: string; citations: Citation[]; confidence: number }
	| { kind: 'cannot'; reason: string };

/**
 * Asks the model to answer from `passages`. An answer that cites none of them, or that the model is
 * not sure of, counts as no answer: an ungrounded reply never reaches a customer.
 */
export async function answerFromPassages(
	client: OpenAI,
	request: {
		model: string;
		instructions: string;
		contactName: string | null;
		thread: ThreadMessage[];
		passages: KnowledgePassage[];
		audience: 'customer' | 'team member';
		minConfidence: number;
	}
): Promise<GroundedOutcome> {
	const system = groundedSystemPrompt(request);
	const output = await completeStructured(client, {
		model: request.model,
		messages: [{ role: 'system', content: system }, ...request.thread],
		responseFormat: groundedResponseFormat,
		schema: groundedSchema
	});
	if (!output.can_answer) {
		return { kind: 'cannot', reason: output.reason || 'the passages do not answer the question' };
	}
	const byLabel = new Map(request.passages.map((passage, index) => [passageLabel(index), passage]));
	const cited = [...new Set(output.passage_ids.map((id) => id.trim().toUpperCase()))]
		.map((label) => byLabel.get(label))
		.filter((passage): passage is KnowledgePassage => passage !== undefined);
	if (!output.answer.trim()) throw new AiFailure('invalid_output', 'the AI answer was empty');
	if (cited.length === 0) {
		return { kind: 'cannot', reason: 'its answer cited none of the passages' };
	}
	if (output.confidence < request.minConfidence) {
		return {
			kind: 'cannot',
			reason:
				output.reason || `it was not confident enough (${Math.round(output.confidence * 100)}%)`
		};
	}
	return {
		kind: 'answer',
		text: output.answer.trim(),
		citations: cited.map(citationOf),
		confidence: output.confidence
	};
}
