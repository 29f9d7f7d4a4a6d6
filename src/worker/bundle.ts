import { channelKinds, type ChannelRuntime } from '../channels/index.ts';
import { loadConfig, type LoadResult } from '../config/load.ts';
import type { TemplateCompiler, TemplateSpec } from '../template/engine.ts';

/**
 * rules.yaml and everything it uses, as the build put them into the Worker: Workers cannot read
 * files, and cannot compile templates at run time (no code generation), so every template was
 * precompiled by the build from the same sources Node compiles at start-up.
 */
export interface RulesBundle {
  /** The rules file's name, for error messages. */
  readonly file: string;
  /** What `switchboard check` prints as the version of the same files, and when the build read them: for /healthz. */
  readonly version: string;
  readonly builtAt: string;
  readonly source: string;
  /** Template files by the name rules.yaml gives them. */
  readonly files: Readonly<Record<string, string>>;
  /** Precompiled templates by their source text. */
  readonly specs: Readonly<Record<string, TemplateSpec>>;
}

/** Looks templates up in the build's precompiled set instead of compiling them. */
export function bundledCompiler(specs: RulesBundle['specs']): TemplateCompiler {
  return (source) => {
    const spec = specs[source];
    if (!spec) throw new Error('this template was not precompiled by the build; run `npm run build:worker` (wrangler does) and deploy again');
    return spec;
  };
}

/** Loads the bundled rules with the Worker's variables and secrets for `${VAR}`. */
export function loadBundle(bundle: RulesBundle, env: Readonly<Record<string, unknown>>, runtime: ChannelRuntime): LoadResult {
  return loadConfig(bundle.source, {
    file: bundle.file,
    env: stringVars(env),
    kinds: channelKinds(runtime),
    compile: bundledCompiler(bundle.specs),
    readFile: (name) => bundle.files[name],
  });
}

/** The Worker's vars and secrets (bindings left out): what `${VAR}` and credentials may name. */
export function stringVars(env: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
