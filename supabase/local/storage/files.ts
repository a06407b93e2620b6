import { copyFile, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';

/**
 * The bytes of objects, on disk under the stack's storage folder. Each version of an object is its
 * own file (`objects/<object id>/<version>`), so a row names exactly the bytes it describes: an
 * upsert writes a new version and the old one is removed only after the metadata committed, and a
 * move (which keeps the id) touches no file.
 */
export class ObjectFiles {
	constructor(readonly root: string) {}

	private path(objectId: string, version: string): string {
		return join(this.root, 'objects', objectId, version);
	}

	/** Writes bytes to a staging file; `place` moves them under the object once its row exists. */
	async stage(bytes: Uint8Array): Promise<StagedFile> {
		const dir = join(this.root, 'staging');
		await mkdir(dir, { recursive: true });
		const path = join(dir, randomUUID());
		await writeFile(path, bytes);
		return {
			place: async (objectId, version) => {
				await mkdir(join(this.root, 'objects', objectId), { recursive: true });
				await rename(path, this.path(objectId, version));
			},
			discard: () => rm(path, { force: true })
		};
	}

	/** Copies one object's bytes to another object (copy keeps the source). */
	async copy(
		from: { id: string; version: string },
		to: { id: string; version: string }
	): Promise<void> {
		await mkdir(join(this.root, 'objects', to.id), { recursive: true });
		await copyFile(this.path(from.id, from.version), this.path(to.id, to.version));
	}

	/** A stream of an object's bytes; null when the file is gone (removed outside the stack). */
	async read(objectId: string, version: string): Promise<ReadableStream<Uint8Array> | null> {
		const handle = await open(this.path(objectId, version), 'r').catch(
			(error: NodeJS.ErrnoException) => {
				if (error.code === 'ENOENT') return null;
				throw error;
			}
		);
		if (!handle) return null;
		return Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>;
	}

	/** Removes one version, or every version of an object. */
	async remove(objectId: string, version?: string): Promise<void> {
		await rm(version ? this.path(objectId, version) : join(this.root, 'objects', objectId), {
			recursive: true,
			force: true
		});
	}
}

export interface StagedFile {
	place(objectId: string, version: string): Promise<void>;
	discard(): Promise<void>;
}
