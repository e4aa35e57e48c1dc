#!/usr/bin/env bash
# Installs what the quality benchmark needs on a fresh Debian machine:
# fluidsynth with the FluidR3 General MIDI soundfont (real sampled instruments;
# MuseScore General for the held-out check, `--soundfont`), Hydrogen's drum kits
# (one-shots for libnmfd's NMFD recipe) and the Python packages of the `bench` extra
# (librosa, scikit-learn, music21, mido, matplotlib, libnmfd).  The real categories
# also need ../shared/real-tuning beside the repository (or $NMFSEP_REAL_TUNING).
# Run from the repository root, as root:
#     bash benchmarks/quality/setup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends fluidsynth fluid-soundfont-gm musescore-general-soundfont \
    hydrogen-drumkits
python -m pip install -e ".[bench]"
# libnmfd without its dependencies: it requires the old PySoundFile, whose soundfile.py
# replaces python-soundfile's and breaks reading audio (no LibsndfileError)
python -m pip install --no-deps "libnmfd>=1.0"
