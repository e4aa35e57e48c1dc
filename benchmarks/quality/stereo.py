"""Stereo mixes of the first four categories, with panning and reverb, dry or mastered.

Rendered benchmark categories, registered with :func:`benchmarks.quality.generate.register`,
two for each of ``drums+guitar``, ``piano+voice``, ``bass+drums+piano`` and ``chorale``:

``<category>-stereo``     the item of the same index of ``<category>`` (same parts, same
                          levels), each source panned (constant power; drums and bass near
                          the centre, the others to either side) and sent to one stereo
                          room (decaying-noise impulse response) at its own level
``<category>-mastered``   the same stereo item through a mastering chain: bus compression
                          and a peak limiter (:func:`benchmarks.quality.effects.mastering_gain`),
                          whose gain is computed on the mix and applied to every stem, so
                          the stems still add up exactly to the mastered mix

The true stems are the panned, reverberated (and mastered) sources, two channels
each.  22.05 kHz, deterministic (seeded by the item's name), cached under
:data:`STEREO_VERSION`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import effects, generate

STEREO_VERSION = 1
BASES = ("drums+guitar", "piano+voice", "bass+drums+piano", "chorale")
CENTRED = ("drums", "bass")


def _spec(base: str, index: int, duration: float, *, mastered: bool) -> generate.Spec:
    base_rng = np.random.default_rng(generate._seed(f"{generate.GENERATOR_VERSION}/"
                                                    f"{base}-{index}"))
    spec = generate.CATEGORIES[base](index, duration, base_rng)
    rng = np.random.default_rng(generate._seed(f"{STEREO_VERSION}/stereo-{base}-{index}"))
    names = [p.name for p in spec.parts]
    side = 1.0 if rng.random() < 0.5 else -1.0
    positions, sends = [], []
    for name in names:
        if name in CENTRED:
            positions.append(float(rng.uniform(-0.15, 0.15)))
            sends.append(float(rng.uniform(0.05, 0.2)))
        else:
            positions.append(side * float(rng.uniform(0.3, 0.8)))
            sends.append(float(rng.uniform(0.2, 0.5)))
            side = -side
    room_seconds = float(rng.uniform(0.8, 2.0))
    info = dict(spec.info, base=base, pan=dict(zip(names, np.round(positions, 2).tolist(),
                                                   strict=True)),
                reverb_seconds=round(room_seconds, 2), mastered=mastered,
                stereo_version=STEREO_VERSION)

    def rendered(duration: float, sr: int):
        # the same stems and levels as the mono item (build draws them from this generator)
        names, stems, clips = generate.render_parts(spec, duration, sr, base_rng)
        ir = effects.impulse_response(sr, rng, room_seconds, channels=2)
        out = np.stack([effects.reverb(effects.pan(s, p), ir, w)
                        for s, p, w in zip(stems, positions, sends, strict=True)])
        if mastered:
            out = out * effects.mastering_gain(out.sum(axis=0), sr)
        return names, out, clips

    return generate.Spec([], [], info, rendered=rendered)


def _factory(base: str, mastered: bool) -> Callable:
    def spec(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
        return _spec(base, index, duration, mastered=mastered)
    spec.__name__ = f"spec_{base}_{'mastered' if mastered else 'stereo'}"
    return spec


CATEGORIES = {f"{base}-{kind}": _factory(base, kind == "mastered")
              for kind in ("stereo", "mastered") for base in BASES}

generate.register(CATEGORIES, f".s{STEREO_VERSION}")
