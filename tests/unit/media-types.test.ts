import { describe, expect, it } from 'vitest';
import {
	DOWNLOAD_MEDIA_TYPE,
	mediaContentDisposition,
	mediaPresentation,
	mediaTypeEssence,
	servedMediaType
} from '$shared/media-types';

describe('media types', () => {
	it('shows raster images, audio and video inline, whatever the case or parameters', () => {
		expect(mediaPresentation('image/png')).toBe('image');
		expect(mediaPresentation('IMAGE/JPEG')).toBe('image');
		expect(mediaPresentation('image/gif')).toBe('image');
		expect(mediaPresentation('image/webp')).toBe('image');
		expect(mediaPresentation('audio/ogg; codecs=opus')).toBe('audio');
		expect(mediaPresentation('audio/mpeg')).toBe('audio');
		expect(mediaPresentation('video/mp4')).toBe('video');
		expect(mediaPresentation(' video/3gpp ')).toBe('video');
	});

	it('offers documents that can run script, and anything unknown, only as a download', () => {
		for (const type of [
			'text/html',
			'text/html; charset=utf-8',
			'image/svg+xml',
			'application/xhtml+xml',
			'application/xml',
			'text/xml',
			'text/javascript',
			'application/javascript',
			'application/pdf',
			'text/plain',
			'application/octet-stream',
			'image/x-icon',
			'multipart/x-mixed-replace',
			'image/png, text/html',
			'constructor',
			'__proto__',
			'',
			null,
			undefined
		]) {
			expect(mediaPresentation(type), String(type)).toBe('download');
		}
	});

	it('serves inert media as its bare type and everything else as octet-stream', () => {
		expect(servedMediaType('audio/ogg; codecs=opus')).toBe('audio/ogg');
		expect(servedMediaType('Image/PNG')).toBe('image/png');
		expect(servedMediaType('image/svg+xml')).toBe(DOWNLOAD_MEDIA_TYPE);
		expect(servedMediaType('text/html')).toBe('application/octet-stream');
		expect(servedMediaType(null)).toBe('application/octet-stream');
		expect(mediaTypeEssence('Text/HTML; charset=utf-8')).toBe('text/html');
	});

	it('makes downloads attachments, with an ASCII name and the exact UTF-8 name', () => {
		expect(mediaContentDisposition('text/html', 'invoice.html')).toBe(
			`attachment; filename="invoice.html"; filename*=UTF-8''invoice.html`
		);
		expect(mediaContentDisposition('image/svg+xml', null)).toBe(
			`attachment; filename="attachment"; filename*=UTF-8''attachment`
		);
		expect(mediaContentDisposition('application/pdf', `Factura "marzo" (1)*.pdf`)).toBe(
			`attachment; filename="Factura _marzo_ (1)*.pdf"; filename*=UTF-8''Factura%20%22marzo%22%20%281%29%2A.pdf`
		);
		expect(mediaContentDisposition('application/pdf', 'reçu 100%.pdf')).toBe(
			`attachment; filename="re_u 100_.pdf"; filename*=UTF-8''re%C3%A7u%20100%25.pdf`
		);
	});

	it('keeps no path separators or control characters in a name', () => {
		expect(mediaContentDisposition('text/plain', '../..\\etc/pass\r\nwd')).toBe(
			`attachment; filename="....etcpasswd"; filename*=UTF-8''....etcpasswd`
		);
	});

	it('shows inert media inline, named only when it has a name', () => {
		expect(mediaContentDisposition('image/png', null)).toBe('inline');
		expect(mediaContentDisposition('video/mp4', 'clip.mp4')).toBe(
			`inline; filename="clip.mp4"; filename*=UTF-8''clip.mp4`
		);
	});
});
