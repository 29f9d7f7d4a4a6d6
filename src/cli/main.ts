import { parseArgs } from 'node:util';
import { runServer } from '../node/serve.ts';
import { check } from './check.ts';
import { explain, listEvents, purgeDead, replay } from './operators.ts';
import { testPayload } from './test.ts';

const USAGE = `usage: switchboard <command>

  serve                      receive VCS events and deliver them (PORT, HOST, RULES_FILE)
  check [rules.yaml]         validate a rules file; exit 1 with every error
  test <payload.json>        show which rules match a payload and the messages; sends nothing
                             [--rules rules.yaml]
  events [--status S] [--since 6h] [--limit N] [--json]
                             received events, newest first; S is delivered, pending, failed,
                             dead, unrouted or duplicate
  explain <id> [--json]      why an event was or was not sent: rules, messages, every attempt
  replay <id> | --dead       send an event's failed or dead deliveries again, or every dead one
  purge --dead               forget dead deliveries
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      rules: { type: 'string' },
      status: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      dead: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
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
    case 'events':
      return listEvents(values);
    case 'explain':
      if (!positionals[0]) break;
      return explain(positionals[0], values.json ?? false);
    case 'replay':
      return replay(positionals[0], values.dead ?? false);
    case 'purge':
      if (!values.dead) break;
      return purgeDead();
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
