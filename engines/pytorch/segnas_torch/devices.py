"""What this interpreter's torch can train on: used by the trainer's `ready` message and by
`python -m segnas_torch.probe` (what `segnas devices` runs)."""
from __future__ import annotations

import os
import platform
from typing import List

import torch


def _host_memory() -> tuple:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        return total, free
    except (ValueError, OSError, AttributeError):
        return None, None


def mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def list_devices(kind: str) -> List[dict]:
    if kind == "cuda":
        out = []
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            try:
                free, total = torch.cuda.mem_get_info(i)
            except Exception:
                free, total = None, props.total_memory
            out.append({"name": props.name, "index": i, "totalBytes": total, "freeBytes": free,
                        "computeCapability": f"{props.major}.{props.minor}"})
        return out
    total, free = _host_memory()
    name = "Apple GPU (MPS)" if kind == "mps" else (platform.processor() or platform.machine() or "CPU")
    return [{"name": name, "index": 0, "totalBytes": total, "freeBytes": free, "computeCapability": None}]


def choose_device(requested: str) -> torch.device:
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"--device cuda: torch {torch.__version__} sees no CUDA device "
                           f"(built with CUDA {torch.version.cuda}); install a CUDA build: pip install torch")
    if requested == "mps" and not mps_available():
        raise RuntimeError(f"--device mps: torch {torch.__version__} has no usable MPS device")
    return torch.device(requested)


def choose_precision(requested: str, device: torch.device) -> str:
    if requested != "auto":
        if requested in ("bf16", "fp16") and device.type == "cpu" and requested == "fp16":
            raise RuntimeError("--precision fp16 needs a GPU; use fp32 or bf16 on the CPU")
        return requested
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def configure_cuda(device: torch.device, tf32: bool, memory_fraction=None) -> None:
    """The one precision policy of the trainer and the bench (docs/engines.md): cuDNN autotuning on; TF32
    tensor cores allowed for fp32 unless switched off (under bf16/fp16 autocast the flag only affects the
    ops autocast leaves in fp32); with several trainers on one GPU, each capped at its share of memory."""
    if device.type != "cuda":
        return
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if memory_fraction is not None:
        if not 0 < memory_fraction <= 1:
            raise ValueError(f"--memory-fraction must be in (0, 1], got {memory_fraction}")
        # torch wants an index: a bare "cuda" (what the trainer is given) is refused since torch 2.x.
        index = device.index if device.index is not None else torch.cuda.current_device()
        torch.cuda.set_per_process_memory_fraction(memory_fraction, index)
