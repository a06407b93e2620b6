import type { AiAgent } from './types.ts';

/** What the setup checklist is worked out from: the workspace's own rows. */
export interface SetupFacts {
	twilio: { status: 'connected' | 'failed' } | null;
	agents: readonly Pick<AiAgent, 'name' | 'active' | 'whatsapp_enabled'>[];
	numberCount: number;
}

/** One step of the checklist, in the order they are done. */
export interface SetupStep {
	id: 'provider' | 'agent' | 'number';
	title: string;
	done: boolean;
	/** What is there, or what to do. */
	detail: string;
}

/** The three steps to a first WhatsApp conversation, each done or not from the facts. */
export function setupSteps({ twilio, agents, numberCount }: SetupFacts): SetupStep[] {
	const whatsappAgents = agents.filter((agent) => agent.whatsapp_enabled);
	const answering = whatsappAgents.find((agent) => agent.active) ?? whatsappAgents[0];
	return [
		{
			id: 'provider',
			title: 'Connect Twilio or Meta',
			done: twilio?.status === 'connected',
			detail:
				twilio?.status === 'connected'
					? 'Twilio is connected; its WhatsApp senders can be picked in the next steps.'
					: twilio?.status === 'failed'
						? 'Twilio refused the saved credentials. Reconnect it under Integrations.'
						: "Connect your Twilio account under Integrations. Going straight through Meta's Cloud API? Each Meta number brings its own token: follow the Meta setup guide."
		},
		{
			id: 'agent',
			title: 'Create an AI agent with WhatsApp on',
			done: answering !== undefined,
			detail: answering
				? `${answering.name} has WhatsApp on${answering.active ? '' : ', but is inactive'}.`
				: 'An active number needs an AI agent with the WhatsApp channel on to answer customers.'
		},
		{
			id: 'number',
			title: 'Connect a number',
			done: numberCount > 0,
			detail:
				numberCount > 0
					? `${numberCount === 1 ? 'One number is' : `${numberCount} numbers are`} connected.`
					: 'Pick one of your Twilio numbers or enter a Meta number, and give it the AI agent.'
		}
	];
}
