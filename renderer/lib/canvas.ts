/** Canvas set-up shared by the canvas charts. */

/**
 * Sizes `canvas` to `size` CSS pixels at the screen's pixel density and clears it: the 2D context,
 * drawing in CSS pixels, or null where the browser gives none.
 */
export function clearedContext(
  canvas: HTMLCanvasElement,
  size: { w: number; h: number },
): CanvasRenderingContext2D | null {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(size.w * dpr);
  canvas.height = Math.round(size.h * dpr);
  canvas.style.width = `${size.w}px`;
  canvas.style.height = `${size.h}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size.w, size.h);
  return ctx;
}
