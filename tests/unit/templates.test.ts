import { describe, expect, it } from 'vitest';
import { templateReference, type WhatsAppTemplate } from '$lib/inbox/templates';
import {
	isHttpsUrl,
	missingFieldsSentence,
	missingTemplateFields,
	missingTemplateVariables,
	renderTemplateMessage,
	renderTemplateText,
	templatePlaceholders,
	type TemplateShape
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
	],
	header_format: 'text',
	header_variables: [],
	buttons: []
};

/** A Meta template with a photo header, a tracking link and a quick reply. */
const shipped: TemplateShape = {
	provider: 'meta',
	header: null,
	header_format: 'image',
	header_variables: [],
	body: 'Hi {{1}}, your order shipped.',
	footer: null,
	buttons: [
		{
			type: 'url',
			text: 'Track',
			url: 'https://shop.example/t/{{1}}',
			variables: [{ key: '1', example: 'A1' }]
		},
		{ type: 'quick_reply', text: 'Stop' },
		{ type: 'phone_number', text: 'Call us', phone_number: '+15550001111' }
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
		expect(renderTemplateMessage(base, { variables: { '1': 'Ana', '2': '#7' } })).toBe(
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

	it('numbers a Meta header apart from the body and fills it from its own values', () => {
		const sale: TemplateShape = {
			...base,
			provider: 'meta',
			header: '{{1}} sale for {{2}}',
			header_variables: [
				{ key: '1', example: 'Spring' },
				{ key: '2', example: 'you' }
			]
		};
		const values = {
			variables: { '1': 'Ana', '2': '#7' },
			headerVariables: { '1': 'Winter', '2': '' }
		};
		expect(missingTemplateFields(sale, values)).toEqual(['header:2']);
		expect(missingFieldsSentence(sale, ['2', 'header:2'])).toBe(
			'Fill in {{2}} and the header’s {{2}} before sending this template.'
		);
		expect(renderTemplateMessage(sale, values).split('\n\n')[0]).toBe('Winter sale for {{2}}');
	});

	it('asks a media header for an https link and each dynamic URL button for its value', () => {
		expect(missingTemplateFields(shipped, { variables: { '1': 'Ana' } })).toEqual([
			'header:media',
			'button:0'
		]);
		expect(
			missingTemplateFields(shipped, {
				variables: { '1': 'Ana' },
				headerMedia: { type: 'image', link: 'http://insecure.example/a.jpg' },
				buttonVariables: { '0': 'Z9' }
			})
		).toEqual(['header:media']);
		expect(
			missingTemplateFields(shipped, {
				variables: { '1': 'Ana' },
				headerMedia: { type: 'image', link: 'https://cdn.example/a.jpg' },
				buttonVariables: { '0': 'Z9' }
			})
		).toEqual([]);
		expect(missingFieldsSentence(shipped, ['1', 'header:media', 'button:0'])).toBe(
			'Fill in {{1}}, the header’s image link (https://…) and the end of the “Track” button’s link before sending this template.'
		);
		expect(isHttpsUrl(' https://cdn.example/a.jpg ')).toBe(true);
		expect(isHttpsUrl('cdn.example/a.jpg')).toBe(false);
	});

	it('renders a media header in words and the buttons as lines, URL suffix filled in', () => {
		expect(
			renderTemplateMessage(shipped, {
				variables: { '1': 'Ana' },
				headerMedia: { type: 'image', link: 'https://cdn.example/a.jpg' },
				buttonVariables: { '0': 'Z9' }
			})
		).toBe(
			'📎 Image\n\nHi Ana, your order shipped.\n\n[Track] https://shop.example/t/Z9\n[Stop]\n[Call us] +15550001111'
		);
	});

	it('takes every placeholder of Twilio Content from one numbering, wherever it sits', () => {
		const card: TemplateShape = {
			provider: 'twilio',
			header: null,
			header_format: 'image',
			body: 'Hi {{1}}, parcel ready',
			footer: 'By {{2}}',
			buttons: [{ type: 'url', text: 'Map', url: 'https://maps.example/{{3}}' }]
		};
		// No media link is asked: a Twilio card's media is fixed in the Content.
		expect(missingTemplateFields(card, { variables: { '1': 'Ana' } })).toEqual(['2', '3']);
		expect(
			renderTemplateMessage(card, { variables: { '1': 'Ana', '2': 'Friday', '3': 's7' } })
		).toBe('📎 Image\n\nHi Ana, parcel ready\n\nBy Friday\n\n[Map] https://maps.example/s7');
	});

	it('sends header values, a media header and URL suffixes with a Meta template reference', () => {
		const template: WhatsAppTemplate = {
			...base,
			...shipped,
			provider: 'meta',
			variables: [{ key: '1', example: null }]
		} as WhatsAppTemplate;
		expect(
			templateReference(template, {
				'1': ' Ana ',
				'header:media': ' https://cdn.example/a.jpg ',
				'button:0': ' Z9 '
			})
		).toEqual({
			name: 'order_update',
			language: 'es_MX',
			variables: { '1': 'Ana' },
			headerMedia: { type: 'image', link: 'https://cdn.example/a.jpg' },
			buttonVariables: { '0': 'Z9' }
		});
	});
});
