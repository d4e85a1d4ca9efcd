// AssemblyScript (compiled with conv3d.as.ts into kernels.wasm by `npm run build:wasm`). The passes of
// training-mode batch norm + ReLU (see ../batchNormRelu.ts for the formulas) over a channels-last map
// of `c` channels, on an element range [e0, e1) of one thread.
//
// Channels repeat with period c, vectors hold 4 floats: per-channel parameters and accumulators are
// laid out over one period L = lcm(c, 4) elements, so element e uses slot e mod L and every vector of
// a period lines up with its parameters whatever c is. e0 is a multiple of L (the caller's split), so
// the slot of e is e − e0 mod L; a tail shorter than L is done one element at a time. Sums are float64.

/** acc[j] += Σ x[e] over e ≡ j (mod L). acc: L float64. */
export function bnSum(x: usize, L: i32, e0: i32, e1: i32, acc: usize): void {
  let e = e0;
  for (; e + L <= e1; e += L) {
    const p = x + (<usize>e << 2);
    for (let j = 0; j < L; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      const q = acc + (<usize>j << 3);
      v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
      v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
    }
  }
  for (let j = 0; e < e1; e++, j++) {
    const q = acc + (<usize>j << 3);
    store<f64>(q, load<f64>(q) + <f64>load<f32>(x + (<usize>e << 2)));
  }
}

/** acc[j] += Σ (x[e] − mu[j])² over e ≡ j (mod L). mu, acc: L float64. */
export function bnSumSquaredDeviation(x: usize, L: i32, mu: usize, e0: i32, e1: i32, acc: usize): void {
  let e = e0;
  for (; e + L <= e1; e += L) {
    const p = x + (<usize>e << 2);
    for (let j = 0; j < L; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      const q = acc + (<usize>j << 3);
      const m = mu + (<usize>j << 3);
      const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(m));
      const d1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), v128.load(m, 16));
      v128.store(q, f64x2.add(v128.load(q), f64x2.mul(d0, d0)));
      v128.store(q, f64x2.add(v128.load(q, 16), f64x2.mul(d1, d1)), 16);
    }
  }
  for (let j = 0; e < e1; e++, j++) {
    const d = <f64>load<f32>(x + (<usize>e << 2)) - load<f64>(mu + (<usize>j << 3));
    const q = acc + (<usize>j << 3);
    store<f64>(q, load<f64>(q) + d * d);
  }
}

/** y[e] = max(0, x[e]·scale[j] + shift[j]), e ≡ j (mod L). scale, shift: L float32. */
export function bnAffineRelu(
  x: usize,
  y: usize,
  L: i32,
  scale: usize,
  shift: usize,
  e0: i32,
  e1: i32,
  _scratch: usize,
): void {
  const zero = f32x4.splat(0);
  let e = e0;
  for (; e + L <= e1; e += L) {
    const p = <usize>e << 2;
    for (let j = 0; j < L; j += 4) {
      const o = <usize>j << 2;
      const v = f32x4.add(f32x4.mul(v128.load(x + p + o), v128.load(scale + o)), v128.load(shift + o));
      v128.store(y + p + o, f32x4.max(v, zero));
    }
  }
  for (let j = 0; e < e1; e++, j++) {
    const o = <usize>j << 2;
    const v = load<f32>(x + (<usize>e << 2)) * load<f32>(scale + o) + load<f32>(shift + o);
    store<f32>(y + (<usize>e << 2), v > 0 ? v : 0);
  }
}

/**
 * Backward sums: accG[j] += Σ g, accGX[j] += Σ g·(x − mu[j])·r[j] over e ≡ j (mod L), g = dy·[y > 0].
 * mu, r: L float64; acc: 2L float64 (accG then accGX).
 */
export function bnGradSums(
  dy: usize,
  x: usize,
  y: usize,
  L: i32,
  mu: usize,
  r: usize,
  e0: i32,
  e1: i32,
  acc: usize,
): void {
  const accGX = acc + (<usize>L << 3);
  const zero = f32x4.splat(0);
  let e = e0;
  for (; e + L <= e1; e += L) {
    const p = <usize>e << 2;
    for (let j = 0; j < L; j += 4) {
      const o = <usize>j << 2;
      const g = v128.and(v128.load(dy + p + o), f32x4.gt(v128.load(y + p + o), zero));
      const xv = v128.load(x + p + o);
      const o8 = <usize>j << 3;
      const g0 = f64x2.promote_low_f32x4(g);
      const g1 = f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 0, 1));
      const h0 = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), v128.load(mu + o8)), v128.load(r + o8));
      const h1 = f64x2.mul(
        f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(xv, xv, 2, 3, 0, 1)), v128.load(mu + o8, 16)),
        v128.load(r + o8, 16),
      );
      v128.store(acc + o8, f64x2.add(v128.load(acc + o8), g0));
      v128.store(acc + o8, f64x2.add(v128.load(acc + o8, 16), g1), 16);
      v128.store(accGX + o8, f64x2.add(v128.load(accGX + o8), f64x2.mul(g0, h0)));
      v128.store(accGX + o8, f64x2.add(v128.load(accGX + o8, 16), f64x2.mul(g1, h1)), 16);
    }
  }
  for (let j = 0; e < e1; e++, j++) {
    const p = <usize>e << 2;
    if (load<f32>(y + p) > 0) {
      const g = <f64>load<f32>(dy + p);
      const o8 = <usize>j << 3;
      const xhat = (<f64>load<f32>(x + p) - load<f64>(mu + o8)) * load<f64>(r + o8);
      store<f64>(acc + o8, load<f64>(acc + o8) + g);
      store<f64>(accGX + o8, load<f64>(accGX + o8) + g * xhat);
    }
  }
}

/**
 * dx[e] = k[j]·(g − b[j] − (x − mu[j])·r[j]·a[j]), g = dy·[y > 0], e ≡ j (mod L).
 * params: 5 arrays of L float32, one after another: mu, r, k, a, b.
 */
export function bnGradInput(
  dy: usize,
  x: usize,
  y: usize,
  dx: usize,
  L: i32,
  params: usize,
  e0: i32,
  e1: i32,
  _scratch: usize,
): void {
  const span = <usize>L << 2;
  const mu = params;
  const r = params + span;
  const k = params + 2 * span;
  const a = params + 3 * span;
  const b = params + 4 * span;
  const zero = f32x4.splat(0);
  let e = e0;
  for (; e + L <= e1; e += L) {
    const p = <usize>e << 2;
    for (let j = 0; j < L; j += 4) {
      const o = <usize>j << 2;
      const g = v128.and(v128.load(dy + p + o), f32x4.gt(v128.load(y + p + o), zero));
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + p + o), v128.load(mu + o)), v128.load(r + o));
      const inner = f32x4.sub(f32x4.sub(g, v128.load(b + o)), f32x4.mul(xhat, v128.load(a + o)));
      v128.store(dx + p + o, f32x4.mul(v128.load(k + o), inner));
    }
  }
  for (let j = 0; e < e1; e++, j++) {
    const p = <usize>e << 2;
    const o = <usize>j << 2;
    const g = load<f32>(y + p) > 0 ? load<f32>(dy + p) : 0;
    const xhat = (load<f32>(x + p) - load<f32>(mu + o)) * load<f32>(r + o);
    store<f32>(dx + p, load<f32>(k + o) * (g - load<f32>(b + o) - xhat * load<f32>(a + o)));
  }
}
