import { describe, expect, it } from 'vitest';
import {
	checkOutboundMedia,
	describeSize,
	OUTBOUND_MEDIA_ACCEPT,
	outboundMediaType
} from '../../supabase/functions/_shared/outbound-media.ts';

const MB = 1024 * 1024;

describe('what an agent may attach', () => {
	it('takes each kind within its size, as the kind WhatsApp sends it as', () => {
		expect(checkOutboundMedia('meta', { type: 'image/jpeg', name: 'a.jpg', size: 5 * MB })).toEqual(
			{
				ok: true,
				kind: 'image',
				mimeType: 'image/jpeg'
			}
		);
		expect(
			checkOutboundMedia('meta', { type: 'video/mp4', name: 'a.mp4', size: 16 * MB })
		).toMatchObject({
			ok: true,
			kind: 'video'
		});
		expect(
			checkOutboundMedia('twilio', { type: 'audio/ogg; codecs=opus', name: 'v.ogg', size: MB })
		).toMatchObject({
			ok: true,
			kind: 'audio',
			mimeType: 'audio/ogg'
		});
		expect(
			checkOutboundMedia('meta', { type: 'application/pdf', name: 'a.pdf', size: 100 * MB })
		).toMatchObject({ ok: true, kind: 'document' });
	});

	it('refuses a file over its kind’s limit with both sizes in words', () => {
		expect(
			checkOutboundMedia('meta', { type: 'video/mp4', name: 'trip.mp4', size: 23 * MB })
		).toEqual({
			ok: false,
			reason: 'size',
			sentence: 'Videos can be at most 16 MB on WhatsApp; this one is 23 MB.'
		});
		expect(
			checkOutboundMedia('twilio', { type: 'application/pdf', name: 'big.pdf', size: 20 * MB })
		).toMatchObject({
			reason: 'size',
			sentence: 'Documents can be at most 16 MB on WhatsApp through Twilio; this one is 20 MB.'
		});
		expect(
			checkOutboundMedia('meta', { type: 'image/png', name: 'p.png', size: 5 * MB + 1 })
		).toMatchObject({
			reason: 'size',
			sentence: 'Images can be at most 5 MB on WhatsApp; this one is a little larger.'
		});
	});

	it('refuses types WhatsApp does not take, naming the ones it does', () => {
		const svg = checkOutboundMedia('meta', { type: 'image/svg+xml', name: 'logo.svg', size: 10 });
		expect(svg).toMatchObject({ ok: false, reason: 'type' });
		expect(svg.ok ? '' : svg.sentence).toBe(
			'WhatsApp cannot send “logo.svg” (image/svg+xml). Attach JPEG, PNG, MP4, 3GPP, AAC, M4A, MP3, AMR, OGG, PDF, Word, Excel, PowerPoint, text files.'
		);
		// Twilio sends PDF and Office documents, not plain text or the old Excel and PowerPoint.
		expect(
			checkOutboundMedia('twilio', { type: 'text/plain', name: 'notes.txt', size: 10 })
		).toMatchObject({ ok: false, reason: 'type' });
		expect(
			checkOutboundMedia('meta', { type: 'text/plain', name: 'notes.txt', size: 10 })
		).toMatchObject({ ok: true, kind: 'document' });
		expect(checkOutboundMedia('meta', { type: '', name: 'noextension', size: 10 })).toMatchObject({
			ok: false,
			sentence: expect.stringContaining('(unknown type)')
		});
	});

	it('refuses an empty file, and captions where WhatsApp or Twilio cannot carry them', () => {
		expect(checkOutboundMedia('meta', { type: 'image/png', name: 'e.png', size: 0 })).toMatchObject(
			{
				reason: 'empty'
			}
		);
		expect(
			checkOutboundMedia('meta', { type: 'audio/mpeg', name: 'v.mp3', size: 10 }, 'Listen')
		).toMatchObject({ reason: 'caption' });
		expect(
			checkOutboundMedia('twilio', { type: 'application/pdf', name: 'a.pdf', size: 10 }, 'Terms')
		).toMatchObject({ reason: 'caption' });
		expect(
			checkOutboundMedia('meta', { type: 'application/pdf', name: 'a.pdf', size: 10 }, 'Terms')
		).toMatchObject({ ok: true });
		expect(
			checkOutboundMedia('meta', { type: 'image/png', name: 'a.png', size: 10 }, 'x'.repeat(1025))
		).toMatchObject({ reason: 'caption' });
		expect(
			checkOutboundMedia('meta', { type: 'audio/mpeg', name: 'v.mp3', size: 10 }, '   ')
		).toMatchObject({ ok: true });
	});

	it('types a file the browser left untyped by its extension', () => {
		expect(outboundMediaType('', 'Report.DOCX')).toBe(
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
		);
		expect(outboundMediaType('application/octet-stream', 'voice.opus')).toBe('audio/ogg');
		expect(outboundMediaType('image/png', 'misnamed.pdf')).toBe('image/png');
		expect(outboundMediaType('application/x-msdownload', 'setup.exe')).toBe(
			'application/x-msdownload'
		);
		expect(OUTBOUND_MEDIA_ACCEPT.split(',')).toEqual(
			expect.arrayContaining(['image/jpeg', 'application/pdf', '.docx'])
		);
	});

	it('says sizes as people do', () => {
		expect(describeSize(800 * 1024)).toBe('800 KB');
		expect(describeSize(1.5 * MB)).toBe('1.5 MB');
		expect(describeSize(23.4 * MB)).toBe('23 MB');
		expect(describeSize(3)).toBe('1 KB');
	});
});
