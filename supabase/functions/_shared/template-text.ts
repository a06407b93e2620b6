/**
 * Template text: the placeholders a template expects and the message with values filled in.
 * WhatsApp uses `{{1}}`, `{{2}}`… (positional) or `{{first_name}}` (named). Its only import is
 * the import-free contracts, so the app renders the same preview the server stores.
 *
 * On Meta the header, the body and each URL button number their placeholders apart (`{{1}}` in the
 * header is not the body's `{{1}}`), and a media header takes a link. On Twilio every placeholder of
 * a Content template, wherever it sits, shares one numbering and goes in `ContentVariables`.
 */
import { mediaHeaderFormats, type MediaHeaderFormat, type TemplateValues } from './contracts.ts';

export { mediaHeaderFormats, type MediaHeaderFormat, type TemplateValues };

const placeholder = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The distinct placeholder keys of a text, in the order they first appear. */
export function templatePlaceholders(text: string): string[] {
	return [...new Set([...text.matchAll(placeholder)].map((match) => match[1]))];
}

/** The text with each placeholder replaced by its value; a missing value keeps its placeholder. */
export function renderTemplateText(text: string, variables: Record<string, string>): string {
	return text.replace(placeholder, (whole, key: string) => variables[key] || whole);
}

/** Keys whose values are missing or blank. */
export function missingTemplateVariables(
	text: string,
	variables: Record<string, string> | undefined
): string[] {
	return templatePlaceholders(text).filter((key) => !variables?.[key]?.trim());
}

/** A placeholder with the provider's sample value when it has one. */
export interface TemplateVariable {
	key: string;
	example: string | null;
}

/** What a template's header holds: text (maybe with placeholders) or a media file. */
export type TemplateHeaderFormat = 'text' | 'image' | 'video' | 'document' | 'location';

/** A template button. Only a URL button takes a value (its dynamic suffix); the rest are shown. */
export interface TemplateButton {
	type: 'quick_reply' | 'url' | 'phone_number' | 'copy_code' | 'other';
	text: string;
	/** URL buttons: the address, `{{1}}` standing for the part filled in when sending. */
	url?: string | null;
	phone_number?: string | null;
	/** URL buttons: the placeholders of `url` (Meta allows one, at the end). */
	variables?: TemplateVariable[];
}

/** A template as stored, as far as filling it in needs. */
export interface TemplateShape {
	provider?: 'twilio' | 'meta';
	header: string | null;
	header_format?: TemplateHeaderFormat | null;
	header_variables?: TemplateVariable[];
	body: string;
	footer: string | null;
	buttons?: TemplateButton[];
}

/** Field keys in missing lists: body keys as they are, the rest prefixed. */
export const headerKey = (key: string) => `header:${key}`;
export const headerMediaKey = 'header:media';
export const buttonKey = (index: number) => `button:${index}`;

const mediaLabels: Record<MediaHeaderFormat | 'location', string> = {
	image: 'Image',
	video: 'Video',
	document: 'Document',
	location: 'Location'
};

/** Whether placeholders outside the body share the body's numbering (Twilio Content). */
function sharedNumbering(template: TemplateShape): boolean {
	return template.provider === 'twilio';
}

/** Whether sending needs a media link from the sender (Meta media headers; Twilio's are fixed). */
export function needsHeaderMedia(template: TemplateShape): template is TemplateShape & {
	header_format: MediaHeaderFormat;
} {
	return (
		!sharedNumbering(template) &&
		(mediaHeaderFormats as readonly string[]).includes(template.header_format ?? '')
	);
}

/** A link a provider can fetch: absolute https. */
export function isHttpsUrl(value: string): boolean {
	try {
		return new URL(value.trim()).protocol === 'https:';
	} catch {
		return false;
	}
}

/**
 * The fields still to fill: body keys ('1'), header keys ('header:1'), the header media
 * ('header:media', also when the link is not https) and URL buttons ('button:0').
 */
export function missingTemplateFields(
	template: TemplateShape,
	values: TemplateValues | undefined
): string[] {
	if (sharedNumbering(template)) {
		const texts = [template.header ?? '', template.body, template.footer ?? ''].concat(
			(template.buttons ?? []).flatMap((button) => [button.text, button.url ?? ''])
		);
		return templatePlaceholders(texts.join('\n')).filter(
			(key) => !values?.variables?.[key]?.trim()
		);
	}
	const missing = missingTemplateVariables(template.body, values?.variables);
	if (template.header_format === 'text' || (!template.header_format && template.header)) {
		missing.push(
			...missingTemplateVariables(template.header ?? '', values?.headerVariables).map(headerKey)
		);
	}
	if (needsHeaderMedia(template) && !isHttpsUrl(values?.headerMedia?.link ?? '')) {
		missing.push(headerMediaKey);
	}
	(template.buttons ?? []).forEach((button, index) => {
		if (button.type === 'url' && templatePlaceholders(button.url ?? '').length > 0) {
			if (!values?.buttonVariables?.[String(index)]?.trim()) missing.push(buttonKey(index));
		}
	});
	return missing;
}

/** A sentence naming the fields still to fill, as the sender sees them. */
export function missingFieldsSentence(template: TemplateShape, missing: string[]): string {
	const names = missing.map((key) => {
		if (key === headerMediaKey) {
			return `the header’s ${mediaLabels[template.header_format as MediaHeaderFormat]?.toLowerCase() ?? 'media'} link (https://…)`;
		}
		if (key.startsWith('header:')) return `the header’s {{${key.slice('header:'.length)}}}`;
		if (key.startsWith('button:')) {
			const button = template.buttons?.[Number(key.slice('button:'.length))];
			return `the end of the “${button?.text ?? 'link'}” button’s link`;
		}
		return `{{${key}}}`;
	});
	const list =
		names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
	return `Fill in ${list} before sending this template.`;
}

/** What a header shows in words when it is media: "📎 Image". */
export function headerMediaLabel(format: TemplateHeaderFormat | null | undefined): string | null {
	return format && format !== 'text' ? `📎 ${mediaLabels[format]}` : null;
}

/** One button as a line of text: "[Track order] https://…", "[Call us] +1…", "[Yes]". */
function buttonLine(button: TemplateButton, variables: Record<string, string>): string {
	if (button.type === 'url' && button.url) {
		return `[${button.text}] ${renderTemplateText(button.url, variables)}`;
	}
	if (button.type === 'phone_number' && button.phone_number) {
		return `[${button.text}] ${button.phone_number}`;
	}
	return `[${button.text}]`;
}

/**
 * The whole message as the customer reads it: header (text, or "📎 Image"…), body, footer and the
 * buttons as lines, each filled in.
 */
export function renderTemplateMessage(template: TemplateShape, values: TemplateValues): string {
	const body = values.variables ?? {};
	const shared = sharedNumbering(template);
	const header =
		template.header_format && template.header_format !== 'text'
			? headerMediaLabel(template.header_format)
			: template.header
				? renderTemplateText(template.header, shared ? body : (values.headerVariables ?? {}))
				: null;
	const buttons = (template.buttons ?? []).map((button, index) => {
		const suffix = values.buttonVariables?.[String(index)]?.trim();
		return buttonLine(button, shared ? body : suffix ? { '1': suffix } : {});
	});
	return [
		header,
		renderTemplateText(template.body, body),
		template.footer ? renderTemplateText(template.footer, body) : null,
		buttons.length > 0 ? buttons.join('\n') : null
	]
		.filter((part): part is string => Boolean(part))
		.join('\n\n');
}
