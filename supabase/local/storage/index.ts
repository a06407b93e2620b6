import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackContext, StackService } from '../context.ts';
import { storageCaller } from './caller.ts';
import { StorageError, toStorageError, unsupported } from './errors.ts';
import { ObjectFiles } from './files.ts';
import {
	copyObject,
	downloadObject,
	downloadPublicObject,
	downloadSignedObject,
	listObjects,
	moveObject,
	objectInfo,
	removeObject,
	removeObjects,
	signObject,
	signObjects,
	uploadObject,
	type ObjectContext
} from './object-routes.ts';
import {
	createBucketRoute,
	deleteBucketRoute,
	emptyBucketRoute,
	getBucketRoute,
	listBucketsRoute,
	updateBucketRoute
} from './bucket-routes.ts';

export interface StorageServiceOptions {
	/** Where object bytes live; without it a temporary folder, removed when the stack closes. */
	dir?: string;
}

/** A route: method, path pattern (`:bucket` one segment, `*name` the rest), handler. */
interface Route {
	method: string[];
	pattern: string[];
	handle(context: ObjectContext, params: Record<string, string>): Promise<Response>;
}

const read = ['GET', 'HEAD'];
const route = (method: string | string[], path: string, handle: Route['handle']): Route => ({
	method: [method].flat(),
	pattern: path.split('/').filter(Boolean),
	handle
});

/** The storage-api routes storage-js calls, most specific first. */
const routes: Route[] = [
	route('GET', '/bucket', (c) => listBucketsRoute(c)),
	route('POST', '/bucket', (c) => createBucketRoute(c)),
	route('POST', '/bucket/:id/empty', (c, p) => emptyBucketRoute(c, p.id)),
	route('GET', '/bucket/:id', (c, p) => getBucketRoute(c, p.id)),
	route('PUT', '/bucket/:id', (c, p) => updateBucketRoute(c, p.id)),
	route('DELETE', '/bucket/:id', (c, p) => deleteBucketRoute(c, p.id)),
	route('POST', '/object/list/:bucket', (c, p) => listObjects(c, p.bucket)),
	route('POST', '/object/move', (c) => moveObject(c)),
	route('POST', '/object/copy', (c) => copyObject(c)),
	route('POST', '/object/sign/:bucket/*name', (c, p) => signObject(c, p.bucket, p.name)),
	route('POST', '/object/sign/:bucket', (c, p) => signObjects(c, p.bucket)),
	route(read, '/object/sign/:bucket/*name', (c, p) => downloadSignedObject(c, p.bucket, p.name)),
	route('GET', '/object/info/authenticated/:bucket/*name', (c, p) =>
		objectInfo(c, p.bucket, p.name)
	),
	route('GET', '/object/info/public/:bucket/*name', (c, p) => objectInfo(c, p.bucket, p.name)),
	route('GET', '/object/info/:bucket/*name', (c, p) => objectInfo(c, p.bucket, p.name)),
	route(read, '/object/public/:bucket/*name', (c, p) => downloadPublicObject(c, p.bucket, p.name)),
	route(read, '/object/authenticated/:bucket/*name', (c, p) => downloadObject(c, p.bucket, p.name)),
	route(read, '/object/:bucket/*name', (c, p) => downloadObject(c, p.bucket, p.name)),
	route('POST', '/object/:bucket/*name', (c, p) => uploadObject(c, p.bucket, p.name, 'create')),
	route('PUT', '/object/:bucket/*name', (c, p) => uploadObject(c, p.bucket, p.name, 'replace')),
	route('DELETE', '/object/:bucket/*name', (c, p) => removeObject(c, p.bucket, p.name)),
	route('DELETE', '/object/:bucket', (c, p) => removeObjects(c, p.bucket))
];

/** Parts of storage-api the stack leaves out, named so the caller reads why. */
const unsupportedPrefixes: [string, string][] = [
	['/object/upload/sign/', 'Signed upload URLs'],
	['/object/list-v2/', 'Listing with list-v2'],
	['/render/', 'Image transformations'],
	['/upload/resumable', 'Resumable (TUS) uploads'],
	['/s3', 'The S3 protocol'],
	['/cdn/', 'CDN cache purges'],
	['/iceberg', 'Analytics buckets'],
	['/vector', 'Vector buckets']
];

function match(pattern: string[], segments: string[]): Record<string, string> | undefined {
	const params: Record<string, string> = {};
	for (let index = 0; index < pattern.length; index++) {
		const part = pattern[index];
		if (part.startsWith('*')) {
			if (index >= segments.length) return undefined;
			params[part.slice(1)] = segments.slice(index).join('/');
			return params;
		}
		if (index >= segments.length) return undefined;
		if (part.startsWith(':')) params[part.slice(1)] = segments[index];
		else if (part !== segments[index]) return undefined;
	}
	return segments.length === pattern.length ? params : undefined;
}

function decodeSegments(subpath: string): string[] {
	try {
		return subpath.split('/').filter(Boolean).map(decodeURIComponent);
	} catch {
		throw new StorageError(400, 'InvalidKey', 'Invalid Input', 'The path is not valid.');
	}
}

/**
 * The Storage API (storage-api subset) at /storage/v1: buckets and objects whose metadata lives in
 * storage.buckets / storage.objects, read and written as the caller so RLS decides, and whose
 * bytes live on disk (see files.ts).
 */
export async function createStorageService(
	context: StackContext,
	options: StorageServiceOptions = {}
): Promise<StackService> {
	const temporary = options.dir ? undefined : await mkdtemp(join(tmpdir(), 'parley-storage-'));
	const root = options.dir ?? temporary!;
	await mkdir(root, { recursive: true });
	const files = new ObjectFiles(root);
	return {
		async fetch(request, subpath) {
			const head = request.method === 'HEAD';
			try {
				const unsupportedPart = unsupportedPrefixes.find(([prefix]) => subpath.startsWith(prefix));
				if (unsupportedPart) throw unsupported(unsupportedPart[1]);
				const segments = decodeSegments(subpath);
				for (const candidate of routes) {
					if (!candidate.method.includes(request.method)) continue;
					const params = match(candidate.pattern, segments);
					if (!params) continue;
					const caller = await storageCaller(request);
					return await candidate.handle({ db: context.db, files, request, caller }, params);
				}
				throw unsupported(`${request.method} /storage/v1${subpath}`);
			} catch (error) {
				return toStorageError(error).toResponse(head);
			}
		},
		async close() {
			if (temporary) await rm(temporary, { recursive: true, force: true });
		}
	};
}
