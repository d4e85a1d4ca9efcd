"""Protocol volume files: raw little-endian float32 images (.f32) and uint8 class maps (.u8) of S^3 values,
x fastest then y then z, i.e. a row-major [z, y, x] = [D, H, W] array; an image of C input channels holds
C * S^3 values channel after channel, i.e. [C, D, H, W]."""
from __future__ import annotations

import array
import sys

import torch


def _read(path: str, count: int, itemsize: int, what: str) -> bytearray:
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if len(data) != count * itemsize:
        raise ValueError(f"{path}: {len(data)} bytes, expected {count * itemsize} ({what}).")
    return data


def _grid(size: int, shape=None):
    """(x, y, z) and its description: the native protocol's per-case shape, else the S^3 cube."""
    if shape:
        return tuple(shape), "x".join(str(n) for n in shape)
    return (size, size, size), f"{size}^3"


def read_image(path: str, size: int, channels: int = 1, shape=None) -> torch.Tensor:
    """[C, Z, Y, X] float32 (Z = Y = X = S without `shape`)."""
    (x, y, z), grid = _grid(size, shape)
    what = f"float32 {channels}x{grid}" if channels > 1 else f"float32 {grid}"
    data = _read(path, channels * x * y * z, 4, what)
    t = torch.frombuffer(data, dtype=torch.float32)
    if sys.byteorder != "little":
        raise RuntimeError("protocol volumes are little-endian; this machine is big-endian.")
    return t.reshape(channels, z, y, x).clone()


def read_label(path: str, size: int, shape=None) -> torch.Tensor:
    (x, y, z), grid = _grid(size, shape)
    data = _read(path, x * y * z, 1, f"uint8 {grid}")
    return torch.frombuffer(data, dtype=torch.uint8).reshape(z, y, x).clone()


def write_label(path: str, classes: torch.Tensor) -> None:
    with open(path, "wb") as f:
        f.write(tensor_bytes(classes.to(torch.uint8)))


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The raw bytes of a tensor (native = little-endian order); numpy when torch has it, else array."""
    t = t.detach().cpu().contiguous().reshape(-1)
    try:
        return t.numpy().tobytes()
    except (RuntimeError, TypeError, ImportError):
        code = {torch.float32: "f", torch.uint8: "B"}[t.dtype]
        return array.array(code, t.tolist()).tobytes()
