"""Bytes autograd saves for backward during one training forward pass (what a step holds at its peak, less
the gradients in flight), measured with torch.autograd.graph.saved_tensors_hooks: each saved tensor's
storage counted once. main/train/torchMemoryEstimate.ts is calibrated against it per precision
(test/compute/torchSavedBytes.test.ts).

usage: python3 -m segnas_torch.saved < [{"spec": {...}, "classes": K, "size": S, "batch": B,
       "precision": "fp32"|"bf16", "dropout": 0.1}, ...]   → one JSON list of {"savedBytes": N}
"""
from __future__ import annotations

import json
import sys

import torch

from .loss import supervised_loss
from .network import SegNet
from .trainer import autocast_context


def saved_bytes(spec: dict, classes: int, size: int, batch: int, precision: str, dropout: float) -> int:
    torch.manual_seed(1)
    net = SegNet(spec, {"classes": classes, "size": size, "inChannels": 1, "dropout": dropout, "seed": 1}).train()
    x = torch.randn(batch, 1, size, size, size)
    y = torch.randint(0, classes, (batch, size, size, size))
    weights = torch.ones(classes)
    params = {p.data_ptr() for p in net.parameters()}
    seen = {}

    def pack(t: torch.Tensor):
        storage = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
        ptr = storage.data_ptr()
        # Parameters (and their bf16 casts are new tensors, counted) are not activations.
        if ptr not in params and ptr not in seen:
            seen[ptr] = storage.nbytes() if hasattr(storage, "nbytes") else storage.size() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with autocast_context(torch.device("cpu"), precision):
            probs, aux = net(x)
        loss = supervised_loss(probs, aux, y, weights)
    del loss
    return sum(seen.values())


def main() -> None:
    out = []
    for q in json.load(sys.stdin):
        out.append({"savedBytes": saved_bytes(q["spec"], q["classes"], q["size"], q["batch"], q["precision"],
                                              q.get("dropout", 0.1))})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
