"""Sliding-window inference of the native protocol, as main/train/slidingWindow.ts (which documents the rule):
windows of the patch, at most `overlap` of a patch apart, covering the volume exactly; each window's softmax
(optionally the mean over the 8 axis mirrorings) weighted by a Gaussian importance map (sigma = side / 8, 1 at
voxel floor(p / 2), never 0), summed, divided by the summed weights, argmax. Windows go through the network
`window_batch` at a time; the sums live on the volume's device."""
from __future__ import annotations

import math
from typing import List, Tuple

import torch

from .patches import Side3, crop_patch

MIRRORS = [(), (4,), (3,), (2,), (3, 4), (2, 4), (2, 3), (2, 3, 4)]  # flips of [B, K, D, H, W]


def window_starts(n: int, p: int, overlap: float) -> List[int]:
    if n <= p:
        return [0]
    # At most one window per voxel position: an overlap near 1 must not multiply identical windows.
    count = min(n - p + 1, math.ceil((n - p) / (p * (1 - overlap))) + 1)
    step = (n - p) / (count - 1)
    return [math.floor(step * i + 0.5) for i in range(count)]


def window_origins(shape: Side3, patch: Side3, overlap: float) -> List[Side3]:
    xs, ys, zs = (window_starts(n, p, overlap) for n, p in zip(shape, patch))
    return [(x, y, z) for z in zs for y in ys for x in xs]


def gaussian_importance(patch: Side3) -> torch.Tensor:
    """[pz, py, px] float32."""
    axes = []
    for p in patch:
        sigma, c = p / 8, p // 2
        axes.append(torch.tensor([math.exp(-((i - c) ** 2) / (2 * sigma * sigma)) for i in range(p)], dtype=torch.float64))
    g = (axes[2][:, None, None] * axes[1][None, :, None] * axes[0][None, None, :]).to(torch.float32)
    positive = g[g > 0]
    return torch.where(g > 0, g, positive.min()) if positive.numel() < g.numel() else g


def sliding_window_predict(net, image: torch.Tensor, shape: Side3, patch: Side3, overlap: float, mirror: bool,
                           window_batch: int = 2) -> torch.Tensor:
    """image [C, Z, Y, X] on the network's device -> classes [Z, Y, X] (int64). Call under torch.no_grad()."""
    X, Y, Z = shape
    if tuple(image.shape[1:]) != (Z, Y, X):
        raise ValueError(f"sliding window: the image is {list(image.shape)}, expected [C, {Z}, {Y}, {X}]")
    classes = net.options["classes"]
    device = image.device
    weight = gaussian_importance(patch).to(device)
    sums = torch.zeros((classes, Z, Y, X), dtype=torch.float32, device=device)
    weights = torch.zeros((Z, Y, X), dtype=torch.float32, device=device)
    origins = window_origins(shape, patch, overlap)
    flips = MIRRORS if mirror else [()]
    for first in range(0, len(origins), max(1, window_batch)):
        chunk = origins[first:first + max(1, window_batch)]
        x = torch.stack([crop_patch(image, o, patch) for o in chunk])
        probs = None
        for axes in flips:
            out, _ = net(torch.flip(x, axes) if axes else x)
            # float32 before summing: under bf16/fp16 autocast the network's softmax is low precision
            out = (torch.flip(out, axes) if axes else out).float()
            probs = out if probs is None else probs + out
        probs = probs / len(flips)
        for b, (ox, oy, oz) in enumerate(chunk):
            ex, ey, ez = min(X, ox + patch[0]) - ox, min(Y, oy + patch[1]) - oy, min(Z, oz + patch[2]) - oz
            w = weight[:ez, :ey, :ex]
            sums[:, oz:oz + ez, oy:oy + ey, ox:ox + ex] += probs[b, :, :ez, :ey, :ex] * w
            weights[oz:oz + ez, oy:oy + ey, ox:ox + ex] += w
    return (sums / weights).argmax(0)
