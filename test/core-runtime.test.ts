import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const BUILTINS = new Set(builtinModules);

/** Every module the files import, followed through relative imports, with what each imports. */
function importGraph(entries: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    graph.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) queue.push(resolve(dirname(file), s));
  }
  return graph;
}

/** Every source file outside the Node entry points (src/node, src/cli) and the SQLite driver. */
function coreFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return ['node', 'cli'].includes(e.name) && dir === SRC ? [] : coreFiles(path);
    return e.name.endsWith('.ts') && path !== join(SRC, 'queue/drivers/sqlite.ts') ? [path] : [];
  });
}

describe('the runtime-neutral core', () => {
  it('runs on Workers as on Node: nothing it loads imports node:* or the Node entry points, or reads process', () => {
    const entries = coreFiles();
    expect(entries).toContain(join(SRC, 'worker/worker.ts'));
    const problems: string[] = [];
    for (const [file, specifiers] of importGraph(entries)) {
      const name = relative(ROOT, file);
      for (const s of specifiers) {
        if (s.startsWith('node:') || BUILTINS.has(s)) problems.push(`${name} imports ${s}`);
        const target = resolve(dirname(file), s);
        if (target.startsWith(join(SRC, 'node')) || target.startsWith(join(SRC, 'cli')) || target === join(SRC, 'queue/drivers/sqlite.ts')) problems.push(`${name} imports ${s}`);
      }
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      if (/\bprocess\./.test(code)) problems.push(`${name} reads process`);
    }
    expect(problems).toEqual([]);
  });
});
