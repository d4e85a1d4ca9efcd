"""Prints one JSON line: torch's version and every device it can train on (for `segnas devices`)."""
import json
import sys

try:
    import torch
except Exception as e:  # the caller explains how to install torch
    print(json.dumps({"torch": None, "error": f"{type(e).__name__}: {e}", "python": sys.version.split()[0]}))
    sys.exit(0)

from .devices import list_devices, mps_available

kinds = ["cpu"]
if torch.cuda.is_available():
    kinds.insert(0, "cuda")
if mps_available():
    kinds.insert(0, "mps")
print(json.dumps({
    "torch": torch.__version__,
    "python": sys.version.split()[0],
    "cudaBuild": torch.version.cuda,
    "devices": {k: list_devices(k) for k in kinds},
}))
