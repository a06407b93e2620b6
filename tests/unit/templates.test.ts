import { describe, expect, it } from 'vitest';
import { templateReference, type WhatsAppTemplate } from '$lib/inbox/templates';
import {
	missingTemplateVariables,
	renderTemplateMessage,
	renderTemplateText,
	templatePlaceholders
} from '$shared/template-text';

const base: WhatsAppTemplate = {
	id: 't1',
	provider: 'meta',
	provider_template_id: '1234',
	name: 'order_update',
	language: 'es_MX',
	category: 'UTILITY',
	status: 'approved',
	header: 'Order news',
	body: 'Hola {{1}}, tu pedido {{2}} va en camino. {{1}}, gracias.',
	footer: 'Reply STOP to opt out',
	variables: [
		{ key: '1', example: 'Ana' },
		{ key: '2', example: '#1042' }
	]
};

describe('template text', () => {
	it('lists positional and named placeholders once each, in order of appearance', () => {
		expect(templatePlaceholders(base.body)).toEqual(['1', '2']);
		expect(templatePlaceholders('Hi {{ first_name }}, code {{code}} for {{first_name}}')).toEqual([
			'first_name',
			'code'
		]);
	});

	it('fills every occurrence and keeps placeholders that have no value', () => {
		expect(renderTemplateText(base.body, { '1': 'Ana' })).toBe(
			'Hola Ana, tu pedido {{2}} va en camino. Ana, gracias.'
		);
	});

	it('names the variables left empty or blank', () => {
		expect(missingTemplateVariables(base.body, { '1': 'Ana', '2': '   ' })).toEqual(['2']);
		expect(missingTemplateVariables(base.body, undefined)).toEqual(['1', '2']);
		expect(missingTemplateVariables('No variables here', undefined)).toEqual([]);
	});

	it('previews header, body and footer as the customer reads them', () => {
		expect(renderTemplateMessage(base, { '1': 'Ana', '2': '#7' })).toBe(
			'Order news\n\nHola Ana, tu pedido #7 va en camino. Ana, gracias.\n\nReply STOP to opt out'
		);
	});

	it('refers to Meta templates by name and language, Twilio ones by Content SID', () => {
		expect(templateReference(base, { '1': ' Ana ', '2': '#7' })).toEqual({
			name: 'order_update',
			language: 'es_MX',
			variables: { '1': 'Ana', '2': '#7' }
		});
		expect(
			templateReference(
				{ ...base, provider: 'twilio', provider_template_id: 'HX' + 'a'.repeat(32), variables: [] },
				{}
			)
		).toEqual({ contentSid: 'HX' + 'a'.repeat(32) });
	});
});
