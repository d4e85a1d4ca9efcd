// AssemblyScript (compiled with batchNormRelu.as.ts by `npm run build:wasm` to kernels.wasm next to
// this file; not part of the TypeScript project). Every export ends (…, first, end, scratch): the
// range of one thread and its private scratch memory, see ../kernelThreads.ts. Direct 3D 'same' convolutions, stride 1, any odd kernel k and dilation, on
// channels-last volumes [N, D, H, W, C], for the forward pass, the input gradient (the same kernel with
// the spatially flipped, channel-swapped weights) and the filter gradient.
//
// Why direct instead of im2col + matMul: at the full-resolution level the patch matrix is 27× the input
// and writing it cost more than the multiply. Why row ranges: a "row" is one (n, z, y) line of W
// voxels; each thread of the caller's pool takes a contiguous range of rows, in one shared memory.
//
// Vector loads of weights and dy read 4 output channels at the natural Co stride, unaligned; when Co is
// not a multiple of 4 the last load also reads the next voxel's (or the 16 bytes of slack after the
// buffer), which only fills accumulator lanes ≥ Co that are never written out.

@inline
function splatAt(p: usize): v128 {
  return f32x4.splat(load<f32>(p));
}

/**
 * out rows [r0, r1) of y = conv(x, w): x [N,D,H,W,ci], w [k,k,k,ci,co], out [N,D,H,W,co].
 * acc: thread-private scratch of W·coPad floats (coPad = co rounded up to 4).
 */
export function convForwardRows(
  x: usize,
  w: usize,
  out: usize,
  D: i32,
  H: i32,
  W: i32,
  ci: i32,
  co: i32,
  k: i32,
  dil: i32,
  r0: i32,
  r1: i32,
  acc: usize,
): void {
  const coPad = (co + 3) & ~3;
  const pad = (dil * (k - 1)) >> 1;
  const co8 = co & ~7;
  const xStride = <usize>ci << 2;
  for (let r = r0; r < r1; r++) {
    const yy = r % H;
    const nz = r / H;
    const z = nz % D;
    const nBase = nz - z; // n·D
    memory.fill(acc, 0, <usize>(W * coPad) << 2);
    for (let a = 0; a < k; a++) {
      const zz = z + a * dil - pad;
      if (zz < 0 || zz >= D) continue;
      for (let b = 0; b < k; b++) {
        const yi = yy + b * dil - pad;
        if (yi < 0 || yi >= H) continue;
        const xRow = x + ((<usize>(((nBase + zz) * H + yi) * W) * ci) << 2);
        for (let c = 0; c < k; c++) {
          const off = c * dil - pad;
          const w0 = off < 0 ? -off : 0;
          const w1 = off > 0 ? W - off : W;
          const wTap = w + (<usize>(((a * k + b) * k + c) * ci * co) << 2);
          // Blocks of 8 output channels: two accumulators per voxel, the x value loaded once.
          const stride = <usize>co << 2;
          let cv = 0;
          for (; cv < co8; cv += 8) {
            // 4 voxels at a time: each weight vector loaded once for all four.
            let xw = w0;
            for (; xw + 4 <= w1; xw += 4) {
              const xp = xRow + (<usize>((xw + off) * ci) << 2);
              const ap = acc + (<usize>(xw * coPad + cv) << 2);
              const vox = <usize>coPad << 2;
              let a00 = v128.load(ap);
              let a01 = v128.load(ap, 16);
              let a10 = v128.load(ap + vox);
              let a11 = v128.load(ap + vox, 16);
              let a20 = v128.load(ap + 2 * vox);
              let a21 = v128.load(ap + 2 * vox, 16);
              let a30 = v128.load(ap + 3 * vox);
              let a31 = v128.load(ap + 3 * vox, 16);
              let wp = wTap + (<usize>cv << 2);
              let xq = xp;
              for (let c2 = 0; c2 < ci; c2++) {
                const w0v = v128.load(wp);
                const w1v = v128.load(wp, 16);
                const s0 = splatAt(xq);
                const s1 = splatAt(xq + xStride);
                const s2 = splatAt(xq + 2 * xStride);
                const s3 = splatAt(xq + 3 * xStride);
                a00 = f32x4.add(a00, f32x4.mul(s0, w0v));
                a01 = f32x4.add(a01, f32x4.mul(s0, w1v));
                a10 = f32x4.add(a10, f32x4.mul(s1, w0v));
                a11 = f32x4.add(a11, f32x4.mul(s1, w1v));
                a20 = f32x4.add(a20, f32x4.mul(s2, w0v));
                a21 = f32x4.add(a21, f32x4.mul(s2, w1v));
                a30 = f32x4.add(a30, f32x4.mul(s3, w0v));
                a31 = f32x4.add(a31, f32x4.mul(s3, w1v));
                wp += stride;
                xq += 4;
              }
              v128.store(ap, a00);
              v128.store(ap, a01, 16);
              v128.store(ap + vox, a10);
              v128.store(ap + vox, a11, 16);
              v128.store(ap + 2 * vox, a20);
              v128.store(ap + 2 * vox, a21, 16);
              v128.store(ap + 3 * vox, a30);
              v128.store(ap + 3 * vox, a31, 16);
            }
            for (; xw < w1; xw++) {
              const xp = xRow + (<usize>((xw + off) * ci) << 2);
              const ap = acc + (<usize>(xw * coPad + cv) << 2);
              let a0 = v128.load(ap);
              let a1 = v128.load(ap, 16);
              let wp = wTap + (<usize>cv << 2);
              for (let c2 = 0; c2 < ci; c2++) {
                const s = splatAt(xp + (<usize>c2 << 2));
                a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wp)));
                a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wp, 16)));
                wp += stride;
              }
              v128.store(ap, a0);
              v128.store(ap, a1, 16);
            }
          }
          for (; cv < co; cv += 4) {
            for (let xw = w0; xw < w1; xw++) {
              const xp = xRow + (<usize>((xw + off) * ci) << 2);
              const ap = acc + (<usize>(xw * coPad + cv) << 2);
              let a0 = v128.load(ap);
              let wp = wTap + (<usize>cv << 2);
              for (let c2 = 0; c2 < ci; c2++) {
                a0 = f32x4.add(a0, f32x4.mul(splatAt(xp + (<usize>c2 << 2)), v128.load(wp)));
                wp += stride;
              }
              v128.store(ap, a0);
            }
          }
        }
      }
    }
    const outRow = out + (<usize>(r * W * co) << 2);
    if (co === coPad) {
      memory.copy(outRow, acc, <usize>(W * co) << 2);
    } else {
      for (let xw = 0; xw < W; xw++)
        memory.copy(outRow + (<usize>(xw * co) << 2), acc + (<usize>(xw * coPad) << 2), <usize>co << 2);
    }
  }
}

/**
 * Adds Σ over output rows [r0, r1) of x(tap-shifted) ⊗ dy into dw [k,k,k,ci,coPad] (thread-private,
 * zeroed by the caller): dW[tap, c, o] = Σ_voxels x[voxel + tap offset, c] · dy[voxel, o].
 */
export function convFilterGradRows(
  x: usize,
  dy: usize,
  D: i32,
  H: i32,
  W: i32,
  ci: i32,
  co: i32,
  k: i32,
  dil: i32,
  r0: i32,
  r1: i32,
  dw: usize,
): void {
  const coPad = (co + 3) & ~3;
  const pad = (dil * (k - 1)) >> 1;
  const ci4 = ci & ~3;
  const co8 = co & ~7;
  const xStride = <usize>ci << 2;
  const dyStride = <usize>co << 2;
  for (let r = r0; r < r1; r++) {
    const yy = r % H;
    const nz = r / H;
    const z = nz % D;
    const nBase = nz - z;
    const dyRow = dy + (<usize>(r * W * co) << 2);
    for (let a = 0; a < k; a++) {
      const zz = z + a * dil - pad;
      if (zz < 0 || zz >= D) continue;
      for (let b = 0; b < k; b++) {
        const yi = yy + b * dil - pad;
        if (yi < 0 || yi >= H) continue;
        const xRow = x + ((<usize>(((nBase + zz) * H + yi) * W) * ci) << 2);
        for (let c = 0; c < k; c++) {
          const off = c * dil - pad;
          const w0 = off < 0 ? -off : 0;
          const w1 = off > 0 ? W - off : W;
          if (w1 <= w0) continue;
          const dwTap = dw + (<usize>(((a * k + b) * k + c) * ci * coPad) << 2);
          const xStart = xRow + (<usize>((w0 + off) * ci) << 2);
          const dyStart = dyRow + (<usize>(w0 * co) << 2);
          const n = w1 - w0;
          // 4 input × 8 output channels: 8 accumulators over the row's voxels.
          let c2 = 0;
          for (; c2 < ci4; c2 += 4) {
            let cv = 0;
            for (; cv < co8; cv += 8) {
              let s00 = f32x4.splat(0);
              let s01 = f32x4.splat(0);
              let s10 = f32x4.splat(0);
              let s11 = f32x4.splat(0);
              let s20 = f32x4.splat(0);
              let s21 = f32x4.splat(0);
              let s30 = f32x4.splat(0);
              let s31 = f32x4.splat(0);
              let xp = xStart + (<usize>c2 << 2);
              let gp = dyStart + (<usize>cv << 2);
              for (let i = 0; i < n; i++) {
                const g0 = v128.load(gp);
                const g1 = v128.load(gp, 16);
                const x0 = splatAt(xp);
                const x1 = splatAt(xp + 4);
                const x2 = splatAt(xp + 8);
                const x3 = splatAt(xp + 12);
                s00 = f32x4.add(s00, f32x4.mul(x0, g0));
                s01 = f32x4.add(s01, f32x4.mul(x0, g1));
                s10 = f32x4.add(s10, f32x4.mul(x1, g0));
                s11 = f32x4.add(s11, f32x4.mul(x1, g1));
                s20 = f32x4.add(s20, f32x4.mul(x2, g0));
                s21 = f32x4.add(s21, f32x4.mul(x2, g1));
                s30 = f32x4.add(s30, f32x4.mul(x3, g0));
                s31 = f32x4.add(s31, f32x4.mul(x3, g1));
                xp += xStride;
                gp += dyStride;
              }
              const p = dwTap + (<usize>(c2 * coPad + cv) << 2);
              const row = <usize>coPad << 2;
              v128.store(p, f32x4.add(v128.load(p), s00));
              v128.store(p, f32x4.add(v128.load(p, 16), s01), 16);
              v128.store(p + row, f32x4.add(v128.load(p + row), s10));
              v128.store(p + row, f32x4.add(v128.load(p + row, 16), s11), 16);
              v128.store(p + 2 * row, f32x4.add(v128.load(p + 2 * row), s20));
              v128.store(p + 2 * row, f32x4.add(v128.load(p + 2 * row, 16), s21), 16);
              v128.store(p + 3 * row, f32x4.add(v128.load(p + 3 * row), s30));
              v128.store(p + 3 * row, f32x4.add(v128.load(p + 3 * row, 16), s31), 16);
            }
            for (; cv < co; cv += 4) {
              let s0 = f32x4.splat(0);
              let s1 = f32x4.splat(0);
              let s2 = f32x4.splat(0);
              let s3 = f32x4.splat(0);
              let xp = xStart + (<usize>c2 << 2);
              let gp = dyStart + (<usize>cv << 2);
              for (let i = 0; i < n; i++) {
                const g = v128.load(gp);
                s0 = f32x4.add(s0, f32x4.mul(splatAt(xp), g));
                s1 = f32x4.add(s1, f32x4.mul(splatAt(xp + 4), g));
                s2 = f32x4.add(s2, f32x4.mul(splatAt(xp + 8), g));
                s3 = f32x4.add(s3, f32x4.mul(splatAt(xp + 12), g));
                xp += xStride;
                gp += dyStride;
              }
              const p = dwTap + (<usize>(c2 * coPad + cv) << 2);
              const row = <usize>coPad << 2;
              v128.store(p, f32x4.add(v128.load(p), s0));
              v128.store(p + row, f32x4.add(v128.load(p + row), s1));
              v128.store(p + 2 * row, f32x4.add(v128.load(p + 2 * row), s2));
              v128.store(p + 3 * row, f32x4.add(v128.load(p + 3 * row), s3));
            }
          }
          // Remaining input channels one at a time (e.g. the single image channel of the first conv).
          for (; c2 < ci; c2++) {
            let cv = 0;
            for (; cv < co8; cv += 8) {
              let s0 = f32x4.splat(0);
              let s1 = f32x4.splat(0);
              let xp = xStart + (<usize>c2 << 2);
              let gp = dyStart + (<usize>cv << 2);
              for (let i = 0; i < n; i++) {
                const x0 = splatAt(xp);
                s0 = f32x4.add(s0, f32x4.mul(x0, v128.load(gp)));
                s1 = f32x4.add(s1, f32x4.mul(x0, v128.load(gp, 16)));
                xp += xStride;
                gp += dyStride;
              }
              const p = dwTap + (<usize>(c2 * coPad + cv) << 2);
              v128.store(p, f32x4.add(v128.load(p), s0));
              v128.store(p, f32x4.add(v128.load(p, 16), s1), 16);
            }
            for (; cv < co; cv += 4) {
              let s0 = f32x4.splat(0);
              let xp = xStart + (<usize>c2 << 2);
              let gp = dyStart + (<usize>cv << 2);
              for (let i = 0; i < n; i++) {
                s0 = f32x4.add(s0, f32x4.mul(splatAt(xp), v128.load(gp)));
                xp += xStride;
                gp += dyStride;
              }
              const p = dwTap + (<usize>(c2 * coPad + cv) << 2);
              v128.store(p, f32x4.add(v128.load(p), s0));
            }
          }
        }
      }
    }
  }
}
