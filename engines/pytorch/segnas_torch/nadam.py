"""Nadam with Keras 2 semantics (tf.keras optimizer_v2/nadam.py), as main/train/nadam.ts. For t = 1, 2, ...:

    mu_t = b1 (1 - 0.5 * 0.96^(0.004 t)),  Pi_t = mu_1 ... mu_t
    m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
    mbar = (1 - mu_t) g / (1 - Pi_t) + mu_{t+1} m / (1 - Pi_{t+1})
    theta -= lr * mbar / (sqrt(v / (1 - b2^t)) + eps)

torch.optim.NAdam uses the same schedule, but its epsilon default (1e-8) and its options differ between
torch versions; written out, the step is pinned across versions and follows the TypeScript engine's
arithmetic. The schedule factors are Python floats (float64), as the TypeScript engine's."""
from __future__ import annotations

from typing import Iterable, List

import torch


class Nadam:
    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-7, schedule_decay: float = 0.004):
        self.params: List[torch.Tensor] = [p for p in params if p.requires_grad]
        self.lr, self.beta1, self.beta2, self.epsilon, self.schedule_decay = lr, beta1, beta2, epsilon, schedule_decay
        self.m = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.v = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.iterations = 0
        self.m_schedule = 1.0

    def momentum_at(self, t: int) -> float:
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.schedule_decay))

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        t = self.iterations + 1
        mu_t, mu_next = self.momentum_at(t), self.momentum_at(t + 1)
        schedule_new = self.m_schedule * mu_t
        schedule_next = schedule_new * mu_next
        g_coef = (1 - mu_t) / (1 - schedule_new)
        m_coef = mu_next / (1 - schedule_next)
        v_correction = 1 - self.beta2**t
        b1, b2 = self.beta1, self.beta2
        live = [(p, m, v) for p, m, v in zip(self.params, self.m, self.v) if p.grad is not None]
        if not live:
            return
        params = [p for p, _, _ in live]
        ms = [m for _, m, _ in live]
        vs = [v for _, _, v in live]
        grads = [p.grad.float() for p in params]
        # One kernel per operation over all parameters (torch._foreach_*), not one per parameter.
        torch._foreach_mul_(ms, b1)
        torch._foreach_add_(ms, grads, alpha=1 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, grads, grads, value=1 - b2)
        m_bar = torch._foreach_mul(grads, g_coef)
        torch._foreach_add_(m_bar, ms, alpha=m_coef)
        denom = torch._foreach_div(vs, v_correction)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_addcdiv_(params, m_bar, denom, value=-self.lr)
        self.m_schedule = schedule_new
        self.iterations = t
