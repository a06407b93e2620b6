#!/usr/bin/env bash
# Installs Debian's Chromium for the end-to-end tests when it is missing, with a colour emoji font
# so reactions read as emoji in the screenshots.
# Playwright drives this system browser (playwright.config.ts), so no browser download is needed.
set -euo pipefail

emoji_font=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
if [ -x /usr/bin/chromium ] && [ -f "$emoji_font" ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=()
else
	as_root=(sudo)
fi

echo 'Chromium or its emoji font is missing: installing the Debian packages (needed by the end-to-end tests).'
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji

if [ ! -x /usr/bin/chromium ]; then
	echo 'Chromium could not be installed at /usr/bin/chromium; install it, then run the tests again.' >&2
	exit 1
fi
