#!/usr/bin/env bash
# Installs Debian's Chromium for the end-to-end tests when it is missing, with a colour emoji font
# so reactions read as emoji in the screenshots.
# Playwright drives this system browser (playwright.config.ts), so no browser download is needed.
set -euo pipefail

emoji_font=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
installed() { [ -x /usr/bin/chromium ] && [ -f "$emoji_font" ]; }
installed && exit 0

# Two test runs side by side on a fresh machine would both reach apt, and the second would fail on
# dpkg's lock: one installs while the other waits here, then finds the packages there.
exec {lock}>"${TMPDIR:-/tmp}/parley-ensure-chromium.lock"
flock "$lock"
installed && exit 0

if [ "$(id -u)" -eq 0 ]; then
	as_root=()
else
	as_root=(sudo)
fi

echo 'Chromium or its emoji font is missing: installing the Debian packages (needed by the end-to-end tests).'
export DEBIAN_FRONTEND=noninteractive
# And any other apt on the machine is waited for rather than failed on.
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-noto-color-emoji

if [ ! -x /usr/bin/chromium ]; then
	echo 'Chromium could not be installed at /usr/bin/chromium; install it, then run the tests again.' >&2
	exit 1
fi
