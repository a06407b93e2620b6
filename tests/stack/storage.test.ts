import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { createTeam, type Team } from '../support/webhooks.ts';

// supabase.storage against the local stack's /storage/v1: buckets, uploads, downloads, signed URLs,
// listing, moves and copies, with the policies on storage.objects deciding who reads what.

let stack: TestStack;
let service: SupabaseClient;
let teamA: Team;
let teamB: Team;
const bucket = `files-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
	stack = await startTestStack();
	service = stack.client(stack.serviceRoleKey);
	teamA = await createTeam(stack, `storage-a-${randomUUID().slice(0, 6)}`);
	teamB = await createTeam(stack, `storage-b-${randomUUID().slice(0, 6)}`);
	const { error } = await service.storage.createBucket(bucket, {
		public: false,
		fileSizeLimit: '1KB',
		allowedMimeTypes: ['image/*', 'text/plain']
	});
	expect(error).toBeNull();
}, 120_000);

afterAll(() => stack?.close());

describe('buckets', () => {
	it('the service role creates, reads, lists, updates, empties and deletes a bucket', async () => {
		const id = `scratch-${randomUUID().slice(0, 8)}`;
		expect(await service.storage.createBucket(id, { public: true })).toEqual({
			data: { name: id },
			error: null
		});
		const created = await service.storage.getBucket(id);
		expect(created.data).toMatchObject({ id, name: id, public: true, file_size_limit: null });
		const listed = await service.storage.listBuckets();
		expect(listed.data?.map((b) => b.id)).toEqual(expect.arrayContaining([id, 'whatsapp-media']));

		expect(
			(await service.storage.updateBucket(id, { public: false, fileSizeLimit: 2048 })).error
		).toBeNull();
		expect((await service.storage.getBucket(id)).data).toMatchObject({
			public: false,
			file_size_limit: 2048
		});

		await service.storage.from(id).upload('a.txt', 'a', { contentType: 'text/plain' });
		const notEmpty = await service.storage.deleteBucket(id);
		expect(notEmpty.error).toMatchObject({ status: 409 });
		expect((await service.storage.emptyBucket(id)).data).toEqual({
			message: 'Successfully emptied'
		});
		expect((await service.storage.deleteBucket(id)).data).toEqual({
			message: 'Successfully deleted'
		});
		expect((await service.storage.getBucket(id)).error).toMatchObject({
			status: 404,
			message: 'Bucket not found'
		});
	});

	it('a signed-in user sees no bucket and cannot create one without a policy', async () => {
		expect((await teamA.agent.storage.listBuckets()).data).toEqual([]);
		const refused = await teamA.agent.storage.createBucket(`mine-${randomUUID().slice(0, 6)}`);
		expect(refused.error).toMatchObject({
			status: 403,
			message: 'new row violates row-level security policy'
		});
	});
});

describe('objects', () => {
	it('upload, info, download, update, list and remove round-trip the bytes', async () => {
		const files = service.storage.from(bucket);
		const bytes = randomBytes(200);
		const uploaded = await files.upload('docs/one.png', bytes, { contentType: 'image/png' });
		expect(uploaded.error).toBeNull();
		expect(uploaded.data).toMatchObject({
			path: 'docs/one.png',
			fullPath: `${bucket}/docs/one.png`
		});

		const again = await files.upload('docs/one.png', bytes, { contentType: 'image/png' });
		expect(again.error).toMatchObject({ status: 409, message: 'The resource already exists' });

		const info = await files.info('docs/one.png');
		expect(info.data).toMatchObject({
			id: uploaded.data!.id,
			name: 'docs/one.png',
			bucketId: bucket,
			size: 200,
			contentType: 'image/png'
		});

		const downloaded = await files.download('docs/one.png');
		expect(downloaded.data?.type).toBe('image/png');
		expect(Buffer.from(await downloaded.data!.arrayBuffer()).equals(bytes)).toBe(true);

		// A Blob goes as a multipart form; upsert replaces the bytes.
		const replacement = randomBytes(100);
		const upserted = await files.upload(
			'docs/one.png',
			new Blob([replacement], { type: 'image/png' }),
			{ upsert: true }
		);
		expect(upserted.error).toBeNull();
		const updated = await files.update('docs/two.txt', 'nothing here', {
			contentType: 'text/plain'
		});
		expect(updated.error).toMatchObject({ status: 404, message: 'Object not found' });
		const reread = await files.download('docs/one.png');
		expect(Buffer.from(await reread.data!.arrayBuffer()).equals(replacement)).toBe(true);

		await files.upload('docs/deeper/three.txt', 'three', { contentType: 'text/plain' });
		await files.upload('top.txt', 'top', { contentType: 'text/plain' });
		const root = await files.list();
		expect(root.data?.map((entry) => [entry.name, entry.id === null])).toEqual([
			['docs', true],
			['top.txt', false]
		]);
		const docs = await files.list('docs', { sortBy: { column: 'name', order: 'desc' } });
		expect(docs.data?.map((entry) => entry.name)).toEqual(['one.png', 'deeper']);
		expect(docs.data?.find((entry) => entry.name === 'one.png')?.metadata).toMatchObject({
			size: 100,
			mimetype: 'image/png'
		});
		expect((await files.list('docs', { search: 'dee' })).data?.map((e) => e.name)).toEqual([
			'deeper'
		]);

		const removed = await files.remove(['top.txt', 'docs/deeper/three.txt', 'missing.txt']);
		expect(removed.data?.map((row) => row.name).sort()).toEqual([
			'docs/deeper/three.txt',
			'top.txt'
		]);
		expect((await files.download('top.txt')).error).toMatchObject({ status: 404 });
		expect(await files.exists('top.txt')).toMatchObject({ data: false });
	});

	it("uploads outside the bucket's limits are refused with 413 and 415", async () => {
		const files = service.storage.from(bucket);
		const tooLarge = await files.upload('big.png', randomBytes(2000), { contentType: 'image/png' });
		expect(tooLarge.error).toMatchObject({ status: 413 });
		const wrongType = await files.upload('page.html', '<p>hi</p>', { contentType: 'text/html' });
		expect(wrongType.error).toMatchObject({
			status: 415,
			message: 'mime type text/html is not supported'
		});
	});

	it('a signed URL serves the object to anyone holding it, as an attachment when asked', async () => {
		const files = service.storage.from(bucket);
		const bytes = randomBytes(64);
		await files.upload('signed/pic.png', bytes, { contentType: 'image/png' });
		const signed = await files.createSignedUrl('signed/pic.png', 60);
		expect(signed.data?.signedUrl).toMatch(
			new RegExp(`^${stack.url}/storage/v1/object/sign/${bucket}/signed/pic.png\\?token=`)
		);
		const fetched = await fetch(signed.data!.signedUrl);
		expect(fetched.status).toBe(200);
		expect(fetched.headers.get('content-type')).toBe('image/png');
		expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);

		const asDownload = await files.createSignedUrl('signed/pic.png', 60, { download: 'mine.png' });
		const attachment = await fetch(asDownload.data!.signedUrl);
		expect(attachment.headers.get('content-disposition')).toMatch(
			/^attachment; filename="mine.png"/
		);
		await attachment.body?.cancel();

		const tampered = signed.data!.signedUrl.replace('signed/pic.png', 'signed/other.png');
		expect((await fetch(tampered)).status).toBe(400);

		const many = await files.createSignedUrls(['signed/pic.png', 'signed/none.png'], 60);
		expect(many.data?.map((entry) => [entry.path, entry.signedUrl !== null])).toEqual([
			['signed/pic.png', true],
			['signed/none.png', false]
		]);
	});

	it('move renames an object and copy duplicates it', async () => {
		const files = service.storage.from(bucket);
		await files.upload('moving/a.txt', 'moving bytes', { contentType: 'text/plain' });
		expect((await files.move('moving/a.txt', 'moving/b.txt')).data).toEqual({
			message: 'Successfully moved'
		});
		expect((await files.download('moving/a.txt')).error).toMatchObject({ status: 404 });
		expect(await (await files.download('moving/b.txt')).data!.text()).toBe('moving bytes');

		expect((await files.copy('moving/b.txt', 'moving/c.txt')).data).toEqual({
			path: `${bucket}/moving/c.txt`
		});
		expect(await (await files.download('moving/c.txt')).data!.text()).toBe('moving bytes');
		expect(await (await files.download('moving/b.txt')).data!.text()).toBe('moving bytes');
	});

	it('unsupported parts of the Storage API say so', async () => {
		const signedUpload = await service.storage.from(bucket).createSignedUploadUrl('x.txt');
		expect(signedUpload.error?.message).toMatch(/not supported by the local stack/);
	});
});

describe('WhatsApp media policies', () => {
	it("members of a tenant read its media; another tenant's member gets nothing; nobody but the service role writes", async () => {
		const path = `${teamA.tenantId}/${randomUUID()}/${randomUUID()}/photo.png`;
		const bytes = randomBytes(32);
		const media = () => service.storage.from('whatsapp-media');
		expect((await media().upload(path, bytes, { contentType: 'image/png' })).error).toBeNull();

		const member = await teamA.agent.storage.from('whatsapp-media').download(path);
		expect(Buffer.from(await member.data!.arrayBuffer()).equals(bytes)).toBe(true);
		expect(
			(await teamA.agent.storage.from('whatsapp-media').list(teamA.tenantId)).data
		).toHaveLength(1);

		const outsider = teamB.owner.storage.from('whatsapp-media');
		expect((await outsider.download(path)).error).toMatchObject({ status: 404 });
		expect((await outsider.info(path)).error).toMatchObject({ status: 404 });
		expect((await outsider.list(teamA.tenantId)).data).toEqual([]);
		expect((await outsider.createSignedUrl(path, 60)).error).toMatchObject({ status: 404 });

		const ownUpload = await teamA.owner.storage
			.from('whatsapp-media')
			.upload(`${teamA.tenantId}/mine.png`, bytes, { contentType: 'image/png' });
		expect(ownUpload.error).toMatchObject({
			status: 403,
			message: 'new row violates row-level security policy'
		});
		const removal = await teamA.owner.storage.from('whatsapp-media').remove([path]);
		expect(removal.data).toEqual([]);
		expect((await media().download(path)).error).toBeNull();
	});
});
