"""Where each component sits between two loudspeakers, and a grouping refined by it.

nmfsep factorizes the channels' combined spectrogram, so the stereo image is
not in ``W`` or ``H``.  It is read back from the mixture's two channels: each
component's **pan** is its Wiener share ``W_k H_k / WH`` of each channel's
magnitude spectrogram, summed over bins and frames, as ``(right - left) /
(right + left)``: -1 hard left, 0 centre, +1 hard right
(:func:`component_pans`).  Instruments that a mix places apart keep their
places in every note, so two sources whose components' pans stand apart
(:func:`pan_separation`, a Fisher ratio) can be regrouped by them: a
component of one that sits well towards the other's mean pan goes to it
(:func:`refine_by_pan`).

>>> import numpy as np
>>> from nmfsep.panning import refine_by_pan
>>> pans = np.array([-0.6, -0.5, 0.5, -0.55, 0.6, 0.4])
>>> labels = np.array([0, 0, 0, 1, 1, 1])  # one left component went right, one right one left
>>> refine_by_pan(labels, pans, np.ones(6), min_ratio=0.5).tolist()
[0, 0, 1, 0, 1, 1]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .errors import ParameterError

__all__ = ["component_pans", "pan_separation", "refine_by_pan"]

#: Frames taken at a time by :func:`component_pans`.
PAN_BLOCK = 512


def component_pans(W: np.ndarray, H: np.ndarray,
                   channels: Callable[[int, int], np.ndarray] | np.ndarray, *,
                   block: int = PAN_BLOCK) -> np.ndarray:
    """Each component's pan: its Wiener share of the right channel against the left.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    H : np.ndarray, shape=(K, frames)
    channels : np.ndarray, shape=(2, bins, frames), or callable(first, last)
        The mixture's STFT (complex) or magnitudes, left and right; or a function
        giving its frames ``first:last`` as such an array (a recording read block
        by block, :meth:`nmfsep.recording.Frames.get`).
    block : int
        Frames taken at a time: the temporary memory is a few ``bins × block`` arrays.

    Returns
    -------
    np.ndarray, shape=(K,), in [-1, 1]
        ``(right - left) / (right + left)`` of the magnitude each component's share
        ``W_k H_k / WH`` takes from each channel; 0 for a silent component.

    Raises
    ------
    ParameterError
        Unless the channels are two and match ``W`` and ``H``.

    Examples
    --------
    Two components, one only in the left channel, one twice as loud on the right:

    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0], [0.0, 1.0]]); H = np.ones((2, 3))
    >>> X = np.stack([np.array([[1.0] * 3, [1.0] * 3]), np.array([[0.0] * 3, [2.0] * 3])])
    >>> component_pans(W, H, X).round(3).tolist()
    [-1.0, 0.333]
    """
    W = np.asarray(W, dtype=np.float32)
    H = np.asarray(H, dtype=np.float32)
    get = channels if callable(channels) else (lambda first, last: channels[..., first:last])
    n_frames = H.shape[1]
    right_minus_left = np.zeros(W.shape[1])
    right_plus_left = np.zeros(W.shape[1])
    tiny = np.finfo(np.float32).tiny
    for first in range(0, n_frames, block):
        last = min(first + block, n_frames)
        X = get(first, last)
        if X.ndim != 3 or X.shape[0] != 2 or X.shape[1:] != (W.shape[0], last - first):
            raise ParameterError(f"the pans need the two channels' spectrograms of "
                                 f"{W.shape[0]} bins and {n_frames} frames, got frames "
                                 f"{first}:{last} of shape {X.shape}")
        left, right = np.abs(X[0]).astype(np.float32), np.abs(X[1]).astype(np.float32)
        model = W @ H[:, first:last]
        # a floor far below any audible share keeps silent bins from overflowing
        np.maximum(model, max(float(model.max()) * 1e-10, tiny), out=model)
        for total, field in ((right_minus_left, right - left), (right_plus_left, right + left)):
            field /= model
            total += np.einsum("kt,kt->k", W.T @ field, H[:, first:last], dtype=np.float64)
    return np.divide(right_minus_left, right_plus_left, out=np.zeros_like(right_minus_left),
                     where=right_plus_left > 0)


def pan_separation(pans: np.ndarray, energy: np.ndarray, first: np.ndarray,
                   second: np.ndarray) -> tuple[float, float, float]:
    """How far apart two groups of components sit: a Fisher ratio and their mean pans.

    Parameters
    ----------
    pans : np.ndarray, shape=(K,)
        :func:`component_pans`.
    energy : np.ndarray, shape=(K,)
        Each component's weight in its group's mean and spread.
    first, second : np.ndarray of bool, shape=(K,)
        The two groups' members.

    Returns
    -------
    ratio : float
        ``|m1 - m2| / sqrt((s1**2 + s2**2) / 2)``, with each group's
        energy-weighted mean ``m`` and standard deviation ``s`` of its pans;
        infinite when both groups sit each at one place, apart.
    m1, m2 : float
        The groups' mean pans.

    >>> import numpy as np
    >>> pans = np.array([-0.5, -0.3, 0.3, 0.5])
    >>> ratio, m1, m2 = pan_separation(pans, np.ones(4), pans < 0, pans > 0)
    >>> round(ratio, 6), round(m1, 6), round(m2, 6)
    (8.0, -0.4, 0.4)
    """
    stats = []
    for members in (first, second):
        weights = np.maximum(energy[members], np.finfo(np.float64).tiny)
        mean = float(np.average(pans[members], weights=weights))
        spread = float(np.average((pans[members] - mean) ** 2, weights=weights))
        stats.append((mean, spread))
    (m1, v1), (m2, v2) = stats
    pooled = np.sqrt((v1 + v2) / 2)
    if pooled > 0:
        return float(abs(m1 - m2) / pooled), m1, m2
    return (math.inf if m1 != m2 else 0.0), m1, m2


def refine_by_pan(labels: np.ndarray, pans: np.ndarray, energy: np.ndarray,
                  min_ratio: float, fixed: int | None = None,
                  margin: float = 0.5) -> np.ndarray:
    """``labels`` with the components of sources that sit apart regrouped by their pans.

    For each pair of sources whose :func:`pan_separation` exceeds ``min_ratio``,
    the farthest apart first (ratios taken from ``labels`` as given), a
    component of one goes to the other when its pan lies more than ``margin``
    of the way from its own source's mean pan to the other's (0.5: when it
    sits nearer the other); a pair whose regrouping would leave one of them
    empty is left as it is.

    Parameters
    ----------
    labels : np.ndarray of int, shape=(K,)
    pans : np.ndarray, shape=(K,)
    energy : np.ndarray, shape=(K,)
        Each component's weight in its source's mean pan (for example the
        product of its column sum of ``W`` and row sum of ``H``).
    min_ratio : float
        The least Fisher ratio of a pair refined.
    fixed : int, optional
        A source left as it is (a drum kit, spread across the stereo image).
    margin : float
        How far towards the other source's mean a component must sit to move:
        above 0.5, a component between the two means (a sound both sources
        share, or spread by reverberation) stays where the grouping put it.

    Returns
    -------
    np.ndarray of int, shape=(K,)
    """
    labels = np.asarray(labels).copy()
    sources = [j for j in np.unique(labels).tolist() if j != fixed]
    pairs = sorted(((pan_separation(pans, energy, labels == a, labels == b)[0], a, b)
                    for i, a in enumerate(sources) for b in sources[i + 1:]), reverse=True)
    for ratio, a, b in pairs:
        if not ratio > min_ratio:
            break
        _, mean_a, mean_b = pan_separation(pans, energy, labels == a, labels == b)
        # 0 at the component's own source's mean pan, 1 at the other's
        towards_b = (pans - mean_a) / (mean_b - mean_a)
        trial = np.where((labels == a) & (towards_b > margin), b,
                         np.where((labels == b) & (1 - towards_b > margin), a, labels))
        if (trial == a).any() and (trial == b).any():
            labels = trial
    return labels
