import { z } from 'zod';

/** The languages an agent's knowledge can be written in (Postgres text search configurations). */
export const KNOWLEDGE_LANGUAGES = [
	['english', 'English'],
	['spanish', 'Spanish'],
	['portuguese', 'Portuguese'],
	['french', 'French'],
	['german', 'German'],
	['italian', 'Italian'],
	['dutch', 'Dutch'],
	['simple', 'Other (no stemming)']
] as const;

/** A knowledge source as the agent's page lists it. */
export interface KnowledgeSource {
	id: string;
	kind: 'article' | 'file';
	title: string;
	body: string;
	file_name: string | null;
	passage_count: number;
	updated_at: string;
}

/** A passage an answer was drawn from, as stored with the AI message. */
export const citationSchema = z.object({
	passage_id: z.string(),
	source_id: z.string(),
	title: z.string(),
	excerpt: z.string()
});
export type Citation = z.infer<typeof citationSchema>;

/** The article form. */
export const articleSchema = z.object({
	sourceId: z.union([z.literal(''), z.guid()]),
	title: z
		.string()
		.trim()
		.min(1, 'Give the article a title, like the question it answers.')
		.max(200, 'A title can be at most 200 characters long.'),
	body: z
		.string()
		.trim()
		.min(1, "Write the article's text before saving it.")
		.max(200_000, 'An article can hold at most 200,000 characters; split it into several.')
});

/** The agent test chat's answer (the knowledge function's `ask`). */
export interface TestChatAnswer {
	kind: 'answer' | 'escalate' | 'retrieval';
	reply: string;
	reason?: string;
	citations: Citation[];
	passages: { passage_id: string; title: string; score: number }[];
	notice?: string;
}

/** A copilot suggestion for the composer. */
export interface CopilotSuggestion {
	text: string;
	citations: Citation[];
	source: 'ai' | 'knowledge';
	notice?: string;
}
