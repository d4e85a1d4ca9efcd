"""Answers test/compute/nativeParity.test.ts: the native protocol's shared arithmetic (PRNG draws, window
positions, Gaussian map, patch origins) and a sliding-window prediction with a model folder, computed by this
engine for the TensorFlow.js engine's to be compared with. Request on stdin, answer on stdout (JSON)."""
from __future__ import annotations

import json
import sys

import torch

from .augment import augment_batch
from .modelio import load_model
from .patches import CaseForeground, forced_foreground, patch_origin
from .prng import Prng
from .sliding import gaussian_importance, sliding_window_predict, window_starts
from .volumes import read_image


def main() -> None:
    req = json.loads(sys.stdin.read())
    out: dict = {}
    rng = Prng(req["prng"]["seed"])
    out["prng"] = {"uniform": [rng.uniform() for _ in range(5)], "int": [rng.int(n) for n in req["prng"]["ints"]]}
    out["windows"] = [window_starts(w["n"], w["p"], w["overlap"]) for w in req["windows"]]
    out["gaussian"] = [gaussian_importance(tuple(p)).reshape(-1).tolist() for p in req["gaussian"]]
    p = req["patches"]
    cases = []
    for c in p["cases"]:
        x, y, z = c["shape"]
        cases.append((tuple(c["shape"]), CaseForeground(torch.tensor(c["label"], dtype=torch.uint8).reshape(z, y, x))))
    rng = Prng(p["seed"])
    origins = []
    for d in p["draws"]:
        shape, fg = cases[d["case"]]
        forced = forced_foreground(d["slot"], d["batch"], p["fraction"])
        origins.append(list(patch_origin(shape, tuple(p["patch"]), fg if forced else None, rng)))
    out["origins"] = origins
    a = req["augment"]
    x, y, z = a["shape"]
    image = torch.tensor(a["image"], dtype=torch.float32).reshape(1, 1, z, y, x)
    label = torch.tensor(a["label"], dtype=torch.uint8).reshape(1, z, y, x)
    t = a["transform"]
    moved, moved_label = augment_batch(image, label, [(t["angleRad"], tuple(t["shift"]), t["scale"])])
    out["augment"] = {"image": moved.reshape(-1).tolist(), "label": moved_label.reshape(-1).tolist()}
    pr = req["predict"]
    net = load_model(pr["model"], torch.device("cpu"), tuple(pr["patch"]))
    with torch.no_grad():
        image = read_image(pr["image"], 0, net.options["inChannels"], tuple(pr["shape"]))
        classes = sliding_window_predict(net, image, tuple(pr["shape"]), tuple(pr["patch"]), pr["overlap"], pr["mirror"])
    out["predicted"] = classes.reshape(-1).tolist()
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
