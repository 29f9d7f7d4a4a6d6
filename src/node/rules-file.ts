import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { channelKinds } from '../channels/index.ts';
import { loadConfig, type LoadResult } from '../config/load.ts';
import { compileTemplate } from './template-compiler.ts';

/** Loads a rules file from disk; template files are read relative to it. */
export function loadRulesFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const full = resolve(path);
  const shown = relative(process.cwd(), full) || full;
  if (!existsSync(full)) {
    return { ok: false, errors: [{ file: shown, line: 1, col: 1, path: '', message: 'file not found' }] };
  }
  const dir = dirname(full);
  return loadConfig(readFileSync(full, 'utf8'), {
    file: shown,
    env,
    kinds: channelKinds(),
    compile: compileTemplate,
    readFile: (name) => {
      const p = isAbsolute(name) ? name : resolve(dir, name);
      return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
    },
  });
}
