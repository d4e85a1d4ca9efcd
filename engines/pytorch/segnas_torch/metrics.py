"""Hard Dice as main/train/metrics.ts: per label from the argmax, a label absent from both prediction and
truth counts 1; validation Dice = per-label Dice averaged over cases, then the mean over labels 1..K-1."""
from __future__ import annotations

from typing import List, Sequence

import torch


def per_label_dice(pred: torch.Tensor, truth: torch.Tensor, classes: int) -> torch.Tensor:
    pred = pred.reshape(-1)
    truth = truth.reshape(-1)
    pc = torch.bincount(pred, minlength=classes).double()
    tc = torch.bincount(truth, minlength=classes).double()
    inter = torch.bincount(pred[pred == truth], minlength=classes).double()
    denom = pc + tc
    return torch.where(denom == 0, torch.ones_like(denom), 2 * inter / denom.clamp_min(1))


def mean_foreground_dice(per_label: Sequence[float]) -> float:
    if len(per_label) < 2:
        raise ValueError("mean foreground Dice needs at least one foreground label.")
    return sum(per_label[1:]) / (len(per_label) - 1)
