import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { channelKinds } from '../channels/index.ts';
import { loadConfig, type LoadResult } from '../config/load.ts';
import type { TemplateCompiler } from '../template/engine.ts';
import { nodeHttpPost } from './http-post.ts';
import { compileTemplate } from './template-compiler.ts';

/** A rules file read from disk, with every file it uses. */
export interface RulesFileLoad {
  readonly result: LoadResult;
  /** The rules file's text ('' when it does not exist). */
  readonly source: string;
  /** Whether the rules file exists (and could be read); when not, `result` says "file not found". */
  readonly found: boolean;
  /** A short hash of the rules file and the template files it uses: it changes when any of them does. */
  readonly version: string;
  /** Absolute paths of the rules file and of each template file it names, whether it exists or not. */
  readonly files: readonly string[];
  /** Reads a template file named as in the rules file, as the loader read it. */
  readonly readFile: (name: string) => string | undefined;
  /** A template file's name as messages show it: relative to the working folder. */
  readonly showFile: (name: string) => string;
}

/** Loads a rules file from disk; template files are read relative to it. */
export function loadRulesFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  return readRulesFile(path, env).result;
}

export interface RulesFileOptions {
  /** Default: compile on Node. The Workers build records what it precompiles. */
  compile?: TemplateCompiler;
  /** Told of every template file the loader reads, by the name rules.yaml gives it. */
  onRead?: (name: string, text: string) => void;
}

/** Loads a rules file from disk and tells which files it used, and their version. */
export function readRulesFile(path: string, env: NodeJS.ProcessEnv = process.env, options: RulesFileOptions = {}): RulesFileLoad {
  const full = resolve(path);
  const dir = dirname(full);
  const contents = new Map<string, string | undefined>([[full, readText(full)]]);
  const absolute = (name: string) => (isAbsolute(name) ? name : resolve(dir, name));
  const readFile = (name: string) => {
    const p = absolute(name);
    if (!contents.has(p)) contents.set(p, readText(p));
    const text = contents.get(p);
    if (text !== undefined) options.onRead?.(name, text);
    return text;
  };
  const showFile = (name: string) => shown(absolute(name));
  const source = contents.get(full);
  const result: LoadResult =
    source === undefined
      ? { ok: false, errors: [{ file: shown(full), line: 1, col: 1, path: '', message: 'file not found' }] }
      : loadConfig(source, { file: shown(full), env, kinds: channelKinds({ post: nodeHttpPost }), compile: options.compile ?? compileTemplate, readFile, showFile });
  return { result, source: source ?? '', found: source !== undefined, version: versionOf(contents), files: [...contents.keys()], readFile, showFile };
}

/** The version the files have on disk now: equal to a load's `version` when none of them changed. */
export function currentVersion(files: readonly string[]): string {
  return versionOf(new Map(files.map((f) => [f, readText(f)])));
}

// Names relative to the rules file, so that the same files have the same version wherever they are.
function versionOf(contents: ReadonlyMap<string, string | undefined>): string {
  const hash = createHash('sha256');
  const dir = dirname([...contents.keys()][0] ?? '');
  for (const [file, text] of contents) hash.update(`${relative(dir, file)}\0${text === undefined ? '\u0001missing' : text}\0`);
  return hash.digest('hex').slice(0, 12);
}

function readText(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined; // a folder, or unreadable: the loader says "not found"
  }
}

const shown = (full: string) => relative(process.cwd(), full) || full;
