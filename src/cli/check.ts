import { lint, type Finding } from '../check/lint.ts';
import { sampleFrom, type Sample } from '../check/samples.ts';
import { formatError, type ConfigError } from '../config/errors.ts';
import { readRulesFile } from '../node/rules-file.ts';
import { compileTemplate } from '../node/template-compiler.ts';
import { counted } from '../words.ts';
import { EXIT, type Out } from './exit.ts';
import { readPayloads } from './payloads.ts';

export interface CheckOptions {
  /** One JSON document on stdout instead of lines. */
  json?: boolean;
  /** Warnings fail the check too. */
  strict?: boolean;
  /** Payload files or folders to render templates with, besides the built-in samples. */
  samples?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * `switchboard check [file]`: every error at once, each with file:line:col and its YAML path, then
 * every template rendered against a sample of each event its rule takes. Exit 0 when valid, 1 with
 * problems (warnings too with --strict), 2 for a rules file or --samples path that does not exist.
 */
export function check(file: string, options: CheckOptions = {}, out: Out = console.log, err: Out = console.error): number {
  const env = options.env ?? process.env;
  const extra = ownSamples(options.samples ?? []);
  if (!extra.ok) {
    err(extra.error);
    return extra.code;
  }
  const loaded = readRulesFile(file, env);
  let findings: Finding[];
  let messages = 0;
  if (loaded.result.ok) {
    const report = lint({ config: loaded.result.config, source: loaded.source, compile: compileTemplate, readFile: loaded.readFile, showFile: loaded.showFile, env, samples: extra.samples });
    [findings, messages] = [report.findings, report.messages];
  } else findings = loaded.result.errors.map((e) => ({ ...e, severity: 'error' }));
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity === 'warning');
  const failed = errors.length > 0 || (options.strict === true && warnings.length > 0);
  // A rules file that does not exist is a command called wrongly, not a file with problems.
  const code = !loaded.found ? EXIT.usage : failed ? EXIT.problems : EXIT.ok;
  const config = loaded.result.ok ? loaded.result.config : undefined;
  if (options.json) {
    const plain = (f: Finding): ConfigError => ({ file: f.file, line: f.line, col: f.col, path: f.path, message: f.message });
    out(JSON.stringify({ file, ok: !failed, version: loaded.version, rules: config?.rules.length ?? null, destinations: config?.destinations.size ?? null, messages, errors: errors.map(plain), warnings: warnings.map(plain) }, null, 2));
    return code;
  }
  for (const f of findings) err(f.severity === 'error' ? formatError(f) : formatWarning(f));
  if (failed) err(`${counted(errors.length, 'error')}${warnings.length ? ` and ${counted(warnings.length, 'warning')}` : ''} in ${file}${errors.length === 0 ? ' (--strict)' : ''}`);
  else {
    const also = warnings.length ? ` with ${counted(warnings.length, 'warning')}` : '';
    out(`${file}: OK (${counted(config!.rules.length, 'rule')}, ${counted(config!.destinations.size, 'destination')})${also}; ${counted(messages, 'sample message')} rendered; version ${loaded.version}`);
  }
  return code;
}

/** `rules.yaml:24:10: warning: destinations.hook.url: ...`, as compilers print warnings. */
export function formatWarning(f: ConfigError): string {
  return `${f.file}:${f.line}:${f.col}: warning: ${f.path ? `${f.path}: ` : ''}${f.message}`;
}

function ownSamples(paths: readonly string[]): { ok: true; samples: Sample[] } | { ok: false; code: number; error: string } {
  const samples: Sample[] = [];
  for (const path of paths) {
    const read = readPayloads(path);
    if (!read.ok) return { ok: false, code: EXIT.usage, error: read.error };
    for (const p of read.payloads) {
      if (!p.parsed.ok) return { ok: false, code: EXIT.problems, error: `${p.source}: ${p.parsed.error}` };
      samples.push(sampleFrom(p.parsed.value, p.source));
    }
  }
  return { ok: true, samples };
}
