"""One candidate's training (paper section 2.4), as main/train/trainer.ts: Nadam, exponential logarithmic
loss (final + deep-supervision heads), augmentation, validation after every epoch in inference mode, the
best epoch (highest validation Dice, first on ties) kept with a host copy of its weights. A job without
validation cases (the final training of a winner) keeps its last epoch; `training.schedule` "poly" decays
the learning rate as main/train/schedule.ts does.

Speed: the volumes are moved to the device once; augmentation runs batched on the device; the epoch's
loss is summed on the device and read once per epoch; validation reads one Dice vector per case."""
from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import torch

from .augment import augment_batch, draw_transform
from .loss import label_weights_from_counts, supervised_loss
from .memory import CudaPeak, tensors_bytes, traced_peak
from .metrics import mean_foreground_dice, per_label_dice
from .nadam import Nadam
from .network import SegNet
from .volumes import read_image, read_label


POLY_EXPONENT = 0.9


def learning_rate_at(schedule: str, lr0: float, epoch: int, epochs: int) -> float:
    """The rate of 1-based `epoch` of `epochs`: constant, or nnU-Net's lr0 * (1 - e/E)^0.9 (e 0-based)."""
    if schedule == "poly":
        return lr0 * (1 - (epoch - 1) / epochs) ** POLY_EXPONENT
    return lr0


class SimulatedOutOfMemory(RuntimeError):
    """Raised for the job named by $SEGNAS_FAULT_OOM, so the OOM path can be tested on any machine."""


@dataclass
class TrainResult:
    status: str
    best_dice: float
    best_epoch: int
    best_per_label: List[float]
    epochs: int
    seconds: float
    param_count: int
    # Peak tensor bytes of the job on its device (memory.py); None where it cannot be measured.
    peak_bytes: Optional[int] = None
    net: Optional[SegNet] = None
    history: list = field(default_factory=list)


def autocast_context(device: torch.device, precision: str):
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def load_cases(refs: list, size: int, device: torch.device):
    images = torch.stack([read_image(r["image"], size) for r in refs]).to(device)
    labels = torch.stack([read_label(r["label"], size) for r in refs]).to(device)
    return images, labels


def evaluate(net: SegNet, images: torch.Tensor, labels: torch.Tensor, precision: str) -> List[float]:
    classes = net.options["classes"]
    net.eval()
    total = torch.zeros(classes, dtype=torch.float64, device=images.device)
    with torch.no_grad(), autocast_context(images.device, precision):
        for i in range(images.shape[0]):
            probs, _ = net(images[i:i + 1])
            total += per_label_dice(probs.argmax(1), labels[i:i + 1], classes)
    net.train()
    return (total / images.shape[0]).tolist()


def train_candidate(job: dict, device: torch.device, precision: str, cancel: threading.Event,
                    on_epoch: Callable[[dict], None]) -> TrainResult:
    start = time.perf_counter()
    size, classes = job["network"]["size"], job["network"]["classes"]
    settings = job["training"]
    if os.environ.get("SEGNAS_FAULT_OOM") == job["id"]:
        raise SimulatedOutOfMemory("CUDA out of memory (simulated by SEGNAS_FAULT_OOM for this job)")
    cuda_peak = CudaPeak(device) if device.type == "cuda" else None
    cpu_peak: Optional[int] = None
    torch.manual_seed(settings["seed"])
    net = SegNet(job["spec"], job["network"]).to(device)
    net.train()
    optimizer = Nadam(net.parameters(), lr=settings["learningRate"])
    scaler = torch.cuda.amp.GradScaler() if precision == "fp16" and device.type == "cuda" else None
    train_img, train_lab = load_cases(job["data"]["train"], size, device)
    validated = len(job["data"]["val"]) > 0
    val_img, val_lab = load_cases(job["data"]["val"], size, device) if validated else (None, None)
    counts = torch.bincount(train_lab.reshape(-1), minlength=classes)
    if counts.numel() > classes:
        raise ValueError(f"training labels hold class {counts.numel() - 1}, outside 0..{classes - 1}.")
    weights = torch.tensor(label_weights_from_counts(counts.tolist()), dtype=torch.float32, device=device)
    rng = random.Random(settings["seed"])
    history = []
    best = None
    status = "done"
    n = train_img.shape[0]
    for epoch in range(1, settings["epochs"] + 1):
        epoch_start = time.perf_counter()
        lr = learning_rate_at(settings.get("schedule", "constant"), settings["learningRate"], epoch,
                              settings["epochs"])
        optimizer.lr = lr
        order = list(range(n))
        rng.shuffle(order)
        loss_sum = torch.zeros((), device=device)
        batches = 0
        for b in range(0, n, settings["batchSize"]):
            if cancel.is_set():
                status = "cancelled"
                break
            idx = order[b:b + settings["batchSize"]]

            def step() -> torch.Tensor:
                index = torch.tensor(idx, device=device)
                x, y = train_img.index_select(0, index), train_lab.index_select(0, index)
                x, y = augment_batch(x, y, [draw_transform(settings["augment"], size, rng) for _ in idx])
                optimizer.zero_grad()
                with autocast_context(device, precision):
                    probs, aux = net(x)
                loss = supervised_loss(probs, aux, y, weights)
                if scaler is not None:
                    # fp16: scale the loss, unscale the gradients before our optimizer, skip steps with inf/nan.
                    scaler.scale(loss).backward()
                    inv = 1.0 / scaler.get_scale()
                    grads = [p.grad for p in optimizer.params if p.grad is not None]
                    finite = all(bool(torch.isfinite(g).all()) for g in grads)
                    if finite:
                        for g in grads:
                            g.mul_(inv)
                        optimizer.step()
                    scaler.update(scaler.get_scale() * (1.0 if finite else 0.5))
                else:
                    loss.backward()
                    optimizer.step()
                return loss.detach().float()

            if device.type == "cpu" and epoch == 1 and b == 0:
                alive = tensors_bytes([t for t in (train_img, train_lab, val_img, val_lab) if t is not None] + [weights, *optimizer.m, *optimizer.v,
                                       *net.parameters(), *net.buffers()])
                loss, step_peak = traced_peak(step)
                if step_peak is not None:
                    # + the best epoch's host copy of the weights, alive from the second epoch on
                    cpu_peak = alive + step_peak + tensors_bytes(net.state_dict().values())
            else:
                loss = step()
            loss_sum += loss
            batches += 1
        if status == "cancelled":
            break
        validation = {}
        if validated:
            per_label = evaluate(net, val_img, val_lab, precision)
            dice = mean_foreground_dice(per_label)
            validation = {"valDice": dice, "valPerLabel": per_label}
            if best is None or dice > best["dice"]:
                best = {"dice": dice, "epoch": epoch, "per_label": per_label,
                        "state": {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}}
        else:
            # Nothing to choose by: the last epoch is the model (the network as it is now).
            best = {"dice": 0.0, "epoch": epoch, "per_label": [], "state": None}
        progress = {
            "epoch": epoch,
            "epochs": settings["epochs"],
            "loss": float(loss_sum.item()) / max(batches, 1),
            **validation,
            "learningRate": lr,
            "bestDice": best["dice"],
            "bestEpoch": best["epoch"],
            "seconds": time.perf_counter() - epoch_start,
        }
        history.append(progress)
        on_epoch(progress)
    result = TrainResult(
        status=status,
        best_dice=best["dice"] if best else 0.0,
        best_epoch=best["epoch"] if best else 0,
        best_per_label=best["per_label"] if best else [],
        epochs=len(history),
        seconds=time.perf_counter() - start,
        param_count=net.param_count(),
        peak_bytes=cuda_peak.peak_bytes() if cuda_peak is not None else cpu_peak,
        history=history,
    )
    if best is not None:
        if best["state"] is not None:
            net.load_state_dict(best["state"])
        result.net = net
    return result
