/** Longest workspace address the database accepts. */
export const SLUG_MAX_LENGTH = 40;

/**
 * Suggests a workspace address from its name: "Café Ünïcorn Support!" → "cafe-unicorn-support".
 * Only a suggestion: the person may edit it, and the database has the last word.
 */
export function slugFromName(name: string): string {
	return name
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, SLUG_MAX_LENGTH)
		.replace(/-+$/, '');
}
