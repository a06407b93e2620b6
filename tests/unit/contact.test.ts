import { describe, expect, it } from 'vitest';
import {
	cleanContactName,
	contactChangeFailure,
	contactNameRefusal,
	contactNoteRefusal
} from '$lib/inbox/contact';

// The contact panel says what is wrong with a name or note before asking the database, in the
// database's own words, and turns what the API answers into a sentence a person can act on.

describe('a contact name', () => {
	it('is trimmed and its runs of spaces and line breaks become one space', () => {
		expect(cleanContactName('  Ana \n\t Gómez ')).toBe('Ana Gómez');
	});

	it('is refused blank, over 100 characters, with a NUL or with control characters', () => {
		expect(contactNameRefusal(' \n ')).toBe('Type a name for this contact.');
		expect(contactNameRefusal('x'.repeat(101))).toBe(
			"A contact's name is at most 100 characters; this one has 101."
		);
		expect(contactNameRefusal('Ana\u0000')).toMatch(/cannot hold a NUL character/);
		expect(contactNameRefusal('Ana\u0007')).toBe(
			"A contact's name cannot hold control characters."
		);
	});

	it('counts characters, not UTF-16 units, as the database does', () => {
		expect(contactNameRefusal('😀'.repeat(100))).toBeUndefined();
		expect(contactNameRefusal('  Ana Gómez  ')).toBeUndefined();
	});
});

describe('a contact note', () => {
	it('may be blank (that clears it) and holds up to 5,000 characters', () => {
		expect(contactNoteRefusal('')).toBeUndefined();
		expect(contactNoteRefusal('n'.repeat(5000))).toBeUndefined();
		expect(contactNoteRefusal('n'.repeat(5001))).toBe(
			'A contact note is at most 5,000 characters; this one has 5,001. Shorten it and save again.'
		);
		expect(contactNoteRefusal('a\u0000b')).toMatch(/cannot hold a NUL character/);
	});
});

describe('a failed change', () => {
	it("shows the database's sentence for its own refusals", () => {
		const message = 'This contact was not found in your workspaces.';
		expect(contactChangeFailure({ code: 'PT404', message }, 'name')).toBe(message);
		expect(contactChangeFailure({ code: '22023', message: 'Type a name.' }, 'name')).toBe(
			'Type a name.'
		);
	});

	it('explains a NUL the API refused, and a lost connection, in words', () => {
		expect(
			contactChangeFailure(
				{ code: '22P05', message: 'unsupported Unicode escape sequence' },
				'note'
			)
		).toBe('The note holds a character that cannot be stored (a NUL); remove it and save again.');
		expect(contactChangeFailure(null, 'note')).toMatch(/your text is kept here/);
		expect(contactChangeFailure({ code: 'XX000', message: 'internal' }, 'name')).toMatch(
			/could not be saved/
		);
	});
});
