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


def draw_transform(config: dict, size: int, rng: random.Random) -> Optional[Transform]:
    if rng.random() >= config["probability"]:
        return None
    r = config["rotationDeg"] * math.pi / 180
    s = config["shiftFraction"] * size
    lo, hi = config["scaleRange"]
    angle = rng.uniform(-r, r)
    shift = (rng.uniform(-s, s), rng.uniform(-s, s), rng.uniform(-s, s))
    return angle, shift, rng.uniform(lo, hi)


def theta_of(t: Transform, size: int) -> List[List[float]]:
    """The 3x4 matrix affine_grid wants: normalised output (x, y, z) -> normalised source (x, y, z)."""
    angle, (tx, ty, tz), s = t
    c = (size - 1) / 2
    cos, sin = math.cos(angle), math.sin(angle)
    # source = R^-1 (n / s - t / (s c)), with R^-1 = [[cos, sin], [-sin, cos]] in the x-y plane
    ux, uy, uz = tx / (s * c), ty / (s * c), tz / (s * c)
    return [
        [cos / s, sin / s, 0.0, -(cos * ux + sin * uy)],
        [-sin / s, cos / s, 0.0, -(-sin * ux + cos * uy)],
        [0.0, 0.0, 1.0 / s, -uz],
    ]


def augment_batch(images: torch.Tensor, labels: torch.Tensor, transforms: List[Optional[Transform]]) -> Tuple[torch.Tensor, torch.Tensor]:
    """images [B, C, S, S, S] float, labels [B, S, S, S] (uint8 or int64, kept); one transform (or None) per sample."""
    chosen = [i for i, t in enumerate(transforms) if t is not None]
    if not chosen:
        return images, labels
    size = images.shape[-1]
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
