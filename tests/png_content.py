"""Look inside a PNG chart: its size and which colours it paints (not just its magic bytes)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.image import imread


def pixels(png: bytes) -> np.ndarray:
    """Height x width x RGB as integers 0-255 (alpha dropped)."""
    image = imread(io.BytesIO(png), format="png")
    return np.rint(np.asarray(image)[..., :3] * 255).astype(int)


def colour_count(png: bytes, rgb: tuple[int, int, int]) -> int:
    """How many pixels are exactly this colour."""
    return int(np.all(pixels(png) == np.array(rgb), axis=-1).sum())


def hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)
