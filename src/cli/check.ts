import { formatError } from '../config/errors.ts';
import { loadRulesFile } from '../node/rules-file.ts';

/** `switchboard check [file]`: 0 when the rules file is valid, 1 with every error otherwise. */
export function check(file: string, out = console.log, err = console.error): number {
  const loaded = loadRulesFile(file);
  if (!loaded.ok) {
    for (const e of loaded.errors) err(formatError(e));
    err(`${loaded.errors.length} error(s) in ${file}`);
    return 1;
  }
  const { rules, destinations, unsetEnv } = loaded.config;
  if (unsetEnv.length > 0) out(`warning: unset environment variables: ${unsetEnv.join(', ')}`);
  out(`${file}: OK (${rules.length} rules, ${destinations.size} destinations)`);
  return 0;
}
