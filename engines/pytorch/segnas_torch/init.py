"""Weight initialisation, in one place (docs/network.md, "Initialisation"): Conv(k,d) weights He normal
as Keras `he_normal` (normal truncated at 2 sigma, sigma = sqrt(2/fan_in)/0.8796, fan_in = k^3 C_in);
1x1x1 projections (residual paths, channel-changing skips; no BN) U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
which is torch's own Conv3d default, so that the un-normalised residual sums keep their variance; the
softmax heads Glorot uniform with zero bias; batch norm gamma = 1, beta = 0, moving mean 0, moving
variance 1. Seeded: the same seed gives the same weights (on the same torch version; the values differ
from the TensorFlow.js engine's, which draws from its own generator)."""
from __future__ import annotations

import math

import torch

# Keras' he_normal divides by the standard deviation of a unit normal truncated at +-2.
TRUNCATED_STD = 0.87962566103423978


def _truncated_normal_(t: torch.Tensor, std: float, gen: torch.Generator) -> None:
    # Resampling outside +-2 sigma, as tf.truncated_normal; done on the CPU generator so that the
    # weights depend only on the seed, not on the device.
    values = torch.empty(t.shape, dtype=torch.float32)
    values.normal_(0.0, 1.0, generator=gen)
    bad = values.abs() > 2
    while bool(bad.any()):
        fresh = torch.empty(int(bad.sum()), dtype=torch.float32).normal_(0.0, 1.0, generator=gen)
        values[bad] = fresh
        bad = values.abs() > 2
    t.copy_(values * std)


def initialise(net: torch.nn.Module, seed: int) -> None:
    """(Re)initialises every weight of a SegNet (network.py) from `seed`."""
    from .network import ConvBNReLU, Head, Projection

    gen = torch.Generator().manual_seed(int(seed) & 0xFFFFFFFFFFFF)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, ConvBNReLU):
                w = module.conv.weight
                fan_in = w.shape[1] * w.shape[2] * w.shape[3] * w.shape[4]
                _truncated_normal_(w, math.sqrt(2.0 / fan_in) / TRUNCATED_STD, gen)
                module.gamma.fill_(1.0)
                module.beta.fill_(0.0)
                module.moving_mean.fill_(0.0)
                module.moving_var.fill_(1.0)
            elif isinstance(module, Projection):
                w = module.conv.weight
                bound = 1.0 / math.sqrt(w.shape[1])
                w.copy_(torch.empty(w.shape, dtype=torch.float32).uniform_(-bound, bound, generator=gen))
            elif isinstance(module, Head):
                w = module.conv.weight
                fan_in, fan_out = w.shape[1], w.shape[0]
                limit = math.sqrt(6.0 / (fan_in + fan_out))
                values = torch.empty(w.shape, dtype=torch.float32).uniform_(-limit, limit, generator=gen)
                w.copy_(values)
                module.conv.bias.fill_(0.0)
