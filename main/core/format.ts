/** Sizes as every part of the app writes them (messages, CLI tables, the UI): binary units. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Code points that change how a terminal shows text rather than showing a character. */
function isControl(code: number): boolean {
  return (
    (code < 0x20 && code !== 0x09 && code !== 0x0a) ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Text that came from a file (an experiment name in a bundle, a label in dataset.json), made safe to
 * print: ANSI escapes, CR, BEL and bidirectional overrides could rewrite or disguise what a terminal
 * shows, so each is written as a visible escape such as \u{1b}.
 */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    out += isControl(code) ? `\\u{${code.toString(16)}}` : ch;
  }
  return out;
}

/**
 * The first `max` items joined, then "… and N more": a refused label map can hold thousands of
 * distinct values, which must not fill a table cell or a screen.
 */
export function cappedList(items: readonly (string | number)[], max = 10, separator = ','): string {
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)} … and ${items.length - max} more`;
}

/** A count as people read it: 1.23 M, 45.6 k, 789 (parameters, voxels). */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
