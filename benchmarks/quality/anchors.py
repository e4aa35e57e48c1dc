"""Blind anchors written for the benchmark, independent of nmfsep's grouping module.

* the low-frequency centroid: the components of a plain NMF grouped by where their
  spectrum sits (optimal 1-D k-means on the log of each template's spectral centroid, so
  the lowest group plays the lowest source);
* nussl's NMF-MFCC (``TimbreClustering``), where nussl imports.

:mod:`benchmarks.quality.methods` applies them to the items.
"""

from __future__ import annotations

import functools

import numpy as np


def log_centroids(W: np.ndarray, sr: int) -> np.ndarray:
    """Log of each template's spectral centroid in Hz.

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
        Non-negative templates over the bins of a one-sided spectrum from 0 to sr / 2.
    sr : int

    Returns
    -------
    np.ndarray, shape=(K,)
    """
    freqs = np.linspace(0.0, sr / 2, W.shape[0])
    centroid = (freqs @ W) / np.maximum(W.sum(axis=0), 1e-30)
    return np.log(np.maximum(centroid, freqs[1]))


def kmeans_1d(values: np.ndarray, n_clusters: int) -> np.ndarray:
    """Optimal k-means of scalars (least within-cluster squared error), by dynamic programming.

    In one dimension the optimal clusters are runs of the sorted values, so the best split
    of the sorted values into ``n_clusters`` runs is exact and needs no random start.

    Parameters
    ----------
    values : np.ndarray, shape=(m,)
    n_clusters : int
        At most ``m``.

    Returns
    -------
    np.ndarray of int, shape=(m,)
        Cluster of each value, 0 for the lowest values up to ``n_clusters - 1``.
    """
    values = np.asarray(values, dtype=float)
    m = values.size
    if not 1 <= n_clusters <= m:
        raise ValueError(f"{n_clusters} clusters of {m} values")
    order = np.argsort(values, kind="stable")
    x = values[order]
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def sse(i: int, j: int) -> float:  # squared error of x[i:j] about its mean
        total = s1[j] - s1[i]
        return float(s2[j] - s2[i] - total * total / (j - i))

    cost = np.full((n_clusters + 1, m + 1), np.inf)
    start = np.zeros((n_clusters + 1, m + 1), dtype=int)
    cost[0, 0] = 0.0
    for k in range(1, n_clusters + 1):
        for j in range(k, m + 1):
            for i in range(k - 1, j):
                c = cost[k - 1, i] + sse(i, j)
                if c < cost[k, j]:
                    cost[k, j], start[k, j] = c, i
    labels_sorted = np.empty(m, dtype=int)
    j = m
    for k in range(n_clusters, 0, -1):
        i = start[k, j]
        labels_sorted[i:j] = k - 1
        j = i
    labels = np.empty(m, dtype=int)
    labels[order] = labels_sorted
    return labels


def centroid_labels(W: np.ndarray, sr: int, n_sources: int) -> np.ndarray:
    """The source of each component by the low-frequency centroid (0 = lowest sources).

    Parameters
    ----------
    W : np.ndarray, shape=(bins, K)
    sr : int
    n_sources : int

    Returns
    -------
    np.ndarray of int, shape=(K,)
    """
    return kmeans_1d(log_centroids(W, sr), n_sources)


@functools.cache
def nussl_problem() -> str | None:
    """Why nussl cannot run here (one line), or None when it imports."""
    try:
        import nussl
    except Exception as error:  # noqa: BLE001 - any import failure means "does not run"
        try:
            from importlib.metadata import version
            release = f"nussl {version('nussl')}"
        except Exception:  # noqa: BLE001
            release = "nussl"
        import scipy
        return (f"{release} does not import on SciPy {scipy.__version__}: "
                f"{type(error).__name__}: {error}")
    del nussl
    return None


def nussl_nmf_mfcc(mixture: np.ndarray, sr: int, n_sources: int, n_fft: int,
                   hop: int) -> np.ndarray:
    """nussl's NMF-MFCC (``separation.primitive.TimbreClustering``, soft masks).

    NMF with ``10 * n_sources`` components on nussl's STFT with the benchmark's frame,
    k-means on MFCC features, every other argument nussl's default.

    Parameters
    ----------
    mixture : np.ndarray, shape=(channels, samples)
    sr, n_sources, n_fft, hop : int

    Returns
    -------
    np.ndarray, shape=(n_sources, channels, samples)
    """
    import nussl

    signal = nussl.AudioSignal(audio_data_array=mixture, sample_rate=sr,
                               stft_params=nussl.STFTParams(window_length=n_fft,
                                                            hop_length=hop))
    separator = nussl.separation.primitive.TimbreClustering(
        signal, num_sources=n_sources, n_components=10 * n_sources, mask_type="soft")
    estimates = separator()
    out = np.zeros((n_sources, *mixture.shape), dtype=np.float32)
    for j, estimate in enumerate(estimates):
        audio = np.asarray(estimate.audio_data, dtype=np.float32)
        n = min(audio.shape[-1], mixture.shape[-1])
        out[j, :, :n] = audio[..., :n]
    return out
