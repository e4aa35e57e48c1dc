"""Separation quality: BSS Eval SDR, SIR, SAR and SI-SDR, with the permutation solved.

BSS Eval (v3, ``bss_eval_sources``) is computed here from correlations: the
norms of the projections of an estimate onto its reference's delayed copies
and onto all references' follow from the references' block Toeplitz Gram
matrix, so no projected signal is ever formed (the fast_bss_eval approach,
Scheibler 2021).  It matches mir_eval to numerical precision (see the tests)
and needs nothing beyond numpy and scipy.  Multichannel signals are evaluated with their
channels laid end to end.  A silent reference has no defined score: its row is
NaN and it takes no part in the permutation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.linalg import LinAlgError, solve
from scipy.optimize import linear_sum_assignment

from .audio import load, validate_signal
from .errors import AudioWarning, ParameterError

__all__ = ["Scores", "evaluate", "evaluate_files", "evaluate_folders", "scores_table", "si_sdr",
           "sdr_improvement"]

_SILENT = 1e-10


@dataclass
class Scores:
    """Per-source scores in dB, each of shape ``(n_references,)``.

    Attributes
    ----------
    sdr, sir, sar, si_sdr : np.ndarray
    permutation : np.ndarray of int
        ``estimates[permutation[i]]`` is matched to ``references[i]``.
    """

    sdr: np.ndarray
    sir: np.ndarray
    sar: np.ndarray
    si_sdr: np.ndarray
    permutation: np.ndarray

    def as_rows(self, names: list[str] | None = None) -> list[dict]:
        """One dict per reference, for tables and JSON."""
        names = names or [f"source{i + 1}" for i in range(len(self.sdr))]
        columns = zip(names, self.sdr, self.sir, self.sar, self.si_sdr, strict=True)
        return [
            {"source": name, "sdr": float(a), "sir": float(b), "sar": float(c),
             "si_sdr": float(d)}
            for name, a, b, c, d in columns
        ]


def _flatten(signals: np.ndarray, what: str = "signals") -> np.ndarray:
    """``(sources, samples)`` float64, channels laid end to end; checked."""
    try:
        signals = np.asarray(signals, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be an array of numbers") from None
    if signals.ndim not in (2, 3):
        raise ParameterError(f"{what}: expected (sources, samples) or (sources, channels, "
                             f"samples), got shape {signals.shape}")
    if signals.ndim == 3:
        signals = signals.reshape(signals.shape[0], -1)
    if signals.shape[0] > signals.shape[1]:
        raise ParameterError(f"{what} of shape {signals.shape}: more sources than samples; "
                             f"pass (sources, samples), not (samples, sources)")
    if not np.all(np.isfinite(signals)):
        raise ParameterError(f"{what} hold NaN or Inf")
    return signals


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant SDR in dB (Le Roux et al. 2019) of one estimate."""
    reference = np.ravel(reference).astype(np.float64)
    estimate = np.ravel(estimate).astype(np.float64)
    if reference.size != estimate.size:
        raise ParameterError(f"the reference has {reference.size} samples, the estimate "
                             f"{estimate.size}")
    energy = reference @ reference
    if energy <= _SILENT:
        return float("nan")
    target = (estimate @ reference) / energy * reference
    noise = estimate - target
    return float(10 * np.log10(max(target @ target, 1e-300) / max(noise @ noise, 1e-300)))


def evaluate(references: np.ndarray, estimates: np.ndarray, *,
             permute: bool = True, filter_length: int = 512) -> Scores:
    """BSS Eval (v3 sources) and SI-SDR of estimates against references.

    Parameters
    ----------
    references, estimates : np.ndarray, shape=(n_sources, samples) or (n_sources, channels, samples)
    permute : bool
        Match estimates to references by the permutation that maximizes the
        mean SI-SDR; otherwise in the given order.
    filter_length : int
        BSS Eval's distortion filter length.

    Returns
    -------
    Scores
    """
    refs, ests = _flatten(references, "references"), _flatten(estimates, "estimates")
    if refs.shape[1] != ests.shape[1]:
        raise ParameterError(f"references have {refs.shape[1]} samples, estimates "
                             f"{ests.shape[1]}")
    n_ref, n_est = refs.shape[0], ests.shape[0]
    if n_est < n_ref:
        raise ParameterError(f"{n_est} estimates for {n_ref} references")
    if (not isinstance(filter_length, (int, np.integer)) or isinstance(filter_length, bool)
            or filter_length < 1):
        raise ParameterError(f"filter_length must be a positive integer, got {filter_length!r}")
    active = np.flatnonzero((refs**2).sum(axis=1) > _SILENT)
    pairwise = np.array([[si_sdr(r, e) for e in ests] for r in refs[active]])
    if permute and active.size == 0:  # every reference silent: nothing to match
        chosen = active.copy()
    elif permute:
        _, chosen = linear_sum_assignment(-np.nan_to_num(pairwise, nan=-1e3))
    else:
        chosen = active.copy()
    permutation = np.full(n_ref, -1)
    permutation[active] = chosen
    leftover = [j for j in range(n_est) if j not in set(chosen.tolist())]
    permutation[permutation < 0] = leftover[: int((permutation < 0).sum())]
    sdr = np.full(n_ref, np.nan)
    sir, sar, scale_inv = sdr.copy(), sdr.copy(), sdr.copy()
    if active.size:
        est_active = ests[permutation[active]]
        sdr[active], sir[active], sar[active] = bss_eval(refs[active], est_active, filter_length)
        scale_inv[active] = [si_sdr(r, e) for r, e in zip(refs[active], est_active, strict=False)]
    return Scores(sdr=sdr, sir=sir, sar=sar, si_sdr=scale_inv, permutation=permutation)


def _correlations(refs: np.ndarray, ests: np.ndarray, lags: int):
    """Auto- and cross-correlations at lags 0..lags-1 by FFT, without wrap-around."""
    n = refs.shape[1]
    size = 1 << int(np.ceil(np.log2(n + lags - 1)))
    R = np.fft.rfft(refs, size)
    E = np.fft.rfft(ests, size)
    # refs_corr[i, j, l] = sum_t refs[i, t + l] * refs[j, t]
    refs_corr = np.fft.irfft(R[:, None] * np.conj(R[None]), size)[..., :lags]
    # cross[i, k, l] = sum_t refs[i, t] * ests[k, t + l]: reference i delayed by l, estimate k
    cross = np.fft.irfft(np.conj(R[:, None]) * E[None], size)[..., :lags]
    return refs_corr, cross


def _block_toeplitz(refs_corr: np.ndarray) -> np.ndarray:
    """Gram matrix of every reference delayed by 0..L-1 samples, shape=(n*L, n*L)."""
    n, _, lags = refs_corr.shape
    index = np.arange(lags)
    diff = index[:, None] - index[None, :]
    G = np.empty((n, lags, n, lags))
    for i in range(n):
        for j in range(n):
            # <ref_i delayed by a, ref_j delayed by b> = corr_ji at lag a - b (a >= b)
            later = refs_corr[j, i][np.clip(diff, 0, None)]
            earlier = refs_corr[i, j][np.clip(-diff, 0, None)]
            G[i, :, j, :] = np.where(diff >= 0, later, earlier)
    return G.reshape(n * lags, n * lags)


def _solve(G: np.ndarray, b: np.ndarray) -> np.ndarray:
    load = 1e-10 * np.trace(G) / len(G)
    try:
        return solve(G + load * np.eye(len(G)), b, assume_a="pos")
    except LinAlgError:
        return np.linalg.lstsq(G, b, rcond=None)[0]


def bss_eval(references: np.ndarray, estimates: np.ndarray,
             filter_length: int = 512) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BSS Eval v3 SDR, SIR and SAR of ``estimates[j]`` against ``references[j]``.

    Parameters
    ----------
    references, estimates : np.ndarray, shape=(n_sources, samples)
        Already matched in order; no reference may be silent.
    filter_length : int
        Length of the allowed distortion filter (512 as in mir_eval).

    Returns
    -------
    sdr, sir, sar : np.ndarray, shape=(n_sources,)
    """
    refs = np.asarray(references, dtype=np.float64)
    ests = np.asarray(estimates, dtype=np.float64)
    n, lags = refs.shape[0], filter_length
    refs_corr, cross = _correlations(refs, ests, lags)
    G = _block_toeplitz(refs_corr)
    sdr, sir, sar = (np.empty(n) for _ in range(3))
    for j in range(n):
        b_all = cross[:, j, :].reshape(-1)
        b_own = cross[j, j]
        energy = ests[j] @ ests[j]
        all_proj = float(b_all @ _solve(G, b_all))
        own = slice(j * lags, (j + 1) * lags)
        target = float(b_own @ _solve(G[own, own], b_own))
        all_proj = min(max(all_proj, target), energy)
        sdr[j] = _db(target, energy - target)
        sir[j] = _db(target, all_proj - target)
        sar[j] = _db(all_proj, energy - all_proj)
    return sdr, sir, sar


def _db(signal: float, noise: float) -> float:
    return float(10 * np.log10(max(signal, 1e-300) / max(noise, 1e-300)))


def sdr_improvement(references: np.ndarray, estimates: np.ndarray,
                    mixture: np.ndarray) -> np.ndarray:
    """SDR of the estimates minus the SDR of the unprocessed mixture, per reference."""
    refs = _flatten(references)
    mix = np.broadcast_to(_flatten(np.asarray(mixture)[np.newaxis]), refs.shape)
    base = evaluate(refs, np.array(mix), permute=False).sdr
    return evaluate(refs, estimates).sdr - base


def evaluate_files(references: list, estimates: list) -> tuple[list[dict], str]:
    """Score estimate files against reference files, matched by name or by permutation.

    Parameters
    ----------
    references, estimates : lists of paths
        Audio files; an estimate matches the reference of the same file stem,
        or, when the names differ, the permutation with the best mean SI-SDR
        decides.  Files are cut to the shortest (with an :class:`AudioWarning`
        naming the longer ones) and mono ones broadcast.

    Returns
    -------
    rows : list of dict
        :meth:`Scores.as_rows` by reference name, with the ``estimate`` file.
    how : str
        ``"by name"`` or ``"by best permutation"``.

    Raises
    ------
    ParameterError
        With fewer estimates than references or different sample rates.
    """
    by_name = {path.stem: path for path in estimates}
    matched = all(path.stem in by_name for path in references)
    chosen = [by_name[path.stem] for path in references] if matched else list(estimates)
    if len(chosen) < len(references):
        raise ParameterError(
            f"{_folders(estimates)}: {len(chosen)} estimate file(s) for {len(references)} "
            f"references in {_folders(references)} (" + ", ".join(p.name for p in references)
            + ")")

    def checked(path) -> tuple[np.ndarray, int]:
        y, sr = load(path)
        return validate_signal(y, sr, name=str(path)), sr

    ref_audio = [checked(p) for p in references]
    est_audio = [checked(p) for p in chosen]
    paths = list(references) + chosen
    audio = ref_audio + est_audio
    rates = {sr for _, sr in audio}
    if len(rates) > 1:
        raise ParameterError("the files have different sample rates: " + ", ".join(
            f"{path} {sr} Hz" for path, (_, sr) in zip(paths, audio, strict=True)))
    length = min(y.shape[1] for y, _ in audio)
    longer = [f"{path} ({y.shape[1]})" for path, (y, _) in zip(paths, audio, strict=True)
              if y.shape[1] != length]
    if longer:
        warnings.warn(f"the files differ in length: scored over the first {length} samples, "
                      f"the shortest; longer: {', '.join(longer)}", AudioWarning, stacklevel=2)
    channels = max(y.shape[0] for y, _ in ref_audio + est_audio)

    def stack(items) -> np.ndarray:
        return np.stack([np.broadcast_to(y[:, :length], (channels, length)) for y, _ in items])

    scores = evaluate(stack(ref_audio), stack(est_audio), permute=not matched)
    rows = scores.as_rows([path.stem for path in references])
    for row, index in zip(rows, scores.permutation, strict=True):
        row["estimate"] = chosen[index].name
    return rows, "by name" if matched else "by best permutation"


#: The file suffixes :func:`evaluate_folders` scores.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


def _folders(paths: list) -> str:
    """The folder(s) of ``paths``, for a message."""
    return ", ".join(sorted({str(Path(path).parent) for path in paths}))


def _audio_files(folder) -> list:
    if not folder.is_dir():
        raise ParameterError(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES
                   and p.is_file())
    if not files:
        raise ParameterError(f"{folder}: holds no audio files")
    return files


def evaluate_folders(references, estimates) -> tuple[list[dict], str]:
    """:func:`evaluate_files` on the audio files of two folders.

    Raises
    ------
    ParameterError
        If a folder is missing or holds no audio file.
    """
    return evaluate_files(_audio_files(references), _audio_files(estimates))


def scores_table(rows: list[dict], title: str) -> str:
    """The rows of :meth:`Scores.as_rows` as a text table under ``title``."""
    lines = [title, f"{'source':<12}{'SDR':>8}{'SIR':>8}{'SAR':>8}{'SI-SDR':>8}"]
    for row in rows:
        lines.append(f"{row['source']:<12}{row['sdr']:>8.2f}{row['sir']:>8.2f}"
                     f"{row['sar']:>8.2f}{row['si_sdr']:>8.2f}")
    return "\n".join(lines)
