"""Training-step benchmark of this engine (what `npm run bench:train -- --engine pytorch` runs): the real
step of trainer.py (device augmentation, forward, exponential logarithmic loss, backward, Keras Nadam) on
random data, and optionally a plain PyTorch step of the same network (nn.BatchNorm3d, torch.optim.NAdam,
cross-entropy) for comparison. Prints one JSON object per configuration.

usage: python3 -m segnas_torch.bench [--device cpu|cuda|mps] [--size 32] [--batch 1] [--steps 5]
       [--precision fp32|bf16|fp16] [--spec JSON] [--classes 4] [--plain] [--compile]
"""
from __future__ import annotations

import argparse
import json
import random
import time

import torch
import torch.nn.functional as F

from .augment import augment_batch, draw_transform
from .devices import choose_device, choose_precision
from .loss import supervised_loss
from .nadam import Nadam
from .network import SegNet
from .trainer import autocast_context

REFERENCE = {"n": 8, "p": 3, "sup": False, "res": False, "block": {"nodes": 3, "ops": [2, 0, 2]}, "extras": {}}
AUGMENT = {"probability": 0.8, "rotationDeg": 30, "shiftFraction": 0.2, "scaleRange": [0.8, 1.2]}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


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
    a = ap.parse_args()
    device = choose_device(a.device)
    precision = choose_precision(a.precision, device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    spec = json.loads(a.spec)
    s, b, k = a.size, a.batch, a.classes
    torch.manual_seed(1)
    net = SegNet(spec, {"classes": k, "size": s, "inChannels": 1, "dropout": a.dropout, "seed": 1}).to(device).train()
    model = torch.compile(net) if a.compile and hasattr(torch, "compile") else net
    x = torch.randn(b, 1, s, s, s, device=device)
    y = torch.randint(0, k, (b, s, s, s), device=device)
    weights = torch.ones(k, device=device)
    rng = random.Random(1)
    if a.plain:
        opt = torch.optim.NAdam(net.parameters(), lr=1e-3, eps=1e-7)

        def step() -> None:
            opt.zero_grad(set_to_none=True)
            with autocast_context(device, precision):
                probs, aux = model(x)
                loss = F.nll_loss(torch.log(probs.float().clamp_min(1e-7)), y)
            loss.backward()
            opt.step()
    else:
        nadam = Nadam(net.parameters(), lr=1e-3)

        def step() -> None:
            xa, ya = augment_batch(x, y, [draw_transform(AUGMENT, s, rng) for _ in range(b)])
            nadam.zero_grad()
            with autocast_context(device, precision):
                probs, aux = model(xa)
            supervised_loss(probs, aux, ya, weights).backward()
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
