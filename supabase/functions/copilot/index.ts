// Suggested replies and rewrites for people answering customers; see _shared/copilot.ts.
import { createCopilotHandler } from '../_shared/copilot.ts';
import { aiConfig } from '../_shared/ai.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

const env = Deno.env.toObject();
Deno.serve(createCopilotHandler(providerFunctionConfig(env), aiConfig(env)));
