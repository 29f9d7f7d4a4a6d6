import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENRICH = join(ROOT, 'src/enrich');
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

describe('the enrichment core', () => {
  it('runs on Workers as on Node: nothing it loads imports node:* or the Node entry, or reads process', () => {
    const entries = readdirSync(ENRICH).filter((f) => f.endsWith('.ts')).map((f) => join(ENRICH, f));
    const problems: string[] = [];
    for (const [file, specifiers] of importGraph(entries)) {
      const name = relative(ROOT, file);
      for (const s of specifiers) {
        if (s.startsWith('node:') || BUILTINS.has(s)) problems.push(`${name} imports ${s}`);
        if (resolve(dirname(file), s).startsWith(join(ROOT, 'src/node'))) problems.push(`${name} imports ${s}`);
      }
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      if (/\bprocess\./.test(code)) problems.push(`${name} reads process`);
    }
    expect(problems).toEqual([]);
  });
});
