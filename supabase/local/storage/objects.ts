import type { Tx } from '../db.ts';
import { objectNotFound } from './errors.ts';

/** storage.objects.metadata, as storage-api writes it. */
export interface ObjectMetadata {
	eTag: string;
	size: number;
	mimetype: string;
	cacheControl: string;
	lastModified: string;
	contentLength: number;
	httpStatusCode: number;
}

/** A row of storage.objects. */
export interface ObjectRow {
	id: string;
	bucket_id: string;
	name: string;
	owner: string | null;
	owner_id: string | null;
	version: string;
	created_at: string;
	updated_at: string;
	last_accessed_at: string;
	metadata: ObjectMetadata | null;
	user_metadata: Record<string, unknown> | null;
}

const objectColumns = `id, bucket_id, name, owner, owner_id, coalesce(version, id::text) as version,
	created_at, updated_at, last_accessed_at, metadata, user_metadata`;

/** One object the caller may read, or 404 Object not found. */
export async function findObject(tx: Tx, bucketId: string, name: string): Promise<ObjectRow> {
	const { rows } = await tx.query<ObjectRow>(
		`select ${objectColumns} from storage.objects where bucket_id = $1 and name = $2`,
		[bucketId, name]
	);
	if (!rows[0]) throw objectNotFound();
	return rows[0];
}

/** What an upload writes. */
export interface ObjectWrite {
	bucketId: string;
	name: string;
	owner: string | null;
	version: string;
	metadata: ObjectMetadata;
	userMetadata: Record<string, unknown> | null;
}

/** A written row and the version it replaced (its file goes once this commits). */
export interface WrittenObject {
	row: ObjectRow;
	replacedVersion: string | null;
}

/**
 * Inserts an object (as the caller: the insert policy decides); with `upsert` an existing one is
 * replaced (the update policy decides). Without it an existing name is a 409.
 */
export async function insertObject(
	tx: Tx,
	write: ObjectWrite,
	upsert: boolean
): Promise<WrittenObject> {
	const { rows } = await tx.query<ObjectRow & { replaced_version: string | null }>(
		`with previous as (
		   select coalesce(version, id::text) as version from storage.objects where bucket_id = $1 and name = $2
		 ), written as (
		   insert into storage.objects as o (bucket_id, name, owner, owner_id, version, metadata, user_metadata)
		   values ($1, $2, $3::uuid, $3::uuid::text, $4, $5::jsonb, $6::jsonb)
		   ${
					upsert
						? `on conflict (bucket_id, name) do update set owner = excluded.owner,
						     owner_id = excluded.owner_id, version = excluded.version, metadata = excluded.metadata,
						     user_metadata = excluded.user_metadata, updated_at = now(), last_accessed_at = now()`
						: ''
				}
		   returning o.*
		 )
		 select ${objectColumns}, (select version from previous) as replaced_version from written`,
		[
			write.bucketId,
			write.name,
			write.owner,
			write.version,
			JSON.stringify(write.metadata),
			write.userMetadata === null ? null : JSON.stringify(write.userMetadata)
		]
	);
	const { replaced_version, ...row } = rows[0];
	return { row, replacedVersion: replaced_version };
}

/** Replaces an existing object's bytes (PUT): 404 when it does not exist or the caller cannot update it. */
export async function updateObject(tx: Tx, write: ObjectWrite): Promise<WrittenObject> {
	const { rows } = await tx.query<ObjectRow & { replaced_version: string | null }>(
		`with previous as (
		   select id, coalesce(version, id::text) as version from storage.objects where bucket_id = $1 and name = $2
		 ), written as (
		   update storage.objects o set owner = $3::uuid, owner_id = $3::uuid::text, version = $4, metadata = $5::jsonb,
		     user_metadata = coalesce($6::jsonb, o.user_metadata), updated_at = now(), last_accessed_at = now()
		   where o.bucket_id = $1 and o.name = $2
		   returning o.*
		 )
		 select ${objectColumns}, (select version from previous) as replaced_version from written`,
		[
			write.bucketId,
			write.name,
			write.owner,
			write.version,
			JSON.stringify(write.metadata),
			write.userMetadata === null ? null : JSON.stringify(write.userMetadata)
		]
	);
	if (!rows[0]) throw objectNotFound();
	const { replaced_version, ...row } = rows[0];
	return { row, replacedVersion: replaced_version };
}

/** Deletes the named objects the caller may delete, returning them. */
export async function deleteObjects(
	tx: Tx,
	bucketId: string,
	names: string[]
): Promise<ObjectRow[]> {
	const { rows } = await tx.query<ObjectRow>(
		`delete from storage.objects where bucket_id = $1 and name = any ($2::text[])
		 returning ${objectColumns}`,
		[bucketId, names]
	);
	return rows;
}

/** Deletes every object of a bucket the caller may delete. */
export async function deleteAllObjects(tx: Tx, bucketId: string): Promise<ObjectRow[]> {
	const { rows } = await tx.query<ObjectRow>(
		`delete from storage.objects where bucket_id = $1 returning ${objectColumns}`,
		[bucketId]
	);
	return rows;
}

/** The objects the caller may read whose name starts with `prefix` (listing works from these). */
export async function objectsUnder(tx: Tx, bucketId: string, prefix: string): Promise<ObjectRow[]> {
	const { rows } = await tx.query<ObjectRow>(
		`select ${objectColumns} from storage.objects
		 where bucket_id = $1 and left(name, length($2)) = $2 order by name`,
		[bucketId, prefix]
	);
	return rows;
}

/** Renames an object, maybe into another bucket (the id, and so its file, stays). */
export async function renameObject(
	tx: Tx,
	from: { bucketId: string; name: string },
	to: { bucketId: string; name: string },
	owner: string | null
): Promise<void> {
	const { affectedRows } = await tx.query(
		`update storage.objects set bucket_id = $3, name = $4, owner = coalesce($5::uuid, owner),
		   owner_id = coalesce($5::uuid::text, owner_id), updated_at = now()
		 where bucket_id = $1 and name = $2`,
		[from.bucketId, from.name, to.bucketId, to.name, owner]
	);
	if (affectedRows === 0) throw objectNotFound();
}

/** A new row for a copy (the insert policy decides), with a new id and version. */
export async function insertCopy(
	tx: Tx,
	source: ObjectRow,
	to: { bucketId: string; name: string },
	owner: string | null,
	version: string,
	upsert: boolean
): Promise<WrittenObject> {
	return insertObject(
		tx,
		{
			bucketId: to.bucketId,
			name: to.name,
			owner,
			version,
			metadata: { ...(source.metadata as ObjectMetadata), lastModified: new Date().toISOString() },
			userMetadata: source.user_metadata
		},
		upsert
	);
}
