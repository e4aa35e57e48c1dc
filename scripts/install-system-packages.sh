#!/usr/bin/env bash
# The Debian packages the tests use beside Python's: Chromium for the studio's
# browser tests, sampled drum kits for the drum benchmarks' tests, and fluidsynth
# with a General MIDI soundfont and Sonic Pi's one-shots for the tests that render
# the quality benchmark's items.
# Run as root (or with sudo) on Debian or Ubuntu; does nothing when they are there.
set -euo pipefail
packages=(chromium hydrogen-drumkits fluidsynth fluid-soundfont-gm sonic-pi-samples)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_ apt-get update -qq
$sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
