"""The project's seeded PRNG (main/core/prng.ts: xoshiro128** seeded through splitmix32), bit for bit, so that
draws both engines must agree on (the native protocol's patches) come out the same from the same seed."""
from __future__ import annotations

M32 = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & M32


class Prng:
    def __init__(self, seed: int):
        if not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed}")
        s = ((seed & M32) ^ ((seed // 2**32) & M32)) & M32
        state = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & M32
            z = s
            z = _imul(z ^ (z >> 16), 0x85EBCA6B)
            z = _imul(z ^ (z >> 13), 0xC2B2AE35)
            state.append((z ^ (z >> 16)) & M32)
        if not any(state):
            state[0] = 1
        self._s = state

    def next32(self) -> int:
        s = self._s
        result = _imul(_rotl(_imul(s[1], 5), 7), 9)
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def uniform(self) -> float:
        a = self.next32() >> 5
        b = self.next32() >> 6
        return (a * 67108864 + b) / 9007199254740992

    def between(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.uniform()

    def int(self, n: int) -> int:
        if not isinstance(n, int) or n < 1 or n > 2**32:
            raise ValueError(f"int(n) needs 1 <= n <= 2^32, got {n}")
        limit = 2**32 - (2**32 % n)
        while True:
            r = self.next32()
            if r < limit:
                return r % n
