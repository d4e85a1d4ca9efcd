"""Answers the parity tests (test/compute/pytorchParity.test.ts): reads one JSON request from stdin and
prints one JSON answer, computed by this engine's own code:

  {"paramCounts": [{"spec", "classes", "inChannels"}]}      -> trainable parameters of each built network
  {"loss": {"shape": [B,D,H,W,K], "probs": [...channels-last], "labels": [...], "weights": [...],
            "aux": [[...channels-last], ...]}}               -> supervised_loss(...)
  {"nadam": {"lr", "params": [[...]], "grads": [[[...]]]}}  -> the parameters after each step
  {"batchNorm": {"shape": [B,D,H,W,C], "x": [...channels-last], "gamma", "beta", "movingMean",
                 "movingVar"}}  -> training-mode output (channels-last) and the moved statistics
"""
import json
import sys

import torch

from .loss import supervised_loss
from .nadam import Nadam
from .network import ConvBNReLU, SegNet


def main() -> None:
    req = json.load(sys.stdin)
    out = {}
    if "paramCounts" in req:
        counts = []
        for item in req["paramCounts"]:
            spec = item["spec"]
            net = SegNet(spec, {"classes": item["classes"], "size": 2 ** spec["p"], "inChannels": item.get("inChannels", 1),
                                "dropout": 0, "seed": 1}, device="meta")
            counts.append(net.param_count())
        out["paramCounts"] = counts
    if "loss" in req:
        q = req["loss"]
        b, d, h, w, k = q["shape"]

        def channels_first(values):
            return torch.tensor(values, dtype=torch.float32).reshape(b, d, h, w, k).permute(0, 4, 1, 2, 3)

        labels = torch.tensor(q["labels"], dtype=torch.long).reshape(b, d, h, w)
        weights = torch.tensor(q["weights"], dtype=torch.float32)
        loss = supervised_loss(channels_first(q["probs"]), [channels_first(a) for a in q.get("aux", [])], labels, weights)
        out["loss"] = float(loss)
    if "nadam" in req:
        q = req["nadam"]
        params = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in q["params"]]
        opt = Nadam(params, lr=q["lr"])
        steps = []
        for grads in q["grads"]:
            for p, g in zip(params, grads):
                p.grad = torch.tensor(g, dtype=torch.float32)
            opt.step()
            steps.append([p.detach().tolist() for p in params])
        out["nadam"] = steps
    if "batchNorm" in req:
        q = req["batchNorm"]
        b, d, h, w, c = q["shape"]
        layer = ConvBNReLU(c, c, 1, 1).train()
        with torch.no_grad():  # a 1x1x1 identity convolution: the layer is then batch norm + ReLU
            layer.conv.weight.copy_(torch.eye(c).reshape(c, c, 1, 1, 1))
            layer.gamma.copy_(torch.tensor(q["gamma"]))
            layer.beta.copy_(torch.tensor(q["beta"]))
            layer.moving_mean.copy_(torch.tensor(q["movingMean"]))
            layer.moving_var.copy_(torch.tensor(q["movingVar"]))
        x = torch.tensor(q["x"], dtype=torch.float32).reshape(b, d, h, w, c).permute(0, 4, 1, 2, 3)
        y = layer(x)
        out["batchNorm"] = {
            "y": y.detach().permute(0, 2, 3, 4, 1).reshape(-1).tolist(),
            "movingMean": layer.moving_mean.tolist(),
            "movingVar": layer.moving_var.tolist(),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
