"""Random training patches of the native protocol, the same draws as main/train/patchSampler.ts (which documents
the rule): of a batch of B the last round(B * f) elements (rounded half up) are centred on a voxel of a random
foreground class present, the others lie uniformly; a case smaller than the patch is padded (image 0, label 0).
Shapes are (x, y, z); tensors are [C, Z, Y, X] images and [Z, Y, X] labels."""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch

from .prng import Prng

Side3 = Tuple[int, int, int]


class CaseForeground:
    """The foreground classes of a case (ascending) and, per class, its voxels' flat indices (x fastest)."""

    def __init__(self, label: torch.Tensor):
        flat = label.reshape(-1)
        present = torch.unique(flat[flat > 0]).tolist() if flat.numel() else []
        self.classes: List[int] = [int(c) for c in present]
        self.voxels: List[torch.Tensor] = [torch.nonzero(flat == c).reshape(-1).cpu() for c in self.classes]


def forced_foreground(index: int, batch: int, fraction: float) -> bool:
    return index >= math.floor(batch * (1 - fraction) + 0.5)


def patch_origin(shape: Side3, patch: Side3, foreground: Optional[CaseForeground], rng: Prng) -> Side3:
    lo = [min(0, n - p) for n, p in zip(shape, patch)]
    hi = [max(0, n - p) for n, p in zip(shape, patch)]
    if foreground is not None and foreground.classes:
        voxels = foreground.voxels[rng.int(len(foreground.classes))]
        v = int(voxels[rng.int(voxels.numel())])
        centre = [v % shape[0], (v // shape[0]) % shape[1], v // (shape[0] * shape[1])]
        return tuple(min(hi[a], max(lo[a], centre[a] - patch[a] // 2)) for a in range(3))
    return tuple(lo[a] + rng.int(hi[a] - lo[a] + 1) for a in range(3))


def crop_patch(volume: torch.Tensor, origin: Side3, patch: Side3) -> torch.Tensor:
    """The [..., pz, py, px] patch at origin (x, y, z) of a [..., Z, Y, X] volume; outside it: 0."""
    out = volume.new_zeros(volume.shape[:-3] + (patch[2], patch[1], patch[0]))
    src, dst = [], []
    # axes of the tensor from the last: x, y, z
    for a in range(3):
        n = volume.shape[-1 - a]
        first, last = max(0, origin[a]), min(n, origin[a] + patch[a])
        if last <= first:
            return out
        src.append(slice(first, last))
        dst.append(slice(first - origin[a], last - origin[a]))
    out[..., dst[2], dst[1], dst[0]] = volume[..., src[2], src[1], src[0]]
    return out
