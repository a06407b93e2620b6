import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { json } from '../http.ts';
import type { Db } from '../db.ts';
import { asCaller, asStorageAdmin, type StorageCaller } from './caller.ts';
import { bucketLimits } from './buckets.ts';
import { invalidRequest, objectNotFound, StorageError } from './errors.ts';
import type { ObjectFiles } from './files.ts';
import { checkUploadLimits } from './limits.ts';
import {
	deleteObjects,
	findObject,
	insertCopy,
	insertObject,
	objectsUnder,
	renameObject,
	updateObject,
	type ObjectMetadata,
	type ObjectRow,
	type WrittenObject
} from './objects.ts';
import { signObjectUrl, verifiedObjectUrl } from './signing.ts';

/** What every object handler works with. */
export interface ObjectContext {
	db: Db;
	files: ObjectFiles;
	request: Request;
	caller: StorageCaller;
}

/** An object name storage-api would accept: no empty, `.` or `..` segments, no leading slash. */
export function checkObjectName(name: string): string {
	const segments = name.split('/');
	if (!name || segments.some((s) => s === '' || s === '.' || s === '..') || name.length > 1024) {
		throw new StorageError(400, 'InvalidKey', 'Invalid Input', `Invalid key: ${name}`);
	}
	return name;
}

/** Parses a JSON body with a schema; a body that does not fit is a 400 saying what is wrong. */
async function bodyOf<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
	const parsed = schema.safeParse(await request.json().catch(() => undefined));
	if (!parsed.success) {
		throw invalidRequest(
			parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')
		);
	}
	return parsed.data;
}

interface UploadBody {
	bytes: Uint8Array;
	contentType: string;
	cacheControl: string;
	userMetadata: Record<string, unknown> | null;
}

function parseUserMetadata(text: string | null): Record<string, unknown> | null {
	if (!text) return null;
	try {
		const value: unknown = JSON.parse(text);
		if (typeof value === 'object' && value !== null && !Array.isArray(value))
			return value as Record<string, unknown>;
	} catch {
		// fall through to the refusal below
	}
	throw invalidRequest('The object metadata must be a JSON object.');
}

/** The bytes and their description, from a raw body (headers) or a multipart form (first file). */
async function uploadBody(request: Request): Promise<UploadBody> {
	const contentType = request.headers.get('content-type') ?? '';
	if (contentType.toLowerCase().startsWith('multipart/form-data')) {
		const form = await request.formData();
		let file: Blob | undefined;
		form.forEach((value) => {
			if (!file && typeof value !== 'string') file = value;
		});
		if (!file) throw invalidRequest('The multipart form has no file in it.');
		const cacheControl = form.get('cacheControl');
		const metadata = form.get('metadata');
		return {
			bytes: new Uint8Array(await file.arrayBuffer()),
			contentType: file.type || 'application/octet-stream',
			cacheControl: `max-age=${typeof cacheControl === 'string' ? cacheControl : '3600'}`,
			userMetadata: parseUserMetadata(typeof metadata === 'string' ? metadata : null)
		};
	}
	const encodedMetadata = request.headers.get('x-metadata');
	return {
		bytes: new Uint8Array(await request.arrayBuffer()),
		contentType: contentType || 'application/octet-stream',
		cacheControl: request.headers.get('cache-control') ?? 'no-cache',
		userMetadata: parseUserMetadata(
			encodedMetadata ? Buffer.from(encodedMetadata, 'base64').toString('utf8') : null
		)
	};
}

function metadataOf(body: UploadBody): ObjectMetadata {
	const now = new Date().toISOString();
	return {
		eTag: `"${createHash('md5').update(body.bytes).digest('hex')}"`,
		size: body.bytes.byteLength,
		mimetype: body.contentType,
		cacheControl: body.cacheControl,
		lastModified: now,
		contentLength: body.bytes.byteLength,
		httpStatusCode: 200
	};
}

/** POST (create; `x-upsert: true` replaces) or PUT (replace) `/object/{bucket}/{name}`. */
export async function uploadObject(
	context: ObjectContext,
	bucketId: string,
	name: string,
	mode: 'create' | 'replace'
): Promise<Response> {
	checkObjectName(name);
	const body = await uploadBody(context.request);
	const limits = await asStorageAdmin(context.db, (tx) => bucketLimits(tx, bucketId));
	checkUploadLimits(limits, body.bytes.byteLength, body.contentType);
	const upsert = context.request.headers.get('x-upsert') === 'true';
	const staged = await context.files.stage(body.bytes);
	const version = randomUUID();
	let written: WrittenObject;
	try {
		written = await asCaller(context.db, context.caller, context.request, async (tx) => {
			const write = {
				bucketId,
				name,
				owner: context.caller.userId,
				version,
				metadata: metadataOf(body),
				userMetadata: body.userMetadata
			};
			const result =
				mode === 'replace' ? await updateObject(tx, write) : await insertObject(tx, write, upsert);
			// Placed before commit: a row is never visible without its bytes.
			await staged.place(result.row.id, version);
			return result;
		});
	} catch (error) {
		await staged.discard();
		throw error;
	}
	if (written.replacedVersion && written.replacedVersion !== version) {
		await context.files.remove(written.row.id, written.replacedVersion);
	}
	return json({ Id: written.row.id, Key: `${bucketId}/${name}` });
}

/** The bytes of an object with storage-api's headers; `download` makes it an attachment. */
async function serveObject(
	context: ObjectContext,
	row: ObjectRow,
	download: string | null
): Promise<Response> {
	const stream = await context.files.read(row.id, row.version);
	if (!stream) throw objectNotFound();
	const metadata = row.metadata;
	const headers: Record<string, string> = {
		'content-type': metadata?.mimetype ?? 'application/octet-stream',
		'cache-control': metadata?.cacheControl ?? 'no-cache',
		etag: metadata?.eTag ?? `"${row.version}"`,
		'last-modified': new Date(row.updated_at).toUTCString()
	};
	if (metadata?.size !== undefined) headers['content-length'] = String(metadata.size);
	if (download !== null) {
		const filename = download || row.name.split('/').at(-1) || 'download';
		headers['content-disposition'] =
			`attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
	}
	if (context.request.method === 'HEAD') {
		await stream.cancel();
		return new Response(null, { status: 200, headers });
	}
	return new Response(stream, { status: 200, headers });
}

function downloadParam(request: Request): string | null {
	return new URL(request.url).searchParams.get('download');
}

/** GET/HEAD `/object/{bucket}/{name}` and `/object/authenticated/…`: read as the caller (RLS). */
export async function downloadObject(
	context: ObjectContext,
	bucketId: string,
	name: string
): Promise<Response> {
	const row = await asCaller(context.db, context.caller, context.request, (tx) =>
		findObject(tx, bucketId, name)
	);
	return serveObject(context, row, downloadParam(context.request));
}

/** GET `/object/public/{bucket}/{name}`: anyone, when the bucket is public. */
export async function downloadPublicObject(
	context: ObjectContext,
	bucketId: string,
	name: string
): Promise<Response> {
	const row = await asStorageAdmin(context.db, async (tx) => {
		const bucket = await bucketLimits(tx, bucketId).catch(() => undefined);
		if (!bucket?.public) throw objectNotFound();
		return findObject(tx, bucketId, name);
	});
	return serveObject(context, row, downloadParam(context.request));
}

/** GET `/object/info/{bucket}/{name}`: an object's description, as the caller. */
export async function objectInfo(
	context: ObjectContext,
	bucketId: string,
	name: string
): Promise<Response> {
	const row = await asCaller(context.db, context.caller, context.request, (tx) =>
		findObject(tx, bucketId, name)
	);
	return json({
		id: row.id,
		version: row.version,
		name: row.name,
		bucket_id: row.bucket_id,
		size: row.metadata?.size ?? null,
		content_type: row.metadata?.mimetype ?? null,
		cache_control: row.metadata?.cacheControl ?? null,
		etag: row.metadata?.eTag ?? null,
		metadata: row.user_metadata ?? {},
		last_modified: row.updated_at,
		created_at: row.created_at
	});
}

const removeSchema = z.object({ prefixes: z.array(z.string()).min(1).max(1000) });

/** DELETE `/object/{bucket}` `{prefixes}`: removes what the caller may delete, answering those rows. */
export async function removeObjects(context: ObjectContext, bucketId: string): Promise<Response> {
	const { prefixes } = await bodyOf(context.request, removeSchema);
	const removed = await asCaller(context.db, context.caller, context.request, (tx) =>
		deleteObjects(tx, bucketId, prefixes)
	);
	for (const row of removed) await context.files.remove(row.id);
	return json(removed);
}

/** DELETE `/object/{bucket}/{name}`: one object. */
export async function removeObject(
	context: ObjectContext,
	bucketId: string,
	name: string
): Promise<Response> {
	const removed = await asCaller(context.db, context.caller, context.request, (tx) =>
		deleteObjects(tx, bucketId, [name])
	);
	if (removed.length === 0) throw objectNotFound();
	await context.files.remove(removed[0].id);
	return json({ message: 'Successfully deleted' });
}

const listSchema = z.object({
	prefix: z.string().default(''),
	limit: z.number().int().min(1).max(1000).default(100),
	offset: z.number().int().min(0).default(0),
	sortBy: z
		.object({
			column: z.enum(['name', 'updated_at', 'created_at', 'last_accessed_at']).default('name'),
			order: z.enum(['asc', 'desc']).default('asc')
		})
		.default({ column: 'name', order: 'asc' }),
	search: z.string().default('')
});

interface ListEntry {
	name: string;
	id: string | null;
	updated_at: string | null;
	created_at: string | null;
	last_accessed_at: string | null;
	metadata: ObjectMetadata | null;
}

/**
 * POST `/object/list/{bucket}`: one level under a prefix, as storage.search answers it: files, and
 * folders (name only, the rest null) for deeper names. Only what the caller may read is counted.
 */
export async function listObjects(context: ObjectContext, bucketId: string): Promise<Response> {
	const options = await bodyOf(context.request, listSchema);
	const prefix =
		options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : options.prefix + '/';
	const rows = await asCaller(context.db, context.caller, context.request, (tx) =>
		objectsUnder(tx, bucketId, prefix)
	);
	const entries = new Map<string, ListEntry>();
	const search = options.search.toLowerCase();
	for (const row of rows) {
		const rest = row.name.slice(prefix.length);
		const slash = rest.indexOf('/');
		const entryName = slash === -1 ? rest : rest.slice(0, slash);
		if (!entryName.toLowerCase().startsWith(search) || entries.has(entryName)) continue;
		entries.set(
			entryName,
			slash === -1
				? {
						name: entryName,
						id: row.id,
						updated_at: row.updated_at,
						created_at: row.created_at,
						last_accessed_at: row.last_accessed_at,
						metadata: row.metadata
					}
				: {
						name: entryName,
						id: null,
						updated_at: null,
						created_at: null,
						last_accessed_at: null,
						metadata: null
					}
		);
	}
	const { column, order } = options.sortBy;
	const sorted = [...entries.values()].sort((a, b) => {
		const left = column === 'name' ? a.name : String(a[column] ?? '');
		const right = column === 'name' ? b.name : String(b[column] ?? '');
		const byColumn = left < right ? -1 : left > right ? 1 : 0;
		return (order === 'desc' ? -byColumn : byColumn) || (a.name < b.name ? -1 : 1);
	});
	return json(sorted.slice(options.offset, options.offset + options.limit));
}

const transferSchema = z.object({
	bucketId: z.string().min(1),
	sourceKey: z.string().min(1),
	destinationKey: z.string().min(1),
	destinationBucket: z.string().min(1).nullish()
});

/** POST `/object/move`: renames an object (the update policy decides both names). */
export async function moveObject(context: ObjectContext): Promise<Response> {
	const body = await bodyOf(context.request, transferSchema);
	const to = {
		bucketId: body.destinationBucket ?? body.bucketId,
		name: checkObjectName(body.destinationKey)
	};
	await asCaller(context.db, context.caller, context.request, (tx) =>
		renameObject(tx, { bucketId: body.bucketId, name: body.sourceKey }, to, context.caller.userId)
	);
	return json({ message: 'Successfully moved' });
}

/** POST `/object/copy`: a new object with the source's bytes (read and insert policies decide). */
export async function copyObject(context: ObjectContext): Promise<Response> {
	const body = await bodyOf(context.request, transferSchema);
	const to = {
		bucketId: body.destinationBucket ?? body.bucketId,
		name: checkObjectName(body.destinationKey)
	};
	const upsert = context.request.headers.get('x-upsert') === 'true';
	const version = randomUUID();
	const written = await asCaller(context.db, context.caller, context.request, async (tx) => {
		const source = await findObject(tx, body.bucketId, body.sourceKey);
		const copy = await insertCopy(tx, source, to, context.caller.userId, version, upsert);
		await context.files.copy(source, { id: copy.row.id, version });
		return copy;
	});
	if (written.replacedVersion && written.replacedVersion !== version) {
		await context.files.remove(written.row.id, written.replacedVersion);
	}
	return json({ Id: written.row.id, Key: `${to.bucketId}/${to.name}` });
}

const signSchema = z.object({ expiresIn: z.number().int().min(1) });
const signManySchema = z.object({
	expiresIn: z.number().int().min(1),
	paths: z.array(z.string()).min(1).max(1000)
});

/** POST `/object/sign/{bucket}/{name}`: a signed URL for an object the caller can read. */
export async function signObject(
	context: ObjectContext,
	bucketId: string,
	name: string
): Promise<Response> {
	const { expiresIn } = await bodyOf(context.request, signSchema);
	await asCaller(context.db, context.caller, context.request, (tx) =>
		findObject(tx, bucketId, name)
	);
	const url = `${bucketId}/${name}`;
	return json({ signedURL: `/object/sign/${url}?token=${await signObjectUrl(url, expiresIn)}` });
}

/** POST `/object/sign/{bucket}` `{expiresIn, paths}`: one answer per path, an error for each unreadable one. */
export async function signObjects(context: ObjectContext, bucketId: string): Promise<Response> {
	const { expiresIn, paths } = await bodyOf(context.request, signManySchema);
	const readable = await asCaller(context.db, context.caller, context.request, async (tx) => {
		const { rows } = await tx.query<{ name: string }>(
			'select name from storage.objects where bucket_id = $1 and name = any ($2::text[])',
			[bucketId, paths]
		);
		return new Set(rows.map((row) => row.name));
	});
	const answers = await Promise.all(
		paths.map(async (path) => {
			if (!readable.has(path)) {
				return {
					error: 'Either the object does not exist or you do not have access to it',
					path,
					signedURL: null
				};
			}
			const url = `${bucketId}/${path}`;
			return {
				error: null,
				path,
				signedURL: `/object/sign/${url}?token=${await signObjectUrl(url, expiresIn)}`
			};
		})
	);
	return json(answers);
}

/** GET `/object/sign/{bucket}/{name}?token=`: the token is the only authority needed. */
export async function downloadSignedObject(
	context: ObjectContext,
	bucketId: string,
	name: string
): Promise<Response> {
	const token = new URL(context.request.url).searchParams.get('token');
	if (!token)
		throw new StorageError(400, 'InvalidJWT', 'InvalidJWT', 'The signed URL has no token.');
	const granted = await verifiedObjectUrl(token);
	if (granted !== `${bucketId}/${name}`) {
		throw new StorageError(
			400,
			'InvalidSignature',
			'InvalidSignature',
			'The signed URL is for another object.'
		);
	}
	const row = await asStorageAdmin(context.db, (tx) => findObject(tx, bucketId, name));
	return serveObject(context, row, downloadParam(context.request));
}
