/**
 * Seeded pseudo-random numbers for the optimizer. Searches must be reproducible from their seed
 * (and resumable by replay), so nothing in the search may call Math.random.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 32-bit state words so that it runs on plain JS numbers;
 * seeded through splitmix32 so that nearby seeds (0, 1, 2, …) give unrelated streams.
 */

export interface Prng {
  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number;
  /** Uniform integer in {0, …, n−1}, without modulo bias. */
  int(n: number): number;
}

/** A generator whose position can be saved and restored (an epoch checkpoint carries its shuffle/augmentation stream). */
export interface StatefulPrng extends Prng {
  /** The four 32-bit state words; `createPrng(seed, state)` continues exactly from here. */
  state(): number[];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export function createPrng(seed: number, state?: readonly number[]): StatefulPrng {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  // Fold seeds beyond 32 bits in, so that e.g. Date.now() seeds stay distinct.
  const mix = splitmix32((seed >>> 0) ^ Math.floor(seed / 2 ** 32));
  const s = [mix(), mix(), mix(), mix()];
  if (state !== undefined) {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w >= 2 ** 32))
      throw new Error(`a generator state is four 32-bit unsigned integers, got [${state.join(', ')}]`);
    s.splice(0, 4, ...state);
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is a fixed point

  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    for (let i = 0; i < 4; i++) s[i] >>>= 0;
    return result;
  };

  const uniform = (): number => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;

  return {
    state: () => [...s],
    uniform,
    between: (lo, hi) => lo + (hi - lo) * uniform(),
    int(n) {
      if (!Number.isInteger(n) || n < 1 || n > 2 ** 32)
        throw new Error(`int(n) needs 1 ≤ n ≤ 2^32, got ${n}`);
      // Rejection sampling on 32-bit draws: the largest multiple of n below 2^32 bounds the accepted range.
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const r = next32();
        if (r < limit) return r % n;
      }
    },
  };
}
