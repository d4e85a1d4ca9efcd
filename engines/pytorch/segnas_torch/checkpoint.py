"""Epoch checkpoints of the PyTorch trainer, as main/train/checkpoint.ts: after every epoch the training's
whole state goes to one file, `<dir>/torch-checkpoint.pt`, written to a temporary file and renamed over the
old one (a reader sees the previous checkpoint or the new one, never a mix). A job that finds a checkpoint
of the same training goes on from it and ends with the weights of an uninterrupted training (within 1e-6
on the CPU; docs/training.md, "Epoch checkpoints").

Contents (torch.save of a dict): format, engine, fingerprint, epoch, history, best {dice, epoch, per_label,
state}, net (state_dict on the CPU), optimizer {iterations, m_schedule, m, v}, rng {python, torch, cuda, patch},
scaler (fp16 on CUDA)."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Optional

import torch

CHECKPOINT_FILE = "torch-checkpoint.pt"
FORMAT = 1


def training_fingerprint(job: dict) -> str:
    """Everything that decides a training's numbers (architecture, network, training settings, the cases),
    nothing that does not (the job id, the export folder): a checkpoint of another training is never used."""
    canonical = json.dumps([job["spec"], job["network"], job["training"], job["data"], job.get("native")],
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _cpu(tensors):
    return [t.detach().to("cpu", copy=True) for t in tensors]


def write_checkpoint(directory: str, fingerprint: str, *, epoch: int, history: list, best: Optional[dict],
                     net, optimizer, rng, device: torch.device, scaler=None, patch_rng=None) -> None:
    os.makedirs(directory, exist_ok=True)
    state = {
        "format": FORMAT,
        "engine": "pytorch",
        "fingerprint": fingerprint,
        "epoch": epoch,
        "history": history,
        "best": best,
        "net": {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()},
        "optimizer": {"iterations": optimizer.iterations, "m_schedule": optimizer.m_schedule,
                      "m": _cpu(optimizer.m), "v": _cpu(optimizer.v)},
        "rng": {"python": rng.getstate(), "torch": torch.get_rng_state(),
                "patch": list(patch_rng._s) if patch_rng is not None else None,
                "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None},
        "scaler": scaler.state_dict() if scaler is not None else None,
    }
    path = os.path.join(directory, CHECKPOINT_FILE)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_checkpoint(directory: str, fingerprint: str) -> Optional[dict]:
    """The checkpoint of this training, or None (none there; another training's or a damaged one, which
    is said on stderr): the training then starts at epoch 1."""
    path = os.path.join(directory, CHECKPOINT_FILE)
    if not os.path.exists(path):
        return None
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except TypeError:  # torch before 1.13 has no weights_only
            state = torch.load(path, map_location="cpu")
    except Exception as e:  # a truncated or foreign file must not end the job
        print(f"trainer: {path}: not a readable checkpoint ({type(e).__name__}: {e}); training from epoch 1",
              file=sys.stderr)
        return None
    if not isinstance(state, dict) or state.get("format") != FORMAT or state.get("engine") != "pytorch":
        print(f"trainer: {path}: not a SegNAS PyTorch checkpoint; training from epoch 1", file=sys.stderr)
        return None
    if state.get("fingerprint") != fingerprint:
        print(f"trainer: {path}: it belongs to another training; training from epoch 1", file=sys.stderr)
        return None
    return state


def restore_checkpoint(state: dict, *, net, optimizer, rng, device: torch.device, scaler=None,
                       patch_rng=None) -> None:
    """Puts the saved state back: weights and batch-norm statistics, Nadam's step, Pi_t and slots, the
    shuffle/augmentation generator and torch's generator (dropout)."""
    net.load_state_dict(state["net"])
    opt = state["optimizer"]
    if len(opt["m"]) != len(optimizer.m):
        raise ValueError(f"the checkpoint holds {len(opt['m'])} optimizer slots, the network has {len(optimizer.m)}")
    with torch.no_grad():
        for mine, saved in zip(optimizer.m + optimizer.v, opt["m"] + opt["v"]):
            mine.copy_(saved)
    optimizer.iterations = opt["iterations"]
    optimizer.m_schedule = opt["m_schedule"]
    rng.setstate(state["rng"]["python"])
    if patch_rng is not None and state["rng"].get("patch") is not None:
        patch_rng._s = list(state["rng"]["patch"])
    torch.set_rng_state(state["rng"]["torch"])
    if device.type == "cuda" and state["rng"].get("cuda") is not None:
        torch.cuda.set_rng_state(state["rng"]["cuda"], device)
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])


def remove_checkpoint(directory: str) -> None:
    try:
        os.remove(os.path.join(directory, CHECKPOINT_FILE))
    except FileNotFoundError:
        pass
