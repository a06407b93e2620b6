/**
 * Starting the AI reply to a new inbound message (the conversation has AI on and the number's agent
 * is active): the reply job's generation moves on before the webhook answers, and the answer is
 * built in the background once the customer is quiet (see ai-reply.ts). The webhook handlers are
 * given a scheduler, so they never import the AI modules and tests can give them their own.
 */
import type { ProviderFunctionConfig } from './config.ts';
import { serviceClient } from './clients.ts';
import { runInBackground } from './background.ts';
import type { IngestedMessage } from './delivery-results.ts';

/** Schedules the AI reply to one stored message; never throws (the message is stored either way). */
export type AiReplyScheduler = (message: IngestedMessage) => Promise<void>;

/**
 * The scheduler of a function given its config and the environment it started with: the AI
 * modules (and the OpenAI SDK) load on the first message that needs a reply, and the AI settings
 * are read once, from `env`.
 */
export function aiReplyScheduler(
	config: ProviderFunctionConfig,
	env: Record<string, string | undefined>
): AiReplyScheduler {
	let loading: Promise<AiReplyModules> | undefined;
	return async (message) => {
		try {
			loading ??= loadAiReplyModules(env);
			const { ai, requestAiReply, runAiReplyJob } = await loading;
			const generation = await requestAiReply(ai, serviceClient(config), message.conversation_id);
			if (generation === undefined) return;
			runInBackground(runAiReplyJob(config, ai, message.conversation_id, generation));
		} catch (error) {
			// The customer's message is stored and the webhook must still answer 200: a reply that
			// cannot be scheduled is logged, not retried by the provider.
			loading = undefined;
			console.error('could not schedule an AI reply', error);
		}
	};
}

type AiReplyModules = Pick<typeof import('./ai-reply.ts'), 'requestAiReply' | 'runAiReplyJob'> & {
	ai: ReturnType<typeof import('./ai.ts').aiConfig>;
};

async function loadAiReplyModules(
	env: Record<string, string | undefined>
): Promise<AiReplyModules> {
	const [{ aiConfig }, { requestAiReply, runAiReplyJob }] = await Promise.all([
		import('./ai.ts'),
		import('./ai-reply.ts')
	]);
	return { ai: aiConfig(env), requestAiReply, runAiReplyJob };
}
