/**
 * Template text: the placeholders a body expects and the body with values filled in. WhatsApp
 * bodies use `{{1}}`, `{{2}}`… (positional) or `{{first_name}}` (named). No imports, so the app
 * renders the same preview the server stores.
 */

const placeholder = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The distinct placeholder keys of a body, in the order they first appear. */
export function templatePlaceholders(body: string): string[] {
	return [...new Set([...body.matchAll(placeholder)].map((match) => match[1]))];
}

/** The body with each placeholder replaced by its value; a missing value keeps its placeholder. */
export function renderTemplateText(body: string, variables: Record<string, string>): string {
	return body.replace(placeholder, (whole, key: string) => variables[key] || whole);
}

/** Keys whose values are missing or blank. */
export function missingTemplateVariables(
	body: string,
	variables: Record<string, string> | undefined
): string[] {
	return templatePlaceholders(body).filter((key) => !variables?.[key]?.trim());
}

/** The whole message as the customer reads it: header, body and footer, each filled in. */
export function renderTemplateMessage(
	parts: { header: string | null; body: string; footer: string | null },
	variables: Record<string, string>
): string {
	return [parts.header, parts.body, parts.footer]
		.filter((part): part is string => Boolean(part))
		.map((part) => renderTemplateText(part, variables))
		.join('\n\n');
}
