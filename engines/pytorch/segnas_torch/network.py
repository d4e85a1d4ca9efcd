"""The SegNAS network of docs/network.md in PyTorch, layer for layer as main/train/network.ts:
Conv(k,d) without bias + batch norm (momentum 0.9 in Keras' sense, eps 1e-3, biased batch variance for
the moving statistics too) + ReLU; summed node inputs; 1x1x1 projections without bias for channel-changing
skips and residuals; spatial dropout inside the residual branch; max-pool 2; nearest x2 upsampling;
decoder input concat [upsampled, encoder copy]; 1x1x1 heads with bias + softmax; deep-supervision heads
at decoder levels p-1..1 upsampled (nearest) after their softmax.

Tensors are channels-first [B, C, D=z, H=y, W=x]; exported weights are converted to the TensorFlow.js
engine's channels-last layout and variable order (modelio.py), so a model folder is engine-neutral."""
from __future__ import annotations

from typing import Iterator, List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .init import initialise
from .spec import assert_buildable, block_edges, edge_layer, level_channels, plan_network, residual_layer

BN_EPSILON = 1e-3
# Keras-style momentum 0.9: moving = 0.9 * moving + 0.1 * batch.
BN_MOMENTUM = 0.9


class ConvBNReLU(nn.Module):
    def __init__(self, cin: int, c: int, kernel: int, dilation: int, device=None):
        super().__init__()
        self.conv = nn.Conv3d(cin, c, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation, bias=False,
                              device=device)
        self.gamma = nn.Parameter(torch.ones(c, device=device))
        self.beta = nn.Parameter(torch.zeros(c, device=device))
        self.register_buffer("moving_mean", torch.zeros(c, device=device))
        self.register_buffer("moving_var", torch.ones(c, device=device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if not self.training:
            return F.relu(F.batch_norm(y, self.moving_mean, self.moving_var, self.gamma, self.beta, False, 0.0, BN_EPSILON))
        values_per_channel = y.numel() // y.shape[1]
        if values_per_channel > 1:
            # torch moves running_var towards the unbiased variance v*n/(n-1); Keras (and the TensorFlow.js
            # engine) towards the biased v. From torch's update, new = 0.9*old + 0.1*v*n/(n-1), the biased
            # one is new - (new - 0.9*old)/n: a C-element correction instead of a second pass over y.
            # (torch updates a copy: autograd keeps the tensor it was given and must not see it change.)
            torch_var = self.moving_var.clone()
            out = F.batch_norm(y, self.moving_mean, torch_var, self.gamma, self.beta, True,
                               1 - BN_MOMENTUM, BN_EPSILON)
            with torch.no_grad():
                self.moving_var.copy_(torch_var - (torch_var - BN_MOMENTUM * self.moving_var) / values_per_channel)
        else:
            # One value per channel (batch 1 at a 1^3 level): torch refuses; the formula gives beta, and
            # the batch variance is 0.
            m = y.mean(dim=(0, 2, 3, 4), keepdim=True)
            v = ((y - m) ** 2).mean(dim=(0, 2, 3, 4), keepdim=True)
            out = (y - m) * torch.rsqrt(v + BN_EPSILON) * self.gamma.view(1, -1, 1, 1, 1) + self.beta.view(1, -1, 1, 1, 1)
            with torch.no_grad():
                self.moving_mean.mul_(BN_MOMENTUM).add_(m.detach().reshape(-1), alpha=1 - BN_MOMENTUM)
                self.moving_var.mul_(BN_MOMENTUM).add_(v.detach().reshape(-1), alpha=1 - BN_MOMENTUM)
        return F.relu(out)


class Projection(nn.Module):
    """1x1x1 convolution without bias and without batch norm."""

    def __init__(self, cin: int, c: int, device=None):
        super().__init__()
        self.conv = nn.Conv3d(cin, c, 1, bias=False, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Head(nn.Module):
    """1x1x1 convolution with bias + softmax over classes."""

    def __init__(self, c: int, classes: int, device=None):
        super().__init__()
        self.conv = nn.Conv3d(c, classes, 1, bias=True, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.conv(x).float(), dim=1)


def _edge_module(layer, device) -> nn.Module:
    if layer.kind == "conv":
        return ConvBNReLU(layer.in_channels, layer.channels, layer.kernel, layer.dilation, device)
    if layer.kind == "projection":
        return Projection(layer.in_channels, layer.channels, device)
    return nn.Identity()


class MegaBlock(nn.Module):
    def __init__(self, spec: dict, plan, edges, dropout: float, device=None):
        super().__init__()
        self.plan = plan
        self.nodes = spec["block"]["nodes"]
        self.edge_list = [(f, t) for f, t, _ in edges]
        self.edge_layers = nn.ModuleList([_edge_module(edge_layer(e, plan), device) for e in edges])
        res = residual_layer(spec, plan)
        self.residual = _edge_module(res, device) if res is not None else None
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [x]
        for node in range(1, self.nodes):
            total = None
            for (f, t), layer in zip(self.edge_list, self.edge_layers):
                if t == node:
                    y = layer(outs[f])
                    total = y if total is None else total + y
            outs.append(total)
        y = outs[-1]
        if self.training and self.dropout > 0:
            y = F.dropout3d(y, self.dropout, training=True)
        if self.residual is not None:
            y = y + self.residual(x)
        return y


class SegNet(nn.Module):
    def __init__(self, spec: dict, network: dict, device=None):
        """device="meta" builds the structure without memory or initialisation (parameter counting)."""
        super().__init__()
        self.spec = spec
        self.options = dict(network)
        size, classes = network["size"], network["classes"]
        patch = network.get("patch")
        if patch:
            # Native protocol: the input is this (x, y, z) patch; each side must survive p poolings.
            for side in patch:
                assert_buildable(spec, side)
            size = max(patch)
        blocks, aux_levels = plan_network(spec, size, network["inChannels"])
        edges = block_edges(spec["block"])
        self.megablocks = nn.ModuleList([MegaBlock(spec, mb, edges, network["dropout"], device) for mb in blocks])
        self.head = Head(level_channels(spec, 0), classes, device)
        self.aux_levels = aux_levels
        self.aux_heads = nn.ModuleList([Head(level_channels(spec, lv), classes, device) for lv in aux_levels])
        if str(device) != "meta":
            initialise(self, network["seed"])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        s, cin = self.options["size"], self.options["inChannels"]
        px, py, pz = self.options.get("patch") or (s, s, s)
        if x.dim() != 5 or tuple(x.shape[1:]) != (cin, pz, py, px):
            raise ValueError(f"network input must be [B, {cin}, {pz}, {py}, {px}], got {list(x.shape)}")
        encoder = []
        h = x
        aux = []
        for mb in self.megablocks:
            if mb.plan.path == "enc":
                if mb.plan.level > 0:
                    h = F.max_pool3d(h, 2)
                h = mb(h)
                encoder.append(h)
            else:
                up = F.interpolate(h, scale_factor=2, mode="nearest")
                h = mb(torch.cat([up, encoder[mb.plan.level]], 1))
                if mb.plan.level in self.aux_levels:
                    head = self.aux_heads[self.aux_levels.index(mb.plan.level)]
                    aux.append(F.interpolate(head(h), scale_factor=2**mb.plan.level, mode="nearest"))
        return self.head(h), aux

    def param_count(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def ts_variables(self) -> Iterator[Tuple[str, torch.Tensor]]:
        """Every variable in the TensorFlow.js engine's order and channels-last layout (for export)."""

        def conv_w(conv: nn.Conv3d) -> torch.Tensor:
            return conv.weight.detach().permute(2, 3, 4, 1, 0)  # [kd, kh, kw, cin, cout]

        for mb in self.megablocks:
            name = f"{mb.plan.path}{mb.plan.level}"
            for (f, t), layer in zip(mb.edge_list, mb.edge_layers):
                base = f"{name}/e{f}{t}"
                if isinstance(layer, ConvBNReLU):
                    yield f"{base}/w", conv_w(layer.conv)
                    yield f"{base}/bn/gamma", layer.gamma.detach()
                    yield f"{base}/bn/beta", layer.beta.detach()
                    yield f"{base}/bn/moving_mean", layer.moving_mean
                    yield f"{base}/bn/moving_var", layer.moving_var
                elif isinstance(layer, Projection):
                    yield f"{base}/w", conv_w(layer.conv)
            if isinstance(mb.residual, Projection):
                yield f"{name}/res/w", conv_w(mb.residual.conv)
        for level, head in [(0, self.head)] + list(zip(self.aux_levels, self.aux_heads)):
            yield f"head{level}/w", conv_w(head.conv)
            yield f"head{level}/b", head.conv.bias.detach()

    def ts_targets(self) -> List[torch.Tensor]:
        """The tensors ts_variables() reads, in the same order, for loading (same layout conversion)."""
        out = []
        for mb in self.megablocks:
            for layer in mb.edge_layers:
                if isinstance(layer, ConvBNReLU):
                    out += [layer.conv.weight, layer.gamma, layer.beta, layer.moving_mean, layer.moving_var]
                elif isinstance(layer, Projection):
                    out.append(layer.conv.weight)
            if isinstance(mb.residual, Projection):
                out.append(mb.residual.conv.weight)
        for head in [self.head] + list(self.aux_heads):
            out += [head.conv.weight, head.conv.bias]
        return out
