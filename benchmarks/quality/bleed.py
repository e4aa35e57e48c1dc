"""Recorded-like mixes: drums at real mixes' levels, every microphone hearing the others.

A category registered with :func:`benchmarks.quality.generate.register`:

``drums+guitar-bleed``  the item of the same index of ``drums+guitar`` (same parts), its drums
                        at :data:`DRUM_GAIN` of their rendered level (real mixes put the kit
                        11 to 21 dB below the mix: ``notes.md``, sixteenth round), both parts
                        played in one room, and each part's microphone picking up the other
                        part through that room: the drums' overheads hear the guitar, the
                        guitar's microphone the kit (:data:`BLEED_DB`)

The true stems are what each microphone recorded (its own part, dry and through the room,
and the other part's bleed), as a multitrack's stems are, so they add up exactly to the
mix.  Mono, 22.05 kHz, deterministic (seeded by the item's name), cached under
:data:`BLEED_VERSION`.  The rendered categories keep each drum sample to its own register
and each stem pure; the real recordings do neither (``notes.md``, twentieth round).  A
category for studies, outside the widened benchmark's run
(:data:`benchmarks.quality.widened.WIDENED`):
``python -m benchmarks.quality.shares_beside_drums --half tuning --categories
drums+guitar-bleed --no-real``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import effects, generate

BLEED_VERSION = 1
BASES = ("drums+guitar",)
#: The drums' level against the rendered one.
DRUM_GAIN = 0.3
#: Level (dB, drawn uniformly per item) at which a microphone hears another part through
#: the room, relative to that part's own level: overheads hear the band more than a
#: close microphone hears the kit.
BLEED_DB = {"drums": (-18.0, -10.0), "other": (-24.0, -14.0)}
#: Share of the room in each part's own microphone (``effects.reverb``'s ``wet``).
ROOM_SEND = (0.1, 0.3)


def recorded(stems: np.ndarray, ir: np.ndarray, sends: np.ndarray,
             bleed_db: np.ndarray) -> np.ndarray:
    """What each part's microphone records: its part with its room, and the others' bleed.

    Parameters
    ----------
    stems : np.ndarray, shape=(n_parts, samples)
        The dry parts.
    ir : np.ndarray, shape=(1, ir_samples)
        The room (:func:`benchmarks.quality.effects.impulse_response`).
    sends : np.ndarray, shape=(n_parts,)
        Each part's room in its own microphone.
    bleed_db : np.ndarray, shape=(n_parts,)
        Level at which each part's microphone hears every other part (through the room),
        relative to that part.

    Returns
    -------
    np.ndarray, shape=(n_parts, samples)
    """
    own = np.stack([effects.reverb(s, ir, w) for s, w in zip(stems, sends, strict=True)])
    far = np.stack([effects.reverb(s, ir, 1.0) for s in stems])  # a part heard across the room
    gains = 10 ** (np.asarray(bleed_db) / 20)
    heard = far.sum(axis=0, keepdims=True) - far  # every other part
    return own + gains[:, None] * heard


def _spec(base: str, index: int, duration: float) -> generate.Spec:
    base_rng = np.random.default_rng(generate._seed(f"{generate.GENERATOR_VERSION}/"
                                                    f"{base}-{index}"))
    spec = generate.CATEGORIES[base](index, duration, base_rng)
    rng = np.random.default_rng(generate._seed(f"{BLEED_VERSION}/bleed-{base}-{index}"))
    names = [p.name for p in spec.parts]
    bleed_db = np.array([rng.uniform(*BLEED_DB["drums" if n == "drums" else "other"])
                         for n in names])
    sends = rng.uniform(*ROOM_SEND, size=len(names))
    room_seconds = float(rng.uniform(0.4, 1.2))
    info = dict(spec.info, base=base, drum_gain=DRUM_GAIN,
                bleed_db=dict(zip(names, np.round(bleed_db, 1).tolist(), strict=True)),
                reverb_seconds=round(room_seconds, 2), bleed_version=BLEED_VERSION)

    def rendered(duration: float, sr: int):
        # the same parts and levels as the item of ``base`` (build draws them from this rng)
        names, stems, clips = generate.render_parts(spec, duration, sr, base_rng)
        stems = stems * np.array([DRUM_GAIN if n == "drums" else 1.0 for n in names])[:, None]
        ir = effects.impulse_response(sr, rng, room_seconds, channels=1)
        return names, recorded(stems, ir, sends, bleed_db), clips

    return generate.Spec([], [], info, rendered=rendered)


def _factory(base: str) -> Callable:
    def spec(index: int, duration: float, rng: np.random.Generator) -> generate.Spec:
        return _spec(base, index, duration)
    spec.__name__ = f"spec_{base.replace('+', '_')}_bleed"
    return spec


CATEGORIES = {f"{base}-bleed": _factory(base) for base in BASES}

generate.register(CATEGORIES, f".b{BLEED_VERSION}")
