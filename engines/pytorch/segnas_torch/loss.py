"""Exponential logarithmic loss (Wong et al. 2018) exactly as main/train/expLogLoss.ts:

    L = 0.8 * mean_i (-ln Dice_i)^0.3 + 0.2 * mean_x w_l(x) * (-ln p_l(x)(x))^0.3

Dice_i soft, over the whole batch, Laplace smoothing 1; p clamped to [1e-7, 1] before the log; -ln Dice
and -ln p clamped to >= 1e-6 before the power. Labels are class indices (no one-hot tensor is built)."""
from __future__ import annotations

import math
from typing import List, Sequence

import torch

GAMMA, W_DICE, W_CROSS = 0.3, 0.8, 0.2
MIN_NEG_LOG = 1e-6
MIN_PROB = 1e-7


def label_weights_from_counts(counts: Sequence[int]) -> List[float]:
    total = sum(counts)
    if total <= 0:
        raise ValueError("label weights: the training labels contain no voxels.")
    return [math.sqrt(total / max(c, 1)) for c in counts]


def exp_log_loss(probs: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """probs [B, K, D, H, W] (softmax), labels [B, D, H, W] int64, weights [K] -> scalar."""
    k = probs.shape[1]
    probs = probs.float()
    flat_lab = labels.reshape(-1)
    p_true = probs.gather(1, labels.unsqueeze(1)).reshape(-1)
    intersection = torch.zeros(k, device=probs.device, dtype=probs.dtype).scatter_add(0, flat_lab, p_true)
    # Not torch.bincount: on CUDA it reads the largest label back to the host to size its output, a
    # device→host sync per head per step; the class count is known.
    truth = torch.zeros(k, device=probs.device, dtype=probs.dtype).scatter_add_(0, flat_lab, torch.ones_like(p_true))
    denom = probs.sum(dim=(0, 2, 3, 4)) + truth
    dice = (2 * intersection + 1) / (denom + 1)
    dice_term = (-torch.log(dice)).clamp_min(MIN_NEG_LOG).pow(GAMMA).mean()
    neg_log = -torch.log(p_true.clamp(MIN_PROB, 1.0))
    cross_term = (weights[flat_lab] * neg_log.clamp_min(MIN_NEG_LOG).pow(GAMMA)).mean()
    return W_DICE * dice_term + W_CROSS * cross_term


def supervised_loss(probs: torch.Tensor, aux: Sequence[torch.Tensor], labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Final head plus every deep-supervision head, each weighted 1."""
    total = exp_log_loss(probs, labels, weights)
    for head in aux:
        total = total + exp_log_loss(head, labels, weights)
    return total
