"""A minimal PNG encoder (RGB, 8-bit): enough for a surface background without an imaging library."""

import hashlib
import struct
import zlib

import numpy as np

from charts.static_files import publish


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(rgb: np.ndarray) -> bytes:
    """``rgb`` is (height, width, 3) uint8, top row first."""
    height, width, _ = rgb.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), rgb.reshape(height, -1)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))


def png_url(rgb: np.ndarray) -> str:
    """The picture as a static file (named by its content hash) and that file's URL."""
    data = encode_png(rgb)
    return publish(f"surfaces/{hashlib.sha1(data).hexdigest()[:24]}.png", data)
