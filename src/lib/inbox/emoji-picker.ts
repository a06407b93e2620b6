import Picker from 'emoji-picker-element/picker';
import dataSource from 'emoji-picker-element-data/en/emojibase/data.json?url';

/**
 * An emoji-picker-element whose emoji data is served by this app (bundled as an asset), never by a
 * CDN, so it works offline and under the page's CSP; it keeps the data in IndexedDB after the first
 * open. Loaded on first use only: `onpick` gets each chosen emoji's text.
 */
export function createEmojiPicker(onpick: (emoji: string) => void): HTMLElement {
	const picker = new Picker({ dataSource, locale: 'en' });
	// The app is light; without this the picker follows a dark system theme.
	picker.classList.add('light');
	picker.addEventListener('emoji-click', (event) => {
		if (event.detail.unicode) onpick(event.detail.unicode);
	});
	return picker;
}
