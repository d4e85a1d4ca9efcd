"""Peak tensor memory of one training job, reported in the `result` message (`peakBytes`) and compared
with the caller's estimate (main/train/torchMemoryEstimate.ts).

- CUDA: torch's allocator high-water mark above what was allocated when the job started (the data, the
  network, the optimizer, every step and validation; not the CUDA context or the allocator's cache).
- CPU: the same quantity from torch's allocation trace: the first training step runs under
  torch.profiler's memory profile (allocations and frees in order); its highest running sum is added to
  the bytes of the tensors alive before it (data, network, optimizer state) and of the best epoch's host
  copy of the weights (alive from the second epoch on). The resident set of the process is not used:
  glibc keeps freed memory for reuse and torch's code pages count in it, so it says little about a job.
- MPS: None.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional, Tuple, TypeVar

import torch

T = TypeVar("T")


def tensors_bytes(tensors: Iterable[torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors if t is not None)


def traced_peak(fn: Callable[[], T]) -> Tuple[T, Optional[int]]:
    """Runs fn; answers its value and the highest net bytes it held allocated at once on the CPU."""
    try:
        from torch.profiler import ProfilerActivity, profile
    except ImportError:
        return fn(), None
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        value = fn()
    events = sorted(prof.profiler.function_events, key=lambda e: e.time_range.start)
    running = peak = 0
    for e in events:
        # An op's own allocations net of its frees; "[memory]" records are frees (and allocations) between ops.
        running += e.cpu_memory_usage if e.name == "[memory]" else e.self_cpu_memory_usage
        peak = max(peak, running)
    return value, peak


class CudaPeak:
    def __init__(self, device: torch.device):
        self.device = device
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        self.base = torch.cuda.memory_allocated(device)

    def peak_bytes(self) -> int:
        torch.cuda.synchronize(self.device)
        return max(0, torch.cuda.max_memory_allocated(self.device) - self.base)
