import { channelKinds } from '../../src/channels/index.ts';
import type { Config } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load.ts';
import { Planner } from '../../src/deliver/plan.ts';
import { compileTemplate } from '../../src/node/template-compiler.ts';

export interface RulesOptions {
  /** What `${NAME}` in the rules reads (nothing by default). */
  env?: Record<string, string>;
  /** Template files the rules name (none by default). */
  readFile?: (path: string) => string | undefined;
}

/** Rules given as YAML, loaded as the server loads rules.yaml; rules with errors throw them, with line and column. */
export function loadRules(yaml: string, { env = {}, readFile = () => undefined }: RulesOptions = {}): Config {
  const loaded = loadConfig(yaml, { file: 'rules.yaml', env, kinds: channelKinds(), compile: compileTemplate, readFile });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`).join('\n'));
  return loaded.config;
}

/** The planner the server would route with, for rules given as YAML. */
export const plannerFor = (yaml: string, options?: RulesOptions) => new Planner(loadRules(yaml, options), compileTemplate);
