"""PyTorch reference for `npm run bench:train`: the same SegNAS4 network (n=8, p=3, sup=0, res=0,
4 classes, batch 1) under the same conventions (Conv3d without bias + BN(eps 1e-3, Keras momentum 0.99)
+ ReLU, max-pool, nearest x2 upsampling, concat [upsampled, encoder copy], Dropout3d, 1x1x1 head with
bias, softmax), NAdam, a Dice + cross-entropy loss. Prints ms per training step.

usage: /usr/bin/python3 bench/pytorch/segnas4.py [--size 32] [--steps 5] [--threads N]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(cin, c):
    return [nn.Conv3d(cin, c, 3, padding=1, bias=False), nn.BatchNorm3d(c, eps=1e-3, momentum=0.01), nn.ReLU()]


class MegaBlock(nn.Module):
    def __init__(self, cin, c, dropout):
        super().__init__()
        self.body = nn.Sequential(*conv_bn_relu(cin, c), *conv_bn_relu(c, c), nn.Dropout3d(dropout))

    def forward(self, x):
        return self.body(x)


class SegNAS4(nn.Module):
    def __init__(self, n=8, p=3, classes=4, dropout=0.2):
        super().__init__()
        ch = [n * 2**i for i in range(p + 1)]
        self.enc = nn.ModuleList([MegaBlock(1 if i == 0 else ch[i - 1], ch[i], dropout) for i in range(p + 1)])
        self.dec = nn.ModuleList([MegaBlock(ch[i + 1] + ch[i], ch[i], dropout) for i in reversed(range(p))])
        self.head = nn.Conv3d(ch[0], classes, 1, bias=True)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.enc):
            if i > 0:
                x = F.max_pool3d(x, 2)
            x = block(x)
            skips.append(x)
        for j, block in enumerate(self.dec):
            level = len(self.enc) - 2 - j
            x = block(torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), skips[level]], 1))
        return torch.softmax(self.head(x), 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = SegNAS4()
    opt = torch.optim.NAdam(net.parameters(), lr=1e-3, eps=1e-7)
    x = torch.randn(1, 1, a.size, a.size, a.size)
    y = F.one_hot(torch.randint(0, 4, (1, a.size, a.size, a.size)), 4).permute(0, 4, 1, 2, 3).float()

    def step():
        opt.zero_grad()
        p = net(x)
        dice = (2 * (p * y).sum((0, 2, 3, 4)) + 1e-5) / ((p + y).sum((0, 2, 3, 4)) + 1e-5)
        loss = 0.8 * (-torch.log(dice)).clamp_min(1e-6).pow(0.3).mean() - 0.2 * (y * torch.log(p.clamp_min(1e-7))).sum(1).mean()
        loss.backward()
        opt.step()
        return loss.item()

    step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    params = sum(p.numel() for p in net.parameters())
    print(f"pytorch {torch.__version__} threads {torch.get_num_threads()} size {a.size}: "
          f"{sum(times) / len(times):.0f} ms/step mean, {min(times):.0f} min, params {params}")


if __name__ == "__main__":
    main()
