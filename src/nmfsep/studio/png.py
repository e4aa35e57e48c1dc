"""Pictures without matplotlib: a small colormap and a PNG writer (zlib only).

The studio draws the mixture's spectrogram on the server; this module turns an
array of levels in ``[0, 1]`` into the bytes of an RGB PNG file.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["COLORMAP", "colorize", "png_bytes"]

#: Anchor colours from dark (0) to bright (1), perceptually ordered (after
#: matplotlib's "magma"); :func:`colorize` interpolates linearly between them.
COLORMAP = np.array([
    (0, 0, 4), (28, 16, 68), (79, 18, 123), (129, 37, 129), (181, 54, 122),
    (229, 80, 100), (251, 135, 97), (254, 194, 135), (252, 253, 191),
], dtype=np.float64)

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def colorize(levels: np.ndarray, colormap: np.ndarray = COLORMAP) -> np.ndarray:
    """Map levels to colours.

    Parameters
    ----------
    levels : np.ndarray, shape=(height, width)
        Values in ``[0, 1]`` (clipped); NaN is drawn as 0.
    colormap : np.ndarray, shape=(n_anchors, 3)
        RGB anchors in 0..255, at evenly spaced levels.

    Returns
    -------
    np.ndarray, shape=(height, width, 3), uint8
    """
    levels = np.clip(np.nan_to_num(np.asarray(levels, dtype=np.float64)), 0.0, 1.0)
    position = levels * (len(colormap) - 1)
    lower = np.minimum(position.astype(int), len(colormap) - 2)
    weight = (position - lower)[..., np.newaxis]
    rgb = colormap[lower] * (1 - weight) + colormap[lower + 1] * weight
    return np.rint(rgb).astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bytes(rgb: np.ndarray, *, level: int = 6) -> bytes:
    """Encode an RGB image as a PNG file (8 bits per channel, no filter, no interlace).

    Parameters
    ----------
    rgb : np.ndarray, shape=(height, width, 3), uint8
    level : int
        zlib compression level.

    Returns
    -------
    bytes
        A complete PNG file.
    """
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise ValueError(f"expected an RGB image of shape (height, width, 3), got {rgb.shape}")
    height, width = rgb.shape[:2]
    rows = np.concatenate([np.zeros((height, 1), np.uint8), rgb.reshape(height, 3 * width)],
                          axis=1)  # filter type 0 (None) before every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + _chunk(b"IEND", b""))
