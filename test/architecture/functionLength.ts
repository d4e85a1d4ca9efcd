/**
 * Function lengths of a source tree, counted by the TypeScript parser: every function declaration,
 * method, accessor, constructor, function expression and arrow function, from its first to its last
 * line. A closure counts its nested functions too, since a reader has to hold all of it at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface FunctionSpan {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText(source);
  return '(anonymous)';
}

/** Every function of one source text with its length in lines. */
export function functionSpans(file: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ file, name: nameOf(node, source), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

/** Functions over `limit` lines in the .ts/.tsx files under `dir` (paths relative to `root`). */
export function longFunctions(root: string, dir: string, limit: number): FunctionSpan[] {
  const found: FunctionSpan[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.tsx?$/.test(entry) && !entry.endsWith('.d.ts'))
        found.push(
          ...functionSpans(relative(root, full), readFileSync(full, 'utf8')).filter((s) => s.lines > limit),
        );
    }
  };
  walk(join(root, dir));
  return found.sort((a, b) => b.lines - a.lines);
}
