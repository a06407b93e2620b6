import type { Tx } from '../db.ts';
import { bucketNotFound } from './errors.ts';

/** A bucket as storage-api answers it. */
export interface BucketRow {
	id: string;
	name: string;
	owner: string | null;
	owner_id: string | null;
	public: boolean;
	file_size_limit: number | null;
	allowed_mime_types: string[] | null;
	created_at: string;
	updated_at: string;
}

const bucketColumns = `id, name, owner, owner_id, coalesce(public, false) as public,
	file_size_limit::float8 as file_size_limit, allowed_mime_types,
	created_at, updated_at`;

export interface BucketListOptions {
	limit?: number;
	offset?: number;
	search?: string;
	sortColumn?: 'id' | 'name' | 'created_at' | 'updated_at';
	sortOrder?: 'asc' | 'desc';
}

/** The buckets the caller may see (RLS on storage.buckets). */
export async function listBuckets(tx: Tx, options: BucketListOptions): Promise<BucketRow[]> {
	const order = `${options.sortColumn ?? 'name'} ${options.sortOrder === 'desc' ? 'desc' : 'asc'}`;
	const { rows } = await tx.query<BucketRow>(
		`select ${bucketColumns} from storage.buckets
		 where $1::text is null or name ilike '%' || $1 || '%'
		 order by ${order} limit $2 offset $3`,
		[options.search ?? null, options.limit ?? null, options.offset ?? 0]
	);
	return rows;
}

/** One bucket the caller may see, or 404 Bucket not found. */
export async function getBucket(tx: Tx, id: string): Promise<BucketRow> {
	const { rows } = await tx.query<BucketRow>(
		`select ${bucketColumns} from storage.buckets where id = $1`,
		[id]
	);
	if (!rows[0]) throw bucketNotFound();
	return rows[0];
}

export interface BucketSettings {
	public: boolean;
	fileSizeLimit: number | null;
	allowedMimeTypes: string[] | null;
}

export async function createBucket(
	tx: Tx,
	id: string,
	name: string,
	owner: string | null,
	settings: BucketSettings
): Promise<void> {
	await tx.query(
		`insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types)
		 values ($1, $2, $3, $4, $5, $6, $7)`,
		[id, name, owner, owner, settings.public, settings.fileSizeLimit, settings.allowedMimeTypes]
	);
}

/** Changes a bucket's settings; 404 when the caller cannot see or change it. */
export async function updateBucket(tx: Tx, id: string, settings: BucketSettings): Promise<void> {
	const { affectedRows } = await tx.query(
		`update storage.buckets set public = $2, file_size_limit = $3, allowed_mime_types = $4,
		   updated_at = now()
		 where id = $1`,
		[id, settings.public, settings.fileSizeLimit, settings.allowedMimeTypes]
	);
	if (affectedRows === 0) throw bucketNotFound();
}

/** Deletes an empty bucket (objects left make the foreign key refuse: 409 not empty). */
export async function deleteBucket(tx: Tx, id: string): Promise<void> {
	const { affectedRows } = await tx.query(`delete from storage.buckets where id = $1`, [id]);
	if (affectedRows === 0) throw bucketNotFound();
}

/** A bucket's limits, read past RLS as storage-api does before an upload. */
export async function bucketLimits(
	tx: Tx,
	id: string
): Promise<{
	public: boolean;
	file_size_limit: number | null;
	allowed_mime_types: string[] | null;
}> {
	const { rows } = await tx.query<{
		public: boolean;
		file_size_limit: number | null;
		allowed_mime_types: string[] | null;
	}>(
		`select coalesce(public, false) as public, file_size_limit::float8 as file_size_limit,
		   allowed_mime_types from storage.buckets where id = $1`,
		[id]
	);
	if (!rows[0]) throw bucketNotFound();
	return rows[0];
}
