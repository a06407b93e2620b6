import type { StackContext, StackService } from '../context.ts';
import { loadSupabaseConfig } from '../config.ts';
import { RestError, toRestError, unsupported } from './errors.ts';
import { read } from './read.ts';
import { prepare, type RestRequest } from './request.ts';
import { callRoutine } from './rpc.ts';
import { loadSchemaCache } from './schema-cache.ts';
import { loadRestSettings } from './settings.ts';
import { insert, remove, update } from './write.ts';

/**
 * PostgREST-compatible REST at /rest/v1. A request goes through request.ts (JWT, headers),
 * parse.ts (query string → query), plan.ts and its neighbours (query + schema cache → SQL with
 * bound values), execute.ts (one transaction with the caller's role and claims) and respond.ts
 * (status, headers). read.ts, write.ts and rpc.ts put those together per kind of request.
 */
export async function createRestService(context: StackContext): Promise<StackService> {
	const { api } = await loadSupabaseConfig(context.supabaseDir);
	let config = await loadRestSettings(context.db, api);
	let cache = await loadSchemaCache(context.db, config.schemas);
	let reloading = Promise.resolve();
	const reload = (what: 'schema' | 'config' | 'both') => {
		reloading = reloading
			.then(async () => {
				if (what !== 'schema') config = await loadRestSettings(context.db, api);
				if (what !== 'config') cache = await loadSchemaCache(context.db, config.schemas);
			})
			.catch((error) => console.error(`[rest] ${what} reload failed:`, (error as Error).message));
	};
	// As PostgREST: NOTIFY pgrst, 'reload schema' | 'reload config' (an empty payload reloads both).
	const unlisten = await context.db.listen('pgrst', (payload) => {
		if (payload === '') reload('both');
		else if (payload.startsWith('reload schema')) reload('schema');
		else if (payload.startsWith('reload config')) reload('config');
	});
	return {
		async fetch(request, subpath) {
			let role = 'anon';
			try {
				const rest = await prepare(request, cache, config);
				role = rest.settings.role;
				return await route(context, rest, subpath);
			} catch (error) {
				return toRestError(error, role).toResponse(request.method === 'HEAD');
			}
		},
		close: () => unlisten()
	};
}

async function route(context: StackContext, rest: RestRequest, subpath: string): Promise<Response> {
	const segments = subpath.split('/').filter(Boolean).map(decodePathSegment);
	if (segments.length === 0) throw unsupported('The OpenAPI description at /rest/v1/');
	if (segments[0] === 'rpc' && segments.length === 2) {
		if (!['GET', 'HEAD', 'POST'].includes(rest.method)) throw methodNotAllowed(rest.method);
		return callRoutine(context, rest, segments[1]);
	}
	if (segments.length !== 1)
		throw new RestError(404, 'PGRST125', `Invalid path specified in request URL`, null, null);
	switch (rest.method) {
		case 'GET':
		case 'HEAD':
			return read(context, rest, segments[0]);
		case 'POST':
			return insert(context, rest, segments[0]);
		case 'PATCH':
			return update(context, rest, segments[0]);
		case 'DELETE':
			return remove(context, rest, segments[0]);
		case 'PUT':
			throw unsupported('PUT (single-row upsert)');
		default:
			throw methodNotAllowed(rest.method);
	}
}

function decodePathSegment(segment: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		throw new RestError(404, 'PGRST125', 'Invalid path specified in request URL', null, null);
	}
}

function methodNotAllowed(method: string): RestError {
	return new RestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`, null, null);
}
