"""Model folders in the TensorFlow.js engine's format (main/train/modelIO.ts): model.json (spec, network
options, preprocessing, labels, extra, weightsManifest) + weights.bin (every variable, batch-norm
statistics included, little-endian float32, in that engine's order and channels-last layout). So a
folder written here loads in either engine. `engine` names the engine (and torch version) that made it."""
from __future__ import annotations

import json
import os
import warnings
from typing import Optional

import torch

from . import ENGINE
from .network import SegNet
from .volumes import tensor_bytes

MODEL_FORMAT = "segnas-model"
MODEL_FORMAT_VERSION = 1


def save_model(directory: str, net: SegNet, meta: dict, onnx: bool = False) -> dict:
    labels = meta["labels"]
    if len(labels["values"]) != net.options["classes"]:
        raise ValueError(f"save model: the label map has {len(labels['values'])} classes, the network {net.options['classes']}.")
    weights = []
    chunks = []
    for i, (name, tensor) in enumerate(net.ts_variables()):
        t = tensor.detach().float().cpu().contiguous()
        weights.append({"name": f"{i}:{name}", "shape": list(t.shape), "dtype": "float32"})
        chunks.append(t.reshape(-1))
    flat = torch.cat(chunks)
    model = {
        "format": MODEL_FORMAT,
        "formatVersion": MODEL_FORMAT_VERSION,
        "engine": {"name": ENGINE, "version": torch.__version__},
        "spec": net.spec,
        "network": net.options,
        "preprocessing": meta["preprocessing"],
        "labels": labels,
        **({"extra": meta["extra"]} if meta.get("extra") is not None else {}),
        "weightsManifest": [{"paths": ["weights.bin"], "weights": weights}],
    }
    os.makedirs(directory, exist_ok=True)
    if onnx:
        export_onnx(directory, net)
    # model.json last: a folder with a model.json is complete (as the TensorFlow.js engine writes it).
    with open(os.path.join(directory, "weights.bin"), "wb") as f:
        f.write(tensor_bytes(flat))
    with open(os.path.join(directory, "model.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(model, indent=2) + "\n")
    return model


def export_onnx(directory: str, net: SegNet) -> Optional[str]:
    """model.onnx for use outside the app (final softmax only), when torch.onnx can write it."""
    path = os.path.join(directory, "model.onnx")
    s, cin = net.options["size"], net.options["inChannels"]
    was_training = net.training
    net.eval()

    class Final(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)[0]

    try:
        # torch.onnx's tracer warnings (shape inference of constants) say nothing a user can act on.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The contract of both engines (docs/engines.md): image [N, C, D, H, W] -> probabilities
            # [N, K, D, H, W], batch and sides free (each side a multiple of 2^p), opset 13.
            free = {0: "N", 2: "D", 3: "H", 4: "W"}
            torch.onnx.export(Final(net).cpu(), torch.zeros(1, cin, s, s, s), path, input_names=["image"],
                              output_names=["probabilities"], opset_version=13,
                              dynamic_axes={"image": free, "probabilities": free}, **torchscript_exporter())
        return path
    except Exception as e:  # optional output: the folder is complete without it
        print(f"model.onnx not written: {e}", flush=True, file=__import__("sys").stderr)
        return None
    finally:
        net.train(was_training)


def torchscript_exporter() -> dict:
    """The exporter chosen explicitly: torch >= 2.5 has a `dynamo` switch whose default moves to the new
    exporter; ours is the TorchScript one, which every torch we support has."""
    import inspect

    return {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


def load_model(directory: str, device: torch.device) -> SegNet:
    file = os.path.join(directory, "model.json")
    try:
        with open(file, encoding="utf-8") as f:
            model = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{file}: not found; the model must be a folder written by a SegNAS export (model.json + weights.bin).")
    if model.get("format") != MODEL_FORMAT:
        raise ValueError(f"{file}: 'format' is {model.get('format')}, expected '{MODEL_FORMAT}'.")
    if model.get("formatVersion", 0) > MODEL_FORMAT_VERSION:
        raise ValueError(f"{file}: formatVersion {model['formatVersion']} is newer than this program reads ({MODEL_FORMAT_VERSION}).")
    entries = [w for g in model["weightsManifest"] for w in g["weights"]]
    data = b"".join(open(os.path.join(directory, p), "rb").read() for g in model["weightsManifest"] for p in g["paths"])
    values = torch.frombuffer(bytearray(data), dtype=torch.float32) if data else torch.zeros(0)
    net = SegNet(model["spec"], model["network"])
    targets = net.ts_targets()
    if len(targets) != len(entries):
        raise ValueError(f"{file}: lists {len(entries)} weights, the rebuilt network has {len(targets)}.")
    at = 0
    with torch.no_grad():
        for (name, view), target, entry in zip(net.ts_variables(), targets, entries):
            if list(view.shape) != list(entry["shape"]):
                raise ValueError(f"{file}: weight {entry['name']} has shape {entry['shape']}, the network expects {list(view.shape)}.")
            n = view.numel()
            chunk = values[at:at + n].reshape(view.shape)
            if target.dim() == 5:  # channels-last [kd, kh, kw, cin, cout] -> [cout, cin, kd, kh, kw]
                chunk = chunk.permute(4, 3, 0, 1, 2)
            target.copy_(chunk)
            at += n
    if at != values.numel():
        raise ValueError(f"{os.path.join(directory, 'weights.bin')}: holds {values.numel()} floats, model.json lists {at}.")
    return net.to(device).eval()
