import { parseArgs } from 'node:util';
import { runServer } from '../node/serve.ts';
import { check } from './check.ts';
import { testPayload } from './test.ts';

const USAGE = `usage: switchboard <command>

  serve                      receive VCS events and deliver them (PORT, HOST, RULES_FILE)
  check [rules.yaml]         validate a rules file; exit 1 with every error
  test <payload.json>        show which rules match a payload and the messages; sends nothing
                             [--rules rules.yaml]
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { rules: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const rulesFile = values.rules ?? process.env.RULES_FILE ?? 'rules.yaml';
  switch (command) {
    case 'serve':
      return (await runServer()) ?? -1;
    case 'check':
      return check(positionals[0] ?? rulesFile);
    case 'test':
      if (!positionals[0]) break;
      return testPayload(positionals[0], rulesFile);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps running (-1); other commands exit with their code.
    if (code >= 0) process.exitCode = code;
  },
  (e) => {
    console.error(`switchboard: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
