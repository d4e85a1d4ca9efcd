/**
 * The layering rule of docs/architecture.md as code: which folder may import which. Kept beside its
 * test because the rule is a property of the tree, not of the app.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Lowest first; a file may import its own layer and any layer with a smaller rank. */
export const LAYERS: ReadonlyArray<{ name: string; rank: number; match: (path: string) => boolean }> = [
  { name: 'core', rank: 0, match: (p) => p.startsWith('main/core/') },
  { name: 'nas', rank: 1, match: (p) => p.startsWith('main/nas/') },
  { name: 'data', rank: 2, match: (p) => p.startsWith('main/data/') },
  { name: 'train', rank: 3, match: (p) => p.startsWith('main/train/') },
  { name: 'compute', rank: 4, match: (p) => p.startsWith('main/compute/') },
  { name: 'store', rank: 5, match: (p) => p.startsWith('main/store/') },
  { name: 'search', rank: 6, match: (p) => p.startsWith('main/search/') },
  { name: 'engine', rank: 7, match: (p) => /^main\/[^/]+\.ts$/.test(p) },
  { name: 'server', rank: 8, match: (p) => p.startsWith('main/server/') },
  { name: 'cli', rank: 9, match: (p) => p.startsWith('main/cli/') },
];

/** What the edges outside main/ may reach inside it. */
const EDGE_RULES: ReadonlyArray<{ from: string; allowed: (target: string) => boolean; says: string }> = [
  {
    from: 'renderer/',
    allowed: (t) => !t.startsWith('main/') || t === 'main/api.ts' || t.startsWith('main/core/'),
    says: 'the renderer reaches the engine only through main/api.ts (and the vocabulary in main/core/)',
  },
  {
    from: 'electron/',
    allowed: (t) =>
      !t.startsWith('main/') ||
      t === 'main/api.ts' ||
      t === 'main/engineServices.ts' ||
      t.startsWith('main/core/'),
    says: 'the Electron shell reaches the engine only through main/api.ts and main/engineServices.ts',
  },
];

export interface ImportEdge {
  from: string;
  to: string;
}

export interface LayerViolation extends ImportEdge {
  why: string;
}

const IMPORT_RE = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const EXTENSIONS = ['', '.ts', '.tsx', '/index.ts'];

function layerOf(path: string) {
  return LAYERS.find((l) => l.match(path));
}

/** Relative imports of one source text, resolved to repository-relative paths. */
export function importsOf(file: string, source: string, exists: (path: string) => boolean): string[] {
  const targets: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const base = join(dirname(file), m[1]).split(sep).join('/');
    const hit = EXTENSIONS.map((e) => base + e).find(exists);
    targets.push(hit ?? base);
  }
  return targets;
}

/** Every edge that breaks the rule, with the reason a reader needs to fix it. */
export function layerViolations(edges: readonly ImportEdge[]): LayerViolation[] {
  const out: LayerViolation[] = [];
  for (const { from, to } of edges) {
    const src = layerOf(from);
    const dst = layerOf(to);
    if (src) {
      if (!to.startsWith('main/')) {
        if (!to.startsWith('assets/') && !to.startsWith('engines/'))
          out.push({ from, to, why: `main/ must not import outside main/, assets/ and engines/` });
      } else if (!dst) out.push({ from, to, why: `${to} is in no layer` });
      else if (dst.rank > src.rank)
        out.push({ from, to, why: `${src.name} imports ${dst.name}, a higher layer` });
      continue;
    }
    const edge = EDGE_RULES.find((r) => from.startsWith(r.from));
    if (edge && !edge.allowed(to)) out.push({ from, to, why: edge.says });
  }
  return out;
}

function walk(dir: string, root: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, root, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts'))
      out.push(relative(root, full).split(sep).join('/'));
  }
}

/** The import graph of main/, renderer/ and electron/ in a checkout. */
export function repositoryEdges(root: string): ImportEdge[] {
  const files: string[] = [];
  for (const top of ['main', 'renderer', 'electron']) walk(resolve(root, top), root, files);
  const known = new Set(files);
  const exists = (p: string) => known.has(p) || statSafe(resolve(root, p));
  return files.flatMap((from) =>
    importsOf(from, readFileSync(resolve(root, from), 'utf8'), exists).map((to) => ({ from, to })),
  );
}

function statSafe(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
