"""Drums against the rest by nmfsep's drum templates beside free components (a study).

``auto`` splits a band's drums from the rest by grouping the components of a blind
factorization; when the drums are quiet beside the band, few components model them and
the grouping has little to choose from (the real recordings' ``real:drums+rest``). Here
the drums are modelled by the templates nmfsep ships for drums alone
(:mod:`nmfsep.drumtemplates`, from Debian's hydrogen kits), held fixed, beside free
components learned from the recording for everything else, so that the drum model
exists whatever the drums' level:

``templates as atoms``  the built-in dictionary ``builtin:drums``
                        (:func:`nmfsep.dictionary.drum_template_dictionary`: the first
                        frames of every piece's mean template, each a basis spectrum)
                        beside ``FREE`` free components: ``nmfsep.separate(y, sr,
                        dictionaries=[drums], n_free_components=FREE)`` (its HPSS expert
                        on, as for any dictionary named a drum part), which is
                        ``nmfsep separate --dict builtin:drums --free 20``;
``NMFD templates``      one convolutive model: the templates of every kit as NMFD patches
                        (about 0.19 s), held fixed, and ``FREE`` free components (patches
                        of one frame), ``ITERATIONS`` multiplicative updates
                        (:func:`nmfsep.nmfd.factorize`), ratio masks weighed by the HPSS
                        percussive mask as ``separate --dict`` weighs them.

Beside them ``auto`` with the sources named (``drums`` and the rest's name). Every item is
scored as drums against the rest (the other sources summed); rendered items also with
their drums scaled by 0.3 (quiet drums, ``drum_share.with_drum_gain``); the real
recordings' ``real:drums+rest`` in full (they reject, they do not fit).

    python -m benchmarks.quality.drum_templates_band --half tuning
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import numpy as np

import nmfsep
from nmfsep import nmfd
from nmfsep.dictionary import DRUM_TEMPLATE_PIECES, drum_template_dictionary
from nmfsep.drumtemplates import load_drum_templates
from nmfsep.features import median_filter_lengths, percussive_mask
from nmfsep.metrics import evaluate
from nmfsep.spectral import istft, mixture_spectrogram, stft

from .drum_share import DRUMS, gain_group, with_drum_gain
from .generate import Item, build
from .halves import median_table, select, study_parser
from .methods import BUILTIN_DRUMS_FREE, _config

CATEGORIES = ("drums+rest", "drums+guitar", "bass+drums+piano")
REAL_CATEGORY = "real:drums+rest"
GAINS = (1.0, 0.3)
PIECES = DRUM_TEMPLATE_PIECES
#: Free components beside the templates: the benchmark method's (``auto``'s ten per source).
FREE = BUILTIN_DRUMS_FREE
#: The NMFD patches' length.
NMFD_SECONDS = 0.186
ITERATIONS = 200
#: The HPSS weights' strength, as ``separate --dict`` applies them to a drum dictionary.
HPSS_STRENGTH = nmfsep.DEFAULT_POLICY.dictionary_percussive_prior
AUTO, ATOMS, CONVOLUTIVE = "auto", "templates as atoms", "NMFD templates"
METHODS = (AUTO, ATOMS, CONVOLUTIVE)


def nmfd_templates(y: np.ndarray, sr: int, seed: int = 0) -> np.ndarray:
    """Drums and the rest from one NMFD: fixed kit templates beside free one-frame patches."""
    config = _config(sr)
    X = stft(y, config)
    V = mixture_spectrogram(X)
    V = V / np.float32(max(float(V.mean(dtype=np.float64)), 1e-30))
    T = max(1, round(NMFD_SECONDS * sr / config.hop))
    drums, _, _ = load_drum_templates().patches(sr, config.n_fft, config.hop, T,
                                                pieces=PIECES, split="kit")
    K = drums.shape[2]
    rng = np.random.default_rng(seed)
    free = np.zeros((V.shape[0], T, FREE), dtype=np.float32)  # later frames stay zero
    free[:, 0] = rng.random((V.shape[0], FREE), dtype=np.float32) + 0.1
    free /= free.sum(axis=(0, 1))
    W = np.concatenate([drums, free], axis=2)
    level = float(V.sum(dtype=np.float64)) / ((K + FREE) * V.shape[1])
    H = (level * (0.5 + rng.random((K + FREE, V.shape[1])))).astype(np.float32)
    fixed = np.arange(K + FREE) < K
    fit = nmfd.factorize(V, W=W, H=H, fixed_W=fixed, max_iter=ITERATIONS)
    model_drums = nmfd.convolve(fit.W[:, :, :K], fit.H[:K])
    model_rest = fit.W[:, 0, K:] @ fit.H[K:]
    lengths = median_filter_lengths(sr, config.hop, V.shape[0])
    P = percussive_mask(V, lengths.frames, lengths.bins)
    model_drums *= P**HPSS_STRENGTH
    model_rest *= (1 - P) ** HPSS_STRENGTH
    mask = model_drums / np.maximum(model_drums + model_rest, 1e-12)
    drum_part = istft(X * mask, config, y.shape[-1])
    return np.stack([drum_part, y - drum_part])


def drums_and_rest(item: Item) -> tuple[np.ndarray, str]:
    """The item's drums and the sum of its other sources; the rest's name."""
    others = [name for name in item.names if name != DRUMS]
    rest = sum(item.sources[item.names.index(name)] for name in others)
    name = others[0] if len(others) == 1 else "rest"
    return np.stack([item.sources[item.names.index(DRUMS)], rest]), name


def measured(item: Item) -> dict[str, np.ndarray]:
    """Each method's SDR of the drums and of the rest on ``item``."""
    reference, rest_name = drums_and_rest(item)
    y = item.mixture
    estimates = {
        AUTO: nmfsep.separate(y, item.sr, n_sources=2, names=[DRUMS, rest_name]).sources,
        ATOMS: nmfsep.separate(y, item.sr, dictionaries=[drum_template_dictionary(item.sr)],
                               n_free_components=FREE).sources,
        CONVOLUTIVE: nmfd_templates(y, item.sr),
    }
    return {method: evaluate(reference, estimate, permute=False).sdr
            for method, estimate in estimates.items()}


def rendered_items(categories: Iterable[str], half: str, items: int,
                   duration: float) -> list[Item]:
    """The half's items of every category, each at every drum gain."""
    return [with_drum_gain(build(category, index, duration), gain)
            for category in categories for index in select(range(items), half)
            for gain in GAINS]


def summary(rows: list[tuple[str, dict[str, np.ndarray]]]) -> list[str]:
    """Median SDR over both sources of every item of each group, per method, worst first."""
    groups: dict[str, dict[str, list[float]]] = {}
    for group, scores in rows:
        into = groups.setdefault(group, {method: [] for method in METHODS})
        for method in METHODS:
            into[method].extend(scores[method].tolist())
    return median_table(groups, METHODS)


def main(argv: list[str] | None = None) -> int:
    parser = study_parser("python -m benchmarks.quality.drum_templates_band", __doc__,
                          CATEGORIES)
    parser.add_argument("--no-real", action="store_true", help="leave the real recordings out")
    args = parser.parse_args(argv)
    items = rendered_items(filter(None, args.categories.split(",")), args.half, args.items,
                           args.duration)
    if not args.no_real:
        from .real import items_or_say

        items += items_or_say([REAL_CATEGORY])
    print("SDR of the drums / of the rest (dB), per item.\n")
    rows = []
    for item in items:
        scores = measured(item)
        rows.append((gain_group(item), scores))
        print(f"{item.name:32s} " + " | ".join(
            f"{method}: {scores[method][0]:6.2f} / {scores[method][1]:6.2f}"
            for method in METHODS), flush=True)
    print("\nMedian SDR over both sources of the category's items (dB), worst first.\n")
    print("\n".join(summary(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
