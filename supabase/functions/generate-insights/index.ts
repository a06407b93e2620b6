// Sentiment and summary of a conversation, with the AI or offline; see _shared/ai-insights.ts.
import { createGenerateInsightsHandler } from '../_shared/ai-insights.ts';
import { aiConfig } from '../_shared/ai.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

const env = Deno.env.toObject();
Deno.serve(createGenerateInsightsHandler(providerFunctionConfig(env), aiConfig(env)));
