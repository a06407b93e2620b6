import { deservesDesktopAlert } from './notifications.ts';
import type { InboxNotification } from './types.ts';

const STORAGE_KEY = 'parley:desktop-alerts';

/** Whether the browser can show desktop notifications at all. */
function supported(): boolean {
	return typeof window !== 'undefined' && 'Notification' in window;
}

/**
 * Desktop notifications, opted into per browser: off until the person clicks "Enable desktop
 * notifications" (the browser's permission prompt comes only then, never on page load), with an
 * optional sound. Escalations, assignments, mentions and new messages in my conversations alert.
 */
class DesktopAlerts {
	/** The person asked for them here (the browser's permission may still be missing). */
	wanted = $state(false);
	sound = $state(false);
	/** The browser's permission: `default` until asked, `unsupported` where there is no API. */
	permission = $state<NotificationPermission | 'unsupported'>('default');
	readonly on = $derived(this.wanted && this.permission === 'granted');

	/** Reads the saved choice and the browser's permission (once mounted: no prompt). */
	load(): void {
		if (!supported()) {
			this.permission = 'unsupported';
			return;
		}
		this.permission = Notification.permission;
		try {
			const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<
				string,
				unknown
			>;
			this.wanted = saved.wanted === true;
			this.sound = saved.sound === true;
		} catch {
			// A damaged setting reads as off.
		}
	}

	#save(): void {
		localStorage.setItem(STORAGE_KEY, JSON.stringify({ wanted: this.wanted, sound: this.sound }));
	}

	/** The person's click: asks the browser for permission (only here) and turns them on. */
	async enable(): Promise<void> {
		if (!supported()) return;
		this.permission =
			Notification.permission === 'default'
				? await Notification.requestPermission()
				: Notification.permission;
		this.wanted = this.permission === 'granted';
		this.#save();
	}

	disable(): void {
		this.wanted = false;
		this.#save();
	}

	setSound(on: boolean): void {
		this.sound = on;
		this.#save();
	}

	/**
	 * Alerts for a new notification when it deserves one and this tab is not being looked at;
	 * `isMine` says (asynchronously) whether its conversation is assigned to the viewer.
	 */
	async notify(
		item: InboxNotification,
		isMine: (conversationId: string) => Promise<boolean>,
		open: (item: InboxNotification) => void
	): Promise<void> {
		if (!this.on || item.read_at) return;
		if (document.visibilityState === 'visible' && document.hasFocus()) return;
		const mine =
			item.kind === 'new_message' || item.kind === 'snooze'
				? item.conversation_id !== null && (await isMine(item.conversation_id))
				: false;
		if (!deservesDesktopAlert(item.kind, mine)) return;
		let alert: Notification;
		try {
			alert = new Notification(item.title, {
				body: item.body ?? undefined,
				tag: item.conversation_id ?? item.id
			});
		} catch {
			// Some mobile browsers show notifications only from a service worker: nothing to show here.
			return;
		}
		alert.onclick = () => {
			window.focus();
			open(item);
			alert.close();
		};
		if (this.sound) chime();
	}
}

/** A short two-note chime, made on the spot (no sound file to load). */
function chime(): void {
	try {
		const audio = new AudioContext();
		const gain = audio.createGain();
		gain.connect(audio.destination);
		gain.gain.setValueAtTime(0.0001, audio.currentTime);
		gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
		gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.5);
		for (const [index, frequency] of [880, 1320].entries()) {
			const tone = audio.createOscillator();
			tone.frequency.value = frequency;
			tone.connect(gain);
			tone.start(audio.currentTime + index * 0.12);
			tone.stop(audio.currentTime + 0.5);
		}
		setTimeout(() => void audio.close(), 800);
	} catch {
		// No audio here (a browser policy or none at all): the notification itself still shows.
	}
}

/** This tab's desktop notification settings. */
export const desktopAlerts = new DesktopAlerts();
