/**
 * Uploaded knowledge files as text: Markdown and plain text as written, PDF through unpdf (pdf.js
 * built for every JavaScript runtime, Deno included). The text becomes the source's body, which the
 * database splits into passages; the file itself is kept in Storage.
 */
import { extractText, getDocumentProxy } from 'unpdf';
import { HttpError } from './http.ts';

/** The private bucket of uploaded knowledge files (see the knowledge migration). */
export const knowledgeBucket = 'knowledge-files';

/** The largest file an admin may upload. */
export const maxKnowledgeFileBytes = 5 * 1024 * 1024;

/** The kinds of file that become knowledge, by extension. */
const kinds = {
	md: 'text/markdown',
	markdown: 'text/markdown',
	txt: 'text/plain',
	pdf: 'application/pdf'
} as const;

/** The content type Parley reads a file as, from its name (browsers disagree on Markdown's). */
export function knowledgeFileType(fileName: string): (typeof kinds)[keyof typeof kinds] {
	const extension = fileName.toLowerCase().split('.').pop() ?? '';
	const type = kinds[extension as keyof typeof kinds];
	if (!type) {
		throw new HttpError(
			415,
			'unsupported_file',
			'Upload a Markdown (.md), plain text (.txt) or PDF (.pdf) file; other kinds cannot become knowledge.'
		);
	}
	return type;
}

/** The text of an uploaded file, ready to be split into passages. */
export async function knowledgeTextOf(bytes: Uint8Array, contentType: string): Promise<string> {
	let text: string;
	if (contentType === 'application/pdf') {
		try {
			// pdf.js takes over (detaches) the buffer it reads; the file itself is still to be kept.
			const pdf = await getDocumentProxy(bytes.slice());
			const pages = await extractText(pdf, { mergePages: false });
			// Pages are separate paragraphs, so a passage never runs across a page break unseen.
			text = pages.text.map((page) => page.trim()).join('\n\n');
		} catch {
			throw new HttpError(
				422,
				'unreadable_file',
				'This PDF could not be read. Check that it opens, or paste its text into an article instead.'
			);
		}
	} else {
		text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
	}
	text = text.replace(/\r\n?/g, '\n').replaceAll('\u0000', '').trim();
	if (!text) {
		throw new HttpError(
			422,
			'empty_file',
			contentType === 'application/pdf'
				? 'No text could be read from this PDF (it may be scanned images). Paste its text into an article instead.'
				: 'This file is empty. Upload a file with the text the AI agent should know.'
		);
	}
	return text;
}

/** A file name safe in a storage path: letters, digits, dot, dash and underscore. */
export function storageFileName(fileName: string): string {
	const safe = fileName
		.normalize('NFKD')
		.replace(/[^\w.-]+/g, '-')
		.replace(/^[-.]+|[-.]+$/g, '')
		.slice(0, 120);
	return safe || 'file';
}

/** A source's title from its file name: without the extension, dashes and underscores as spaces. */
export function titleOfFile(fileName: string): string {
	const title = fileName
		.replace(/\.[^.]+$/, '')
		.replace(/[-_]+/g, ' ')
		.trim();
	return (title || fileName).slice(0, 200);
}
