"""The STFT's windows and frame grid, as :class:`scipy.signal.ShortTimeFFT` defines them.

nmfsep computes its transforms itself (:mod:`nmfsep.spectral`) and needs of
ShortTimeFFT only its window, its canonical dual window and where its frames
lie; importing ``scipy.signal`` takes about half of the command line's
start-up (it imports ``scipy.stats``).  The same numbers are computed here,
by the same formulas (scipy is BSD-licensed); the cosine windows (Hann,
Hamming, Blackman) are computed here too, any other window name is asked of
``scipy.signal.get_window``.  ``tests/test_stft_grid.py`` holds every value
against ShortTimeFFT and get_window.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

__all__ = ["window", "dual_window", "FrameGrid", "COSINE_WINDOWS"]

#: Coefficients of the generalized cosine windows computed here.
COSINE_WINDOWS = {"hann": (0.5, 1 - 0.5), "hamming": (0.54, 1 - 0.54),
                  "blackman": (0.42, 0.50, 0.08)}


def window(name: str, length: int) -> np.ndarray:
    """The periodic window ``name`` of ``length`` samples: ``get_window(name, length)``.

    Raises
    ------
    ValueError, TypeError
        As ``scipy.signal.get_window`` does for a name it does not know.
    """
    if isinstance(name, str) and name in COSINE_WINDOWS:
        if length <= 1:
            return np.ones(length)
        fac = np.linspace(-np.pi, np.pi, length + 1)
        w = np.zeros(length + 1)
        for k, a in enumerate(COSINE_WINDOWS[name]):
            w += a * np.cos(k * fac)
        return w[:-1]
    from scipy.signal import get_window

    return get_window(name, length, fftbins=True)


def dual_window(win: np.ndarray, hop: int) -> np.ndarray:
    """The canonical dual window of ``win`` for ``hop`` (perfect reconstruction).

    Raises
    ------
    ValueError
        If the frames do not cover every sample (the STFT cannot be inverted).
    """
    w2 = win.real**2 + win.imag**2
    total = w2.copy()
    for k in range(hop, len(win), hop):
        total[k:] += w2[:-k]
        total[:-k] += w2[k:]
    if not np.all(total >= np.finfo(win.dtype).resolution * max(total)):
        raise ValueError("Short-time Fourier Transform not invertible!")
    return win / total


class FrameGrid:
    """Where the frames of an STFT lie, in ShortTimeFFT's numbering.

    Frame ``p`` covers samples ``p * hop - m_num_mid`` to that plus ``m_num``;
    ``p_min`` is the first frame that reaches sample 0, ``p_max(n)`` one past
    the last frame that reaches sample ``n - 1``.

    Parameters
    ----------
    win : np.ndarray
        The window (its length is the frame length ``m_num``).
    hop : int
    """

    def __init__(self, win: np.ndarray, hop: int) -> None:
        self.win = np.asarray(win)
        self.hop = int(hop)
        self.m_num = len(self.win)
        self.m_num_mid = self.m_num // 2
        self._w2 = self.win.real**2 + self.win.imag**2
        self._post: dict[int, tuple[int, int]] = {}

    @cached_property
    def dual_win(self) -> np.ndarray:
        """The canonical dual window (:func:`dual_window`)."""
        return dual_window(self.win, self.hop)

    @cached_property
    def _pre_padding(self) -> tuple[int, int]:
        n0 = -self.m_num_mid
        for p, n in enumerate(range(n0, n0 - self.m_num - 1, -self.hop)):
            n_next = n - self.hop
            if n_next + self.m_num <= 0 or not self._w2[n_next:].any():
                return n, -p
        raise AssertionError("unreachable: a frame always leaves the signal")

    @property
    def p_min(self) -> int:
        """The first frame that reaches sample 0."""
        return self._pre_padding[1]

    @property
    def k_min(self) -> int:
        """The first sample of frame ``p_min`` (negative: before the signal)."""
        return self._pre_padding[0]

    def p_max(self, n: int) -> int:
        """One past the last frame that reaches sample ``n - 1``."""
        return self._post_padding(int(n))[1]

    def k_max(self, n: int) -> int:
        """One past the last sample of the last frame that reaches sample ``n - 1``."""
        return self._post_padding(int(n))[0]

    def _post_padding(self, n: int) -> tuple[int, int]:
        if n < self.m_num - self.m_num_mid:
            raise ValueError(f"n must be >= ceil(m_num/2) = {self.m_num - self.m_num_mid}, "
                             f"got {n}")
        if n not in self._post:
            q1 = n // self.hop
            k1 = q1 * self.hop - self.m_num_mid
            for q, k in enumerate(range(k1, n + self.m_num, self.hop), start=q1):
                n_next = k + self.hop
                if n_next >= n or not self._w2[: n - n_next].any():
                    self._post[n] = (k + self.m_num, q + 1)
                    break
            else:
                raise AssertionError("unreachable: a frame always passes the signal's end")
        return self._post[n]
