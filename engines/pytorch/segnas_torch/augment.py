"""Augmentation on the device, with the distributions of main/train/augment.ts: each sample with
probability 0.8 is rotated about the axial (z) axis by U(-30, 30) degrees, shifted along x, y, z by
U(-20 %, 20 %) of the side and scaled by U(0.8, 1.2), about the volume centre c = (S-1)/2. Output voxel p
samples the source at R^-1((p - c - t)/s) + c: images trilinearly, labels nearest, outside = 0.

One affine_grid + grid_sample for the whole batch (align_corners=True makes voxel i sit at normalised
(i - c)/c). Samples without a transform are copied through untouched."""
from __future__ import annotations

import math
import random
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F

Transform = Tuple[float, Tuple[float, float, float], float]  # angle (rad), shift (x, y, z voxels), scale


def _sides(size) -> Tuple[int, int, int]:
    """A cube's side S, or a native patch's (x, y, z)."""
    return (size, size, size) if isinstance(size, int) else tuple(size)


def draw_transform(config: dict, size, rng: random.Random) -> Optional[Transform]:
    if rng.random() >= config["probability"]:
        return None
    r = config["rotationDeg"] * math.pi / 180
    sx, sy, sz = (config["shiftFraction"] * n for n in _sides(size))
    lo, hi = config["scaleRange"]
    angle = rng.uniform(-r, r)
    shift = (rng.uniform(-sx, sx), rng.uniform(-sy, sy), rng.uniform(-sz, sz))
    return angle, shift, rng.uniform(lo, hi)


def theta_of(t: Transform, size) -> List[List[float]]:
    """The 3x4 matrix affine_grid wants: normalised output (x, y, z) -> normalised source (x, y, z). `size`: the
    cube's side, or a box's (x, y, z), whose axes each have their own centre."""
    angle, (tx, ty, tz), s = t
    nx, ny, nz = _sides(size)
    if nx == ny == nz:
        c = (nx - 1) / 2
        cos, sin = math.cos(angle), math.sin(angle)
        # source = R^-1 (n / s - t / (s c)), with R^-1 = [[cos, sin], [-sin, cos]] in the x-y plane
        ux, uy, uz = tx / (s * c), ty / (s * c), tz / (s * c)
        return [
            [cos / s, sin / s, 0.0, -(cos * ux + sin * uy)],
            [-sin / s, cos / s, 0.0, -(-sin * ux + cos * uy)],
            [0.0, 0.0, 1.0 / s, -uz],
        ]
    cx, cy, cz = (nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2
    cos, sin = math.cos(angle), math.sin(angle)
    # voxel = n * c + c per axis; source - c = R^-1 (voxel - c - t) / s; normalised back by each axis' own c
    return [
        [cos / s, sin * cy / (cx * s), 0.0, -(cos * tx + sin * ty) / (s * cx)],
        [-sin * cx / (cy * s), cos / s, 0.0, -(-sin * tx + cos * ty) / (s * cy)],
        [0.0, 0.0, 1.0 / s, -tz / (s * cz)],
    ]


def augment_batch(images: torch.Tensor, labels: torch.Tensor, transforms: List[Optional[Transform]]) -> Tuple[torch.Tensor, torch.Tensor]:
    """images [B, C, Z, Y, X] float, labels [B, Z, Y, X] (uint8 or int64, kept); one transform (or None) per sample."""
    chosen = [i for i, t in enumerate(transforms) if t is not None]
    if not chosen:
        return images, labels
    size = (images.shape[-1], images.shape[-2], images.shape[-3])
    theta = torch.tensor([theta_of(transforms[i], size) for i in chosen], dtype=torch.float32, device=images.device)
    idx = torch.tensor(chosen, device=images.device)
    sub_img = images.index_select(0, idx).float()
    grid = F.affine_grid(theta, list(sub_img.shape), align_corners=True)
    new_img = F.grid_sample(sub_img, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    sub_lab = labels.index_select(0, idx).unsqueeze(1).float()
    new_lab = F.grid_sample(sub_lab, grid, mode="nearest", padding_mode="zeros", align_corners=True)
    images = images.clone()
    labels = labels.clone()
    images[idx] = new_img.to(images.dtype)
    labels[idx] = new_lab.squeeze(1).round().to(labels.dtype)
    return images, labels
