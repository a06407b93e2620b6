import { RestError } from './errors.ts';
import type { Media, RestRequest } from './request.ts';

/** One page of rows as Postgres rendered it: the body, its first element and the row count. */
export interface PageRow {
	page_count: number;
	body: string;
	first_row: string | null;
}

function contentType(media: Media): string {
	switch (media.kind) {
		case 'object':
			return 'application/vnd.pgrst.object+json; charset=utf-8';
		case 'csv':
			return 'text/csv; charset=utf-8';
		case 'plan':
			return `application/vnd.pgrst.plan+${media.format}; for="${media.single ? 'application/vnd.pgrst.object+json' : 'application/json'}"; charset=utf-8`;
		default:
			return 'application/json; charset=utf-8';
	}
}

/** A response with PostgREST's content type and Preference-Applied header; HEAD gets no body. */
export function respond(
	rest: RestRequest,
	status: number,
	body: string | null,
	headers: Record<string, string>
): Response {
	const all: Record<string, string> = { ...headers };
	if (rest.prefer.applied.length) all['preference-applied'] = rest.prefer.applied.join(', ');
	if (body !== null) all['content-type'] = contentType(rest.media);
	return new Response(rest.head || body === null ? null : body, { status, headers: all });
}

/** The PGRST116 error of a request for one object that matched `count` rows. */
export function singleObjectError(count: number): RestError {
	return new RestError(
		406,
		'PGRST116',
		'Cannot coerce the result to a single JSON object',
		`The result contains ${count} rows`,
		null
	);
}

/**
 * Status and Content-Range for a page starting at `offset` (PostgREST's rangeStatusHeader): 416
 * past the end, 206 when the page holds fewer rows than the total, else 200.
 */
export function pageResponse(
	rest: RestRequest,
	page: PageRow,
	offset: number,
	total: number | undefined,
	body: string
): Response {
	const n = page.page_count;
	if (total !== undefined && offset > total) {
		throw new RestError(
			416,
			'PGRST103',
			'Requested range not satisfiable',
			`An offset of ${offset} was requested, but there are only ${total} rows.`,
			null
		);
	}
	const range = n > 0 ? `${offset}-${offset + n - 1}` : '*';
	const status = total !== undefined && n < total ? 206 : 200;
	return respond(rest, status, body, { 'content-range': `${range}/${total ?? '*'}` });
}

/** The body to send: the page, or its only element when one object was asked for. */
export function singleBody(rest: RestRequest, page: PageRow): string {
	if (!rest.single) return page.body;
	if (page.page_count !== 1) throw singleObjectError(page.page_count);
	return page.first_row ?? 'null';
}
