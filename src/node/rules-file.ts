import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { channelKinds } from '../channels/index.ts';
import { loadConfig, type LoadResult } from '../config/load.ts';
import type { TemplateCompiler } from '../template/engine.ts';
import { compileTemplate } from './template-compiler.ts';

export interface RulesFileOptions {
  compile?: TemplateCompiler;
  /** Told of every template file read, by the name rules.yaml gives it. */
  onRead?: (name: string, text: string) => void;
}

/** Loads a rules file from disk; template files are read relative to it. */
export function loadRulesFile(path: string, env: NodeJS.ProcessEnv = process.env, options: RulesFileOptions = {}): LoadResult {
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
    compile: options.compile ?? compileTemplate,
    readFile: (name) => {
      const p = isAbsolute(name) ? name : resolve(dir, name);
      if (!existsSync(p)) return undefined;
      const text = readFileSync(p, 'utf8');
      options.onRead?.(name, text);
      return text;
    },
  });
}
