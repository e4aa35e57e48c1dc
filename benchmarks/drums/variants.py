"""Settings variants of nmfsep's drum split, tried on the tuning half (``--variants``).

Each is :data:`nmfsep.drums.SETTINGS` (the default, first row) with some fields
changed.  The variants are told whether a band plays (``rest`` kept or not), so
they compare the split itself; the rest decision is measured by the main run.
"""

from __future__ import annotations

from nmfsep.drums import with_settings

VARIANTS = {
    "default": with_settings(),
    "libnmfd-like: 30 iterations, no warm-up, T 93 ms, ratio masks":
        with_settings(max_iter=30, warmup=0, template_seconds=8 * 512 / 44100, mask_power=1.0),
    "no warm-up": with_settings(warmup=0),
    "warm-up 20": with_settings(warmup=20),
    "templates fixed": with_settings(adapt_templates=False),
    "30 iterations": with_settings(max_iter=30, warmup=5),
    "100 iterations": with_settings(max_iter=100),
    "ratio masks (alpha 1)": with_settings(mask_power=1.0),
    "beta 0.5": with_settings(beta=0.5),
    "beta 0 (Itakura-Saito)": with_settings(beta=0.0),
    "power spectrogram": with_settings(spectrogram_power=2.0),
    "frame 23 ms": with_settings(frame_seconds=1024 / 44100),
    "frame 93 ms": with_settings(frame_seconds=4096 / 44100),
    "templates 93 ms": with_settings(template_seconds=0.093),
    "templates 370 ms": with_settings(template_seconds=0.37),
    "templates 500 ms, kick/snare/hi-hat 186 ms, toms 280 ms":
        with_settings(template_seconds=0.5, piece_seconds=(("kick", 0.186), ("snare", 0.186),
                                                          ("hihat", 0.186), ("toms", 0.28))),
    "one template per kit": with_settings(split="kit"),
    "one template per sound": with_settings(split="sound"),
    "onset one hop into the template": with_settings(onset_offset=1.0),
}
