"""Supervised separation against blind: the benchmark of docs/supervised.md (issue 29).

Every rendered category has, for each source, a *training clip*: the same
instrument playing other music (another seed/item of the category's
generator).  Dictionaries are learned from those clips only; the mixture's
stems are seen by the oracle alone.  Halves: item index even = tuning half
(every choice is made there), odd = reporting half (docs/supervised.md).

With ``--real``, the real categories of ``../shared/real-tuning`` too
(:mod:`benchmarks.quality.real`), each recording whole: a source's training
clip is that source's stems in the category's *other* recordings, laid end to
end (leave one out), so the dictionaries never hear the recording they
separate.  They are reported apart, every recording together: they are few, and
reject what does not generalize rather than tune.

    OMP_NUM_THREADS=1 python -m benchmarks.quality.supervised --items 12 --duration 10 --jobs 2
    OMP_NUM_THREADS=1 python -m benchmarks.quality.supervised --real --categories '' --jobs 2
    python -m benchmarks.quality.supervised --docs-only

Columns: nmfsep blind ``auto``; plain supervised NMF (K = 24 per source, KL,
W fixed, Wiener masks; written here on numpy, independent of nmfsep's
supervised code); nmfsep ``separate --dict`` as it is; the variants measured
for issue 29; the oracle ideal ratio mask.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

import nmfsep
from nmfsep.masks import MaskPrior
from nmfsep.metrics import evaluate
from nmfsep.nmf import factorize
from nmfsep.spectral import STFTConfig, default_n_fft, istft, stft

from ..arguments import positive_float, positive_int
from . import generate, real
from .generate import Item, build
from .report import git_commit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results" / "supervised.json"
DOC = ROOT / "docs" / "supervised.md"
EPS = 1e-12
#: The categories of issue 29, measured by default: rendered, each source with its
#: training clip.  Any rendered category of the quality benchmark may be asked for.
CATEGORIES = ("drums+guitar", "piano+voice", "bass+drums+piano", "chorale")
#: The plain baseline of issue 29, fixed here so it does not move with nmfsep.
PLAIN_K, PLAIN_ITER = 24, 200


def half_of(index: int) -> str:
    """Even item index: tuning half; odd: reporting half (the project's rule)."""
    return "tuning" if index % 2 == 0 else "reporting"


def real_item(category: str, position: int) -> Item:
    """The real item at ``position`` of ``category``'s items sorted by name, with training
    clips: each source's stems in the category's other recordings, laid end to end.

    Raises
    ------
    ValueError
        If no other recording of the category has one of the item's sources.
    """
    items = real.sorted_items(category)
    item = items[position]
    training = {}
    for name in item.names:
        clips = [other.sources[other.names.index(name)] for other in items
                 if other is not item and name in other.names]
        if not clips:
            raise ValueError(f"{item.name}: no other recording of {category} has {name!r}")
        training[name] = np.concatenate(clips, axis=-1)
    return replace(item, training=training)


def _config(sr: int) -> STFTConfig:
    n_fft = default_n_fft(sr)
    return STFTConfig(n_fft=n_fft, hop=n_fft // 4)


def _masked(item, masks: np.ndarray, config: STFTConfig, X: np.ndarray) -> np.ndarray:
    return np.stack([istft(X * m, config, item.mixture.shape[-1]) for m in masks])


# --------------------------------------------------------------------------- methods

def blind_auto(item) -> np.ndarray:
    """nmfsep blind, every default: ``nmfsep separate mix.wav -n N``."""
    return nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names)).sources


def plain_supervised(item) -> np.ndarray:
    """Plain supervised NMF: K = 24 per source learned by KL-NMF from its training clip,
    the mixture factorized with W fixed (KL), Wiener (power ratio) masks."""
    config = _config(item.sr)
    Ws = []
    for name in item.names:
        S = np.abs(stft(item.training[name], config)[0]).astype(np.float32)
        S = S[:, S.sum(axis=0) > 0]
        S /= S.mean()
        result = factorize(S, PLAIN_K, beta=1.0, max_iter=PLAIN_ITER, tol=0.0,
                           random_state=0)
        Ws.append(result.W / np.maximum(result.W.sum(axis=0), EPS))
    W = np.concatenate(Ws, axis=1).astype(np.float32)
    X = stft(item.mixture, config)
    V = np.abs(X).mean(axis=0).astype(np.float32)
    scale = V.mean()
    H = np.full((W.shape[1], V.shape[1]), 1.0, dtype=np.float32)
    H = factorize(V / scale, W.shape[1], beta=1.0, W=W, H=H, fixed_W=True,
                  max_iter=PLAIN_ITER, tol=0.0).H
    models = np.stack([Wj @ Hj for Wj, Hj in
                       zip(Ws, np.split(H, np.cumsum([PLAIN_K] * len(Ws))[:-1]), strict=True)])
    power = models ** 2 + EPS
    masks = power / power.sum(axis=0, keepdims=True)
    return _masked(item, masks, config, X)


#: The divergence of the variants' activations: each variant was measured beside
#: ``separate --dict`` fitted under Kullback-Leibler, and keeps it so that its row is
#: the separation it measured (``separate --dict``'s own row fits them under the policy's
#: ``dictionary_beta``, beside ``separate --dict --beta 1``).
VARIANT_BETA = 1.0
#: How the variants' descriptions name what they vary.
VARIANT_BASE = "As ``separate --dict --beta 1``"


def _variant(item, dictionaries: list[nmfsep.Dictionary], **options) -> nmfsep.Separation:
    """``separate --dict`` with ``options``, the activations under :data:`VARIANT_BETA`."""
    return nmfsep.separate(item.mixture, item.sr, dictionaries=dictionaries,
                           **{"beta": VARIANT_BETA, **options})


def learned(item, **options) -> list[nmfsep.Dictionary]:
    return [nmfsep.learn_dictionary(item.training[name], item.sr, name=name, **options)
            for name in item.names]


def nmfsep_supervised(item) -> np.ndarray:
    """nmfsep ``learn`` then ``separate --dict`` with every default."""
    return nmfsep.separate(item.mixture, item.sr, dictionaries=learned(item)).sources


def unshifted_supervised(item) -> np.ndarray:
    """As ``separate --dict --beta 1``, the dictionaries learned from the training clips
    as recorded (``learn --pitch-shifts 0``), without the pitch-shifted copies."""
    return _variant(item, learned(item, pitch_shifts=())).sources


def shifted_supervised(semitones: tuple[float, ...]) -> Callable:
    """As ``separate --dict --beta 1``, every clip (drums too) shifted by ``semitones``."""
    def run(item) -> np.ndarray:
        dictionaries = learned(item, pitch_shifts=semitones, shift_unpitched=True)
        return _variant(item, dictionaries).sources
    run.__doc__ = (f"{VARIANT_BASE}, the dictionaries also learned from copies of "
                   f"every training clip, drums too, shifted by "
                   f"{', '.join(f'{s:+g}' for s in semitones)} semitones.")
    return run


def pitched_shifts_supervised(semitones: tuple[float, ...]) -> Callable:
    """``separate --dict``, the clips that sound pitched shifted by ``semitones``."""
    def run(item) -> np.ndarray:
        dictionaries = learned(item, pitch_shifts=semitones)
        return nmfsep.separate(item.mixture, item.sr, dictionaries=dictionaries).sources
    run.__doc__ = (f"``separate --dict`` (every default), the dictionaries of the clips that "
                   f"sound pitched also learned shifted by "
                   f"{', '.join(f'{s:+g}' for s in semitones)} semitones (drum clips as "
                   f"recorded, as by default).")
    return run


def larger_supervised(n_components: int, beta: float | None = None) -> Callable:
    """As ``separate --dict --beta 1``, ``n_components`` per dictionary (activations under
    ``beta`` if given)."""
    def run(item) -> np.ndarray:
        dictionaries = learned(item, n_components=n_components)
        options = {} if beta is None else {"beta": beta}
        return _variant(item, dictionaries, **options).sources
    run.__doc__ = f"{VARIANT_BASE}, {n_components} components per dictionary" + (
        "." if beta is None else f", the activations fitted under the beta-divergence "
        f"{beta:g} (``--beta {beta:g}``).")
    return run


def several_frame_sizes(factors: tuple[float, ...]) -> Callable:
    """As ``separate --dict --beta 1`` at several STFT sizes, the sources averaged."""
    def run(item) -> np.ndarray:
        sources = []
        for factor in factors:
            n_fft = int(default_n_fft(item.sr) * factor)
            dictionaries = learned(item, n_fft=n_fft)
            sources.append(_variant(item, dictionaries).sources)
        return np.mean(sources, axis=0)
    sizes = ", ".join(f"{factor:g}" for factor in factors)
    run.__doc__ = (f"{VARIANT_BASE}, once per STFT size ({sizes} times the default "
                   "frame, each with dictionaries learned at that size), the sources "
                   "averaged: each separation adds up to the mixture, so their mean does.")
    return run


def sparse_dictionaries(l1_H: float) -> Callable:
    """As ``separate --dict --beta 1``, the dictionaries learned with an L1 penalty
    ``l1_H`` on their activations."""
    def run(item) -> np.ndarray:
        return _variant(item, learned(item, l1_H=l1_H)).sources
    run.__doc__ = (f"{VARIANT_BASE}, the dictionaries learned with a penalty "
                   f"``l1_H={l1_H:g}`` on the training clips' activations (sparser, more "
                   f"note-like atoms; no cost to the separation).")
    return run


def supervised_with(**options) -> Callable:
    """As ``separate --dict --beta 1``, the separation asked for ``options``."""
    def run(item) -> np.ndarray:
        return _variant(item, learned(item), **options).sources
    run.__doc__ = f"{VARIANT_BASE}, with " + ", ".join(
        f"``{k}={v!r}``" for k, v in options.items()) + "."
    return run


def consistent_supervised(item) -> np.ndarray:
    """As ``separate --dict --beta 1``, the masks estimated again, once, from the STFT of
    the sources they rebuild: the blind pipeline's consistency expert
    (``MaskPrior.consistent``)."""
    separation = _variant(item, learned(item))
    prior = replace(separation.model.prior or MaskPrior(), consistent=True)
    model = replace(separation.model, prior=prior)
    return model.sources(separation.frames, separation.block_frames)


def _kl_columns(D: np.ndarray, C: np.ndarray, n_iter: int = 50) -> np.ndarray:
    """KL divergence of each column of C from its best non-negative fit by D's columns."""
    A = np.full((D.shape[1], C.shape[1]), 1.0 / D.shape[1], dtype=np.float64)
    D = D.astype(np.float64)
    C = C.astype(np.float64) + EPS
    denominator = D.sum(axis=0)[:, None]
    for _ in range(n_iter):
        A *= (D.T @ (C / (D @ A + EPS))) / denominator
    model = D @ A + EPS
    return (C * np.log(C / model) - C + model).sum(axis=0)


def dictionary_labels(W: np.ndarray, dictionaries: list[nmfsep.Dictionary]) -> np.ndarray:
    """Each blind component to the source whose dictionary reconstructs its spectrum best."""
    C = W / np.maximum(W.sum(axis=0, keepdims=True), EPS)
    losses = np.stack([_kl_columns(d.W, C) for d in dictionaries])
    labels = np.argmin(losses, axis=0)
    for j in range(len(dictionaries)):  # every source keeps a component
        if not np.any(labels == j):
            labels[np.argmin(losses[j] - losses.min(axis=0))] = j
    return labels


def informed_grouping(item) -> np.ndarray:
    """nmfsep's blind factorization, its components grouped by the dictionaries."""
    dictionaries = learned(item)
    sep = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names), n_runs=1)
    return sep.regroup(labels=dictionary_labels(sep.W, dictionaries)).sources


def adapted(penalty: float, n_iter: int = 100) -> Callable:
    """Dictionaries as the start of W, which moves under a penalty pulling it back.

    KL-NMF multiplicative updates; W's update adds ``penalty`` times each
    component's total activation of pseudo-observations of its dictionary
    spectrum (the MAP update of a KL penalty toward the dictionary), so W is a
    blend of what the mixture asks and the dictionary; ratio masks.
    """
    def run(item) -> np.ndarray:
        dictionaries = learned(item)
        W0 = np.concatenate([d.W for d in dictionaries], axis=1).astype(np.float64)
        labels = np.repeat(np.arange(len(dictionaries)),
                           [d.n_components for d in dictionaries])
        config = dictionaries[0].stft
        X = stft(item.mixture, config)
        V = np.abs(X).mean(axis=0).astype(np.float64)
        V /= V.mean()
        W = W0.copy()
        H = np.full((W.shape[1], V.shape[1]), V.sum(axis=0) / W.shape[1])
        for iteration in range(n_iter):
            H *= (W.T @ (V / (W @ H + EPS))) / W.sum(axis=0)[:, None]
            if iteration < n_iter // 4:
                continue
            s = H.sum(axis=1)
            W *= (V / (W @ H + EPS)) @ H.T
            W = (W + penalty * s * W0) / ((1.0 + penalty) * s + EPS)
            sums = np.maximum(W.sum(axis=0), EPS)
            W /= sums
            H *= sums[:, None]
        models = np.stack([W[:, labels == j] @ H[labels == j] for j in range(len(dictionaries))])
        masks = (models + EPS) / (models + EPS).sum(axis=0, keepdims=True)
        return _masked(item, masks, config, X)
    run.__doc__ = adapted.__doc__
    return run


def _fixed_W_activations(V: np.ndarray, W: np.ndarray) -> np.ndarray:
    H = nmfsep.dictionary.initial_activations(V, W.shape[1])
    return factorize(V, W.shape[1], beta=1.0, W=W, H=H, fixed_W=True, max_iter=200,
                     tol=1e-4).H


def reconstruction_dictionaries(n_offsets: int = 3, n_iter: int = 100) -> Callable:
    """Discriminative reconstruction dictionaries (after Weninger et al. 2014): the
    activations come from the learned dictionaries as they are; the masks from each
    source's dictionary refitted (KL, activations fixed) so that its part of the
    activations found on a mixture of the training clips (summed, at ``n_offsets``
    offsets) rebuilds that source's clip."""
    def run(item) -> np.ndarray:
        dictionaries = learned(item)
        config = dictionaries[0].stft
        W = np.concatenate([d.W for d in dictionaries], axis=1)
        labels = np.repeat(np.arange(len(dictionaries)),
                           [d.n_components for d in dictionaries])
        clips = [item.training[name][0] for name in item.names]
        length = min(len(c) for c in clips)
        mixtures, targets = [], []
        for offset in range(n_offsets):
            shifted = [np.roll(c[:length], j * offset * length // (n_offsets * len(clips)))
                       for j, c in enumerate(clips)]
            mixtures.append(np.abs(stft(np.sum(shifted, axis=0)[None], config))[0])
            targets.append(np.stack([np.abs(stft(c[None], config))[0] for c in shifted]))
        V = np.concatenate(mixtures, axis=1).astype(np.float32)
        S = np.concatenate(targets, axis=2).astype(np.float32)
        scale = V.mean()
        H = _fixed_W_activations(V / scale, W)
        refitted = []
        for j in range(len(dictionaries)):
            Wj, Hj = W[:, labels == j].copy(), H[labels == j]
            totals = Hj.sum(axis=1)[None, :] + EPS
            for _ in range(n_iter):
                Wj *= ((S[j] / scale) / (Wj @ Hj + EPS)) @ Hj.T / totals
            refitted.append(Wj)
        X = stft(item.mixture, config)
        Vm = np.abs(X).mean(axis=0).astype(np.float32)
        H = _fixed_W_activations(Vm / Vm.mean(), W)
        models = np.stack([Wj @ H[labels == j] for j, Wj in enumerate(refitted)]) + EPS
        return _masked(item, models / models.sum(axis=0, keepdims=True), config, X)
    run.__doc__ = reconstruction_dictionaries.__doc__
    return run


def _magnitudes(estimates: np.ndarray, config: STFTConfig) -> np.ndarray:
    return np.stack([np.abs(stft(e, config)).mean(axis=0) for e in estimates]) + EPS


def _align(reference: np.ndarray, other: np.ndarray) -> tuple[int, ...]:
    """The order of ``other``'s sources that best matches ``reference`` (log-magnitude
    correlation); no true stem is looked at."""
    from itertools import permutations

    a = np.log(reference).reshape(len(reference), -1)
    b = np.log(other).reshape(len(other), -1)
    a = (a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, keepdims=True)
    b = (b - b.mean(axis=1, keepdims=True)) / b.std(axis=1, keepdims=True)
    corr = a @ b.T
    return max(permutations(range(len(other))),
               key=lambda p: sum(corr[i, j] for i, j in enumerate(p)))


def combined(penalty: float, weight: float = 0.5) -> Callable:
    """Blind ``auto`` and adapted dictionaries together: the masks of the two
    separations (blind sources matched to the dictionaries' by their spectrograms),
    averaged with ``weight`` on the supervised one."""
    supervised = adapted(penalty)

    def run(item) -> np.ndarray:
        config = _config(item.sr)
        X = stft(item.mixture, config)
        ours = _magnitudes(supervised(item), config)
        blind = _magnitudes(blind_auto(item), config)
        blind = blind[list(_align(ours, blind))]
        masks = (weight * ours / ours.sum(axis=0, keepdims=True)
                 + (1 - weight) * blind / blind.sum(axis=0, keepdims=True))
        return _masked(item, masks, config, X)
    run.__doc__ = combined.__doc__
    return run


def divergence_supervised(beta: float) -> Callable:
    """``separate --dict``, the activations fitted under the beta-divergence ``beta``."""
    def run(item) -> np.ndarray:
        return nmfsep.separate(item.mixture, item.sr, dictionaries=learned(item),
                               beta=beta).sources
    run.__doc__ = (f"``separate --dict --beta {beta:g}`` (dictionaries learned under "
                   f"Kullback-Leibler): the activations fitted under the beta-divergence "
                   f"{beta:g}.")
    return run


def stopped_supervised(max_iter: int) -> Callable:
    """``separate --dict`` (every default), the activations stopped after ``max_iter``
    iterations at most."""
    def run(item) -> np.ndarray:
        return nmfsep.separate(item.mixture, item.sr, dictionaries=learned(item),
                               max_iter=max_iter).sources
    run.__doc__ = (f"``separate --dict --max-iter {max_iter}`` (every other default): the "
                   f"activations stopped after {max_iter} iterations at most.")
    return run


def ideal_ratio_mask(item) -> np.ndarray:
    """Oracle |S_j| / sum_i |S_i| on the default STFT: the limit of any mask."""
    config = _config(item.sr)
    X = stft(item.mixture, config)
    S = np.stack([np.abs(stft(s, config)[0]) for s in item.sources]) + EPS
    return _masked(item, S / S.sum(axis=0, keepdims=True), config, X)


METHODS: dict[str, Callable] = {
    "blind auto": blind_auto,
    "plain supervised (K=24, KL, W fixed, Wiener)": plain_supervised,
    "nmfsep supervised (separate --dict)": nmfsep_supervised,
    "nmfsep supervised under Kullback-Leibler (--beta 1)":
        divergence_supervised(1.0),
    "nmfsep supervised, dictionaries without pitch shifts": unshifted_supervised,
    "nmfsep supervised, pitch shifts ±1": shifted_supervised((-1.0, 1.0)),
    "nmfsep supervised, pitch shifts ±3": shifted_supervised((-3.0, -2.0, -1.0, 1.0, 2.0, 3.0)),
    "nmfsep supervised, pitch shifts ±2 on every clip": shifted_supervised((-2.0, -1.0, 1.0, 2.0)),
    "nmfsep supervised, activations under beta 0.5": divergence_supervised(0.5),
    "nmfsep supervised, activations under beta 0.25": divergence_supervised(0.25),
    "nmfsep supervised, activations under beta 0.75": divergence_supervised(0.75),
    **{f"nmfsep supervised, activations stopped at {n} iterations": stopped_supervised(n)
       for n in (50, 100)},
    "dictionary-informed grouping of the blind NMF": informed_grouping,
    "discriminative reconstruction dictionaries": reconstruction_dictionaries(),
    "adapted dictionaries, penalty 1": adapted(1.0),
    "adapted dictionaries, penalty 0.2": adapted(0.2),
    "blind auto + adapted dictionaries (masks averaged)": combined(1.0),
    "blind auto + adapted dictionaries (masks, weight 0.75 supervised)": combined(1.0, 0.75),
    "oracle ideal ratio mask": ideal_ratio_mask,
    "nmfsep supervised, pitch shifts ±3 on pitched clips":
        pitched_shifts_supervised((-3.0, -2.0, -1.0, 1.0, 2.0, 3.0)),
    "nmfsep supervised, 64 components": larger_supervised(64),
    "nmfsep supervised, 128 components": larger_supervised(128),
    "nmfsep supervised, 64 components under beta 0.5": larger_supervised(64, 0.5),
    "nmfsep supervised, three STFT sizes": several_frame_sizes((0.5, 1.0, 2.0)),
    "nmfsep supervised, Wiener masks": supervised_with(mask_power=2.0),
    "nmfsep supervised, sparse activations": supervised_with(l1_H=1.0),
    "nmfsep supervised, HPSS expert 0.5": supervised_with(percussive_prior=0.5),
    **{f"nmfsep supervised, HPSS expert {s:g}": supervised_with(percussive_prior=s)
       for s in (0.25, 0.35, 0.6, 0.75, 1.0, 1.5)},
    "nmfsep supervised, without the HPSS expert": supervised_with(percussive_prior=0.0),
    "nmfsep supervised, masks estimated again": consistent_supervised,
    "nmfsep supervised, dictionaries learned sparse (0.1)": sparse_dictionaries(0.1),
    "nmfsep supervised, dictionaries learned sparse (0.5)": sparse_dictionaries(0.5),
    "nmfsep supervised, dictionaries learned sparse (4)": sparse_dictionaries(4.0),
}


# --------------------------------------------------------------------------- runner

def _run_item(category: str, index: int, duration: float, chosen: list[str]) -> list[dict]:
    """Every chosen method on one item; its lines go to stderr as they finish."""
    records = []
    item = real_item(category, index) if category in real.CATEGORIES \
        else build(category, index, duration)
    for name in chosen:
        start = time.perf_counter()
        estimates = METHODS[name](item)
        seconds = time.perf_counter() - start
        scores = evaluate(item.sources, estimates, permute=True)
        for source, sdr in zip(item.names, scores.sdr, strict=True):
            records.append(dict(category=category, item=index, half=half_of(index),
                                method=name, source=source, sdr=float(sdr),
                                seconds=seconds))
        print(f"{category:18s} {index} {name:48s} "
              + " ".join(f"{s:6.2f}" for s in scores.sdr) + f"  ({seconds:.1f} s)",
              file=sys.stderr, flush=True)
    return records


def run(items: list[tuple[str, int]], duration: float, chosen: list[str],
        jobs: int = 1) -> list[dict]:
    """Every chosen method on every ``(category, index)`` item, ``jobs`` items at a time
    (one process each)."""
    tasks = [(category, index, duration, chosen) for category, index in items]
    if jobs <= 1:
        results = [_run_item(*task) for task in tasks]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_run_item, *zip(*tasks, strict=True)))
    return [record for records in results for record in records]


def table(records: list[dict], half: str) -> dict[str, dict[str, float]]:
    """Median SDR over every source of every item of ``half``, per method and category."""
    cells: dict[str, dict[str, list[float]]] = {}
    for r in records:
        if r["half"] == half:
            cells.setdefault(r["method"], {}).setdefault(r["category"], []).append(r["sdr"])
    return {m: {c: float(np.median(v)) for c, v in row.items()} for m, row in cells.items()}


def merge_run(stored: dict, added: dict) -> dict:
    """``stored`` with ``added``'s records put in (the same category, item, method and
    source replaced) and ``added``'s command listed under ``merged``."""
    if stored["duration"] != added["duration"]:
        raise SystemExit(f"--merge: the stored run has items of {stored['duration']:g} s, "
                         f"this run {added['duration']:g} s")
    def key(r: dict) -> tuple:
        return r["category"], r["item"], r["method"], r["source"]
    records = {key(r): r for r in stored["records"]}
    records.update({key(r): r for r in added["records"]})
    run = dict(command=added["command"], started=added["started"], seconds=added["seconds"],
               commit=git_commit(), methods=list(added["docs"]))
    return {**stored, "records": list(records.values()),
            "categories": list(dict.fromkeys([*stored["categories"], *added["categories"]])),
            "docs": {**stored.get("docs", {}), **added["docs"]},
            "merged": [*stored.get("merged", []), run]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.supervised",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=positive_int, default=6,
                        help="items per category (both halves)")
    parser.add_argument("--duration", type=positive_float, default=10.0, help="seconds per item")
    parser.add_argument("--categories", default=",".join(CATEGORIES),
                        help="rendered categories, comma-separated ('' for none): issue "
                             "29's four by default, any of the quality benchmark's")
    parser.add_argument("--real", action="store_true",
                        help="also the real categories of ../shared/real-tuning (every "
                             "recording of --half, leave-one-out training clips)")
    parser.add_argument("--methods", default=None,
                        help="only methods whose name contains one of these comma-separated "
                             "words (a method's whole name: that method alone)")
    parser.add_argument("--half", choices=("tuning", "reporting", "both"), default="both")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="items measured at a time, one process each (run with "
                             "OMP_NUM_THREADS=1)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--merge", action="store_true",
                        help="put this run's records into --out's stored run (a record of the "
                             "same item, method and source replaced) instead of replacing it")
    parser.add_argument("--docs-only", action="store_true",
                        help="only rewrite docs/supervised.md's results from --out")
    parser.add_argument("--no-docs", action="store_true",
                        help="do not rewrite docs/supervised.md (with an --out of its own, "
                             "the docs are not rewritten either)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not out.parent.is_dir():
        parser.error(f"--out {out}: the folder {out.parent} does not exist")
    if (args.merge or args.docs_only) and not out.is_file():
        parser.error(f"--out {out}: no stored run there to "
                     + ("merge into; run without --merge first" if args.merge else "report"))
    if args.merge and not args.docs_only:  # refused before anything is measured
        stored_duration = json.loads(out.read_text())["duration"]
        if stored_duration != args.duration:
            parser.error(f"--merge: the stored run in {out} has items of {stored_duration:g} s, "
                         f"this run {args.duration:g} s; run with --duration "
                         f"{stored_duration:g}")
    if not args.docs_only:
        chosen = list(METHODS)
        if args.methods:
            words = [w.strip() for w in args.methods.split(",")]
            # a word that names a method whole chooses it alone
            chosen = [m for m in chosen
                      if any(w == m or (w not in METHODS and w in m) for w in words)]
            if not chosen:
                parser.error(f"--methods {args.methods!r} names none of the methods: "
                             + "; ".join(METHODS))
        indices = [i for i in range(args.items)
                   if args.half == "both" or half_of(i) == args.half]
        rendered = [c for c in args.categories.split(",") if c]
        unknown = [c for c in rendered if c not in generate.CATEGORIES]
        if unknown:
            parser.error(f"unknown categories {', '.join(unknown)}; choose among "
                         f"{', '.join(generate.CATEGORIES)} (and --real)")
        items = [(c, i) for c in rendered for i in indices]
        if args.real:
            items += real.jobs(list(real.CATEGORIES), "all" if args.half == "both" else args.half)
        if not items:
            print("no items to measure", file=sys.stderr)
            return 1
        categories = list(dict.fromkeys(c for c, _ in items))
        started, clock = time.strftime("%Y-%m-%d %H:%M:%S"), time.perf_counter()
        records = run(items, args.duration, chosen, jobs=args.jobs)
        command = shlex.join(["python", "-m", "benchmarks.quality.supervised",
                              *(argv if argv is not None else sys.argv[1:])])
        result = dict(command=command, started=started, duration=args.duration,
                      items=args.items, categories=categories, records=records,
                      seconds=time.perf_counter() - clock,
                      docs={m: (METHODS[m].__doc__ or "").strip() for m in chosen})
        if args.merge:
            result = merge_run(json.loads(out.read_text()), result)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=1))
        tmp.replace(out)
        for half in ("tuning", "reporting"):
            print(f"\n{half} half, median SDR (dB)")
            for method, row in table(records, half).items():
                print(f"{method:48s}" + "".join(f"{row.get(c, float('nan')):8.2f}"
                                                for c in categories))
    if args.no_docs or (out.resolve() != RESULTS.resolve() and not args.docs_only):
        return 0
    from .supervised_report import write_doc
    write_doc(out, DOC, {m: (run.__doc__ or "").strip() for m, run in METHODS.items()})
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
