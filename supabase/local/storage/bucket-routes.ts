import { z } from 'zod';
import { json } from '../http.ts';
import { asCaller } from './caller.ts';
import {
	createBucket,
	deleteBucket,
	getBucket,
	listBuckets,
	updateBucket,
	type BucketSettings
} from './buckets.ts';
import { invalidRequest } from './errors.ts';
import { parseFileSizeLimit } from './limits.ts';
import { deleteAllObjects } from './objects.ts';
import type { ObjectContext } from './object-routes.ts';

const bucketBody = z.object({
	id: z.string().min(1).max(100).optional(),
	name: z
		.string()
		.min(1)
		.max(100)
		.regex(/^[\w!.*'() &$@=;:+,?-]+$/, 'Bucket names may not contain slashes.'),
	public: z.boolean().nullish(),
	file_size_limit: z.union([z.number(), z.string()]).nullish(),
	allowed_mime_types: z.array(z.string().min(1)).nullish()
});

async function parseBucketBody(request: Request) {
	const parsed = bucketBody.safeParse(await request.json().catch(() => undefined));
	if (!parsed.success) {
		throw invalidRequest(
			parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')
		);
	}
	return parsed.data;
}

function settingsOf(body: z.infer<typeof bucketBody>): BucketSettings {
	return {
		public: body.public ?? false,
		fileSizeLimit: parseFileSizeLimit(body.file_size_limit),
		allowedMimeTypes: body.allowed_mime_types?.length ? body.allowed_mime_types : null
	};
}

const listQuery = z.object({
	limit: z.coerce.number().int().min(1).optional(),
	offset: z.coerce.number().int().min(0).optional(),
	search: z.string().optional(),
	sortColumn: z.enum(['id', 'name', 'created_at', 'updated_at']).optional(),
	sortOrder: z.enum(['asc', 'desc']).optional()
});

/** GET `/bucket`: the buckets the caller may see. */
export async function listBucketsRoute(context: ObjectContext): Promise<Response> {
	const parsed = listQuery.safeParse(Object.fromEntries(new URL(context.request.url).searchParams));
	if (!parsed.success) throw invalidRequest('The bucket list options are not valid.');
	return json(
		await asCaller(context.db, context.caller, context.request, (tx) =>
			listBuckets(tx, parsed.data)
		)
	);
}

/** GET `/bucket/{id}`. */
export async function getBucketRoute(context: ObjectContext, id: string): Promise<Response> {
	return json(
		await asCaller(context.db, context.caller, context.request, (tx) => getBucket(tx, id))
	);
}

/** POST `/bucket`: creates a bucket as the caller (service_role, or a policy on buckets). */
export async function createBucketRoute(context: ObjectContext): Promise<Response> {
	const body = await parseBucketBody(context.request);
	const id = body.id ?? body.name;
	await asCaller(context.db, context.caller, context.request, (tx) =>
		createBucket(tx, id, body.name, context.caller.userId, settingsOf(body))
	);
	return json({ name: id });
}

/** PUT `/bucket/{id}`: public flag and limits. */
export async function updateBucketRoute(context: ObjectContext, id: string): Promise<Response> {
	const body = await parseBucketBody(context.request);
	await asCaller(context.db, context.caller, context.request, (tx) =>
		updateBucket(tx, id, settingsOf(body))
	);
	return json({ message: 'Successfully updated' });
}

/** POST `/bucket/{id}/empty`: removes every object the caller may delete. */
export async function emptyBucketRoute(context: ObjectContext, id: string): Promise<Response> {
	const removed = await asCaller(context.db, context.caller, context.request, async (tx) => {
		await getBucket(tx, id);
		return deleteAllObjects(tx, id);
	});
	for (const row of removed) await context.files.remove(row.id);
	return json({ message: 'Successfully emptied' });
}

/** DELETE `/bucket/{id}`: only an empty bucket. */
export async function deleteBucketRoute(context: ObjectContext, id: string): Promise<Response> {
	await asCaller(context.db, context.caller, context.request, (tx) => deleteBucket(tx, id));
	return json({ message: 'Successfully deleted' });
}
