"""Model folders in the TensorFlow.js engine's format (main/train/modelIO.ts): model.json (spec, network
options, preprocessing, labels, extra, weightsManifest) + weights.bin (every variable, batch-norm
statistics included, little-endian float32, in that engine's order and channels-last layout). So a
folder written here loads in either engine. `engine` names the engine (and torch version) that made it."""
from __future__ import annotations

import json
import os
import stat
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
            px, py, pz = net.options.get("patch") or (s, s, s)
            torch.onnx.export(Final(net).cpu(), torch.zeros(1, cin, pz, py, px), path, input_names=["image"],
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


MAX_MODEL_JSON_BYTES = 16 * 2**20
MAX_WEIGHT_BYTES = 4 * 2**30


def weight_files(directory: str, model: dict) -> list:
    """The model folder is closed (as main/train/modelJson.ts checkModelFolder): the manifest's paths are
    relative, stay inside the folder, are existing regular files (no link, device or FIFO) and hold exactly
    the bytes the listed float32 shapes need. So a model can never make a load read /dev/zero or /etc/passwd."""
    label = os.path.join(directory, "model.json")
    manifest = model.get("weightsManifest")
    if not isinstance(manifest, list) or not manifest:
        raise ValueError(f"{label}: has no weightsManifest; the model folder is damaged.")
    files, floats = [], 0
    for group in manifest:
        paths = group.get("paths") if isinstance(group, dict) else None
        weights = group.get("weights") if isinstance(group, dict) else None
        if not isinstance(paths, list) or not isinstance(weights, list):
            raise ValueError(f"{label}: a weightsManifest group lacks paths or weights; the model folder is damaged.")
        for p in paths:
            parts = p.split("/") if isinstance(p, str) else []
            if (not isinstance(p, str) or p == "" or p.startswith("/") or any(c in p for c in "\\\0:")
                    or any(x in ("", ".", "..") for x in parts)):
                raise ValueError(f"{label}: weight path {json.dumps(p)} leaves the model folder; a model's weights are files inside it (e.g. weights.bin).")
            files.append(os.path.join(directory, *parts))
        for w in weights:
            shape = w.get("shape") if isinstance(w, dict) else None
            if not isinstance(shape, list) or any(not isinstance(d, int) or isinstance(d, bool) or d < 0 for d in shape):
                raise ValueError(f"{label}: a weight has no valid shape; the model folder is damaged.")
            n = 1
            for d in shape:
                n *= d
            floats += n
    if floats * 4 > MAX_WEIGHT_BYTES:
        raise ValueError(f"{label}: lists {floats * 4} bytes of weights, more than the limit of {MAX_WEIGHT_BYTES}.")
    total = 0
    for f in files:
        try:
            st = os.lstat(f)
        except FileNotFoundError:
            raise ValueError(f"{f}: missing; model.json lists it as weights. The model folder is incomplete.")
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{f}: is not a regular file (a link, folder or device); weights must be plain files inside the model folder.")
        total += st.st_size
    if total != floats * 4:
        raise ValueError(f"{label}: its weight files hold {total} bytes, the listed shapes need {floats * 4} ({floats} float32); the model folder is damaged.")
    return files


def load_model(directory: str, device: torch.device, patch=None) -> SegNet:
    """The folder's network; with `patch` (x, y, z; a native predict job) built for that input."""
    file = os.path.join(directory, "model.json")
    try:
        st = os.stat(file)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_MODEL_JSON_BYTES:
            raise ValueError(f"{file}: is not a regular file of at most {MAX_MODEL_JSON_BYTES} bytes; the model folder is damaged.")
        with open(file, encoding="utf-8") as f:
            model = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{file}: not found; the model must be a folder written by a SegNAS export (model.json + weights.bin).")
    if model.get("format") != MODEL_FORMAT:
        raise ValueError(f"{file}: 'format' is {model.get('format')}, expected '{MODEL_FORMAT}'.")
    if model.get("formatVersion", 0) > MODEL_FORMAT_VERSION:
        raise ValueError(f"{file}: formatVersion {model['formatVersion']} is newer than this program reads ({MODEL_FORMAT_VERSION}).")
    files = weight_files(directory, model)
    entries = [w for g in model["weightsManifest"] for w in g["weights"]]
    data = b"".join(open(p, "rb").read() for p in files)
    values = torch.frombuffer(bytearray(data), dtype=torch.float32) if data else torch.zeros(0)
    net = SegNet(model["spec"], {**model["network"], "patch": list(patch)} if patch else model["network"])
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
