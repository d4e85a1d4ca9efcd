"""Training-step benchmark of this engine (what `npm run bench:train -- --engine pytorch` runs): the real
step of trainer.py (device augmentation, forward, exponential logarithmic loss, backward, Keras Nadam) on
random data, and optionally a plain PyTorch step of the same network for comparison: the same
convolutions with torch's own nn.BatchNorm3d + ReLU in place of ours, torch.optim.NAdam, cross-entropy and
no augmentation, so the ratio of the two isolates what our step adds. Both use the trainer's precision
policy (devices.configure_cuda: TF32 for fp32 unless --no-tf32). Prints one JSON object per configuration.

usage: python3 -m segnas_torch.bench [--device cpu|cuda|mps] [--size 32] [--batch 1] [--steps 5]
       [--precision fp32|bf16|fp16] [--spec JSON] [--classes 4] [--plain] [--compile] [--no-tf32]
       [--channels-last]
"""
from __future__ import annotations

import argparse
import json
import random
import time
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

from .augment import augment_batch, draw_transform
from .devices import choose_device, choose_precision, configure_cuda
from .loss import supervised_loss
from .nadam import Nadam
from .network import BN_EPSILON, BN_MOMENTUM, ConvBNReLU, SegNet
from .trainer import autocast_context, grad_scaler

REFERENCE = {"n": 8, "p": 3, "sup": False, "res": False, "block": {"nodes": 3, "ops": [2, 0, 2]}, "extras": {}}
AUGMENT = {"probability": 0.8, "rotationDeg": 30, "shiftFraction": 0.2, "scaleRange": [0.8, 1.2]}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def plain_batch_norm(net: SegNet) -> None:
    """Swaps our batch norm (Keras' moving-variance convention, the one-value-per-channel case) for torch's
    nn.BatchNorm3d + in-place ReLU, keeping the convolutions."""
    for m in net.modules():
        if isinstance(m, ConvBNReLU):
            m.bn = nn.BatchNorm3d(m.gamma.numel(), eps=BN_EPSILON, momentum=1 - BN_MOMENTUM, device=m.gamma.device)
            m.forward = types.MethodType(lambda self, x: F.relu(self.bn(self.conv(x)), inplace=True), m)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python3 -m segnas_torch.bench")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--spec", default=json.dumps(REFERENCE))
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--plain", action="store_true", help="time a plain PyTorch step of the same network instead")
    ap.add_argument("--compile", action="store_true", help="torch.compile the network (torch >= 2)")
    ap.add_argument("--tf32", action=argparse.BooleanOptionalAction, default=True,
                    help="fp32 on CUDA: allow TF32 tensor cores (default on, as the trainer)")
    ap.add_argument("--channels-last", action="store_true", help="channels_last_3d activations (CUDA)")
    a = ap.parse_args()
    device = choose_device(a.device)
    precision = choose_precision(a.precision, device)
    configure_cuda(device, a.tf32)
    spec = json.loads(a.spec)
    s, b, k = a.size, a.batch, a.classes
    torch.manual_seed(1)
    net = SegNet(spec, {"classes": k, "size": s, "inChannels": 1, "dropout": a.dropout, "seed": 1}).to(device).train()
    if a.plain:
        plain_batch_norm(net)
        net.to(device)
    fmt = torch.channels_last_3d if a.channels_last else torch.contiguous_format
    net = net.to(memory_format=fmt)
    model = torch.compile(net) if a.compile and hasattr(torch, "compile") else net
    x = torch.randn(b, 1, s, s, s, device=device).contiguous(memory_format=fmt)
    y = torch.randint(0, k, (b, s, s, s), device=device, dtype=torch.uint8)
    weights = torch.ones(k, device=device)
    rng = random.Random(1)
    if a.plain:
        opt = torch.optim.NAdam(net.parameters(), lr=1e-3, eps=1e-7)

        def step() -> None:
            opt.zero_grad(set_to_none=True)
            with autocast_context(device, precision):
                probs, aux = model(x)
                loss = F.nll_loss(torch.log(probs.float().clamp_min(1e-7)), y.long())
            loss.backward()
            opt.step()
    else:
        nadam = Nadam(net.parameters(), lr=1e-3)
        scaler = grad_scaler(device, precision)

        def step() -> None:
            xa, ya = augment_batch(x, y, [draw_transform(AUGMENT, s, rng) for _ in range(b)])
            xa, ya = xa.contiguous(memory_format=fmt), ya.long()
            nadam.zero_grad()
            with autocast_context(device, precision):
                probs, aux = model(xa)
            loss = supervised_loss(probs, aux, ya, weights)
            (scaler.scale(loss) if scaler is not None else loss).backward()
            nadam.step()

    t_compile = time.perf_counter()
    step()  # warm-up: cudnn autotuning, allocator, compilation
    step()
    sync(device)
    warmup_s = time.perf_counter() - t_compile
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        sync(device)
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        "engine": "pytorch" + (" (plain step)" if a.plain else ""),
        "torch": torch.__version__,
        "device": device.type,
        "deviceName": torch.cuda.get_device_name(0) if device.type == "cuda" else device.type,
        "threads": torch.get_num_threads(),
        "precision": precision,
        "compiled": bool(a.compile and hasattr(torch, "compile")),
        "tf32": bool(a.tf32 and device.type == "cuda" and precision == "fp32"),
        "channelsLast": bool(a.channels_last),
        "size": s,
        "batch": b,
        "classes": k,
        "spec": spec,
        "msPerStep": sum(times) / len(times),
        "msPerStepMin": min(times),
        "warmupS": warmup_s,
        "peakMB": torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None,
        "params": net.param_count(),
    }))


if __name__ == "__main__":
    main()
