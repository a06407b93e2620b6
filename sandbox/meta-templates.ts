/**
 * Message templates as the Meta Graph stand-in keeps them: how Graph lists a template, and how a
 * template send's components are checked against it and rendered for the customer.
 */
import {
	renderTemplate,
	templatePlaceholders,
	type MetaTemplate,
	type SandboxMessage
} from './state.ts';

export type SentComponent = {
	type: string;
	sub_type?: unknown;
	index?: unknown;
	parameters?: ({ type: string; text?: string } & Record<string, unknown>)[];
};

/**
 * Checks a template send's components as Meta does (each component's parameters against the
 * approved template: header values or media, body values, a value per dynamic URL button) and
 * renders what the customer reads, or names the mismatch in Meta's words.
 */
export function fillTemplate(
	found: MetaTemplate,
	components: SentComponent[]
):
	| { body: string; variables: Record<string, string>; media?: SandboxMessage['media'][number] }
	| { mismatch: string } {
	const ofType = (type: string) =>
		components.find((component) => component.type.toLowerCase() === type);
	const countMismatch = (where: string, given: number, expected: number) => ({
		mismatch: `${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})`
	});
	const lines: string[] = [];
	let media: SandboxMessage['media'][number] | undefined;
	const headerParameters = ofType('header')?.parameters ?? [];
	if (found.header?.format === 'TEXT') {
		const expected = templatePlaceholders(found.header.text);
		if (headerParameters.length !== expected.length)
			return countMismatch('header', headerParameters.length, expected.length);
		lines.push(
			renderTemplate(
				found.header.text,
				Object.fromEntries(expected.map((key, i) => [key, headerParameters[i]?.text ?? '']))
			)
		);
	} else if (found.header) {
		const kind = found.header.format.toLowerCase();
		const parameter = headerParameters[0];
		const object = parameter?.[kind] as { link?: string; id?: string } | undefined;
		if (!parameter || parameter.type !== kind || !(object?.link || object?.id)) {
			return {
				mismatch: `header: Format mismatch, expected ${found.header.format}, received ${parameter?.type?.toUpperCase() ?? 'UNKNOWN'}`
			};
		}
		media = { url: object.link ?? `media:${object.id}`, contentType: kind };
	}
	const bodyParameters = ofType('body')?.parameters ?? [];
	const expected = templatePlaceholders(found.body);
	if (bodyParameters.length !== expected.length)
		return countMismatch('body', bodyParameters.length, expected.length);
	const variables = Object.fromEntries(
		expected.map((name, index) => [name, bodyParameters[index]?.text ?? ''])
	);
	lines.push(renderTemplate(found.body, variables));
	if (found.footer) lines.push(found.footer);
	const buttonLines: string[] = [];
	for (const [index, button] of (found.buttons ?? []).entries()) {
		if (button.type !== 'URL' || templatePlaceholders(button.url).length === 0) {
			buttonLines.push(`[${button.text}]`);
			continue;
		}
		const sent = components.find(
			(component) =>
				component.type.toLowerCase() === 'button' &&
				String(component.sub_type).toLowerCase() === 'url' &&
				String(component.index) === String(index)
		);
		const text = sent?.parameters?.[0]?.text;
		if (!text) return countMismatch(`button at index ${index}`, sent?.parameters?.length ?? 0, 1);
		buttonLines.push(`[${button.text}] ${renderTemplate(button.url, { '1': text })}`);
	}
	if (buttonLines.length > 0) lines.push(buttonLines.join('\n'));
	return { body: lines.join('\n\n'), variables, ...(media ? { media } : {}) };
}

/** A template as Graph lists it: HEADER, BODY, FOOTER and BUTTONS components with examples. */
function templateComponentsJson(template: MetaTemplate) {
	const header = template.header;
	return [
		...(header?.format === 'TEXT'
			? [
					{
						type: 'HEADER',
						format: 'TEXT',
						text: header.text,
						...(header.example ? { example: { header_text: header.example } } : {})
					}
				]
			: header
				? [
						{
							type: 'HEADER',
							format: header.format,
							example: {
								header_handle: [header.example ?? 'https://scontent.whatsapp.net/v/sample']
							}
						}
					]
				: []),
		{ type: 'BODY', text: template.body },
		...(template.footer ? [{ type: 'FOOTER', text: template.footer }] : []),
		...(template.buttons?.length
			? [
					{
						type: 'BUTTONS',
						buttons: template.buttons.map((button) =>
							button.type === 'URL' && button.example
								? {
										type: button.type,
										text: button.text,
										url: button.url,
										example: [button.example]
									}
								: button
						)
					}
				]
			: [])
	];
}

export function templateJson(template: MetaTemplate) {
	return {
		name: template.name,
		parameter_format: 'POSITIONAL',
		components: templateComponentsJson(template),
		language: template.language,
		status: template.status,
		category: template.category,
		id: template.id
	};
}
