// Knowledge files and the agent test chat; see _shared/knowledge-api.ts.
import { createKnowledgeHandler } from '../_shared/knowledge-api.ts';
import { aiConfig } from '../_shared/ai.ts';
import { providerFunctionConfig } from '../_shared/config.ts';

const env = Deno.env.toObject();
Deno.serve(createKnowledgeHandler(providerFunctionConfig(env), aiConfig(env)));
