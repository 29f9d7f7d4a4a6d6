import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runServer } from '../node/serve.ts';
import { check } from './check.ts';
import { EXIT } from './exit.ts';
import { explain, listEvents, purgeDead, replay } from './operators.ts';
import { samples } from './samples.ts';
import { testPayloads } from './test.ts';
import { runCases } from './test-cases.ts';

const USAGE = `usage: switchboard <command> [options]

  serve                      receive VCS events and deliver them (PORT, HOST, RULES_FILE);
                             rules.yaml and its templates are reloaded when they change
  check [rules.yaml]         validate a rules file, render every template against a sample of
                             each event its rule takes, list unset environment variables
                             [--samples file|folder]... more payloads to check templates against
                             [--strict] warnings count as problems   [--json]
  test <payload.json | folder | events_id>...
                             which rules take each payload and why (the false part of each
                             condition), and the messages; sends nothing
                             [--rules rules.yaml]   [--json]
  test --cases cases.yaml    run test cases (payload → expected rules and destinations)
                             [--rules rules.yaml]   [--json]
  samples [events_id]        the 22 event ids, or the built-in sample payload of one
  events [--status S] [--since 6h] [--limit N] [--json]
                             received events, newest first; S is received, delivered,
                             pending, failed, dead, unrouted, duplicate, held or suppressed
  explain <id> [--json]      why an event was or was not sent: rules, messages, every attempt
  replay <id> | --dead | --failed [--destination NAME [--to NAME]]
                             send an event's failed or dead deliveries again, or every dead or
                             every failed one (of one destination): a recovered destination's
                             backlog goes now instead of at each delivery's next retry; --to
                             sends them to another destination (the first was renamed)
  purge --dead               forget dead deliveries

check and test read --rules, else $RULES_FILE, else ./rules.yaml; events, explain, replay and
purge read the database under DATA_DIR.
exit codes: 0 ok, 1 problems found, 2 usage error
`;

type Options = NonNullable<ParseArgsConfig['options']>;
const json = { type: 'boolean' } as const;
const rules = { type: 'string' } as const;

/** The options each command takes; anything else is a usage error. */
const OPTIONS: Record<string, Options> = {
  serve: {},
  check: { rules, json, strict: { type: 'boolean' }, samples: { type: 'string', multiple: true } },
  test: { rules, json, cases: { type: 'string' } },
  samples: {},
  events: { status: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' }, json },
  explain: { json },
  replay: { dead: { type: 'boolean' }, failed: { type: 'boolean' }, destination: { type: 'string' }, to: { type: 'string' } },
  purge: { dead: { type: 'boolean' } },
};

type Values = { [key: string]: string | boolean | string[] | undefined };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return EXIT.ok;
  }
  const options = OPTIONS[command];
  if (!options) return usage(`unknown command "${command}"`);
  // A reader that goes away (`switchboard samples | head -1`) ends the command quietly; the server
  // keeps its own behaviour.
  if (command !== 'serve') exitQuietlyOnClosedPipe();
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    return usage(argumentError(e as Error & { code?: string }, command, Object.keys(options)));
  }
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  // An empty RULES_FILE is unset, as for `serve` (settings.ts) and the Worker's build.
  const rulesFile = (values.rules as string | undefined) ?? (process.env.RULES_FILE || 'rules.yaml');
  const str = (name: string) => values[name] as string | undefined;
  switch (command) {
    case 'serve':
      return (await runServer()) ?? -1;
    case 'check':
      if (positionals.length > 1) return usage('check takes one rules file');
      return check(positionals[0] ?? rulesFile, { json: values.json === true, strict: values.strict === true, samples: (values.samples as string[] | undefined) ?? [] });
    case 'test':
      if (str('cases') !== undefined) {
        if (positionals.length > 0) return usage('test takes payloads or --cases, not both');
        return runCases(str('cases')!, rulesFile, { json: values.json === true });
      }
      if (positionals.length === 0) return usage('test needs a payload file, a folder of them or an event id');
      return testPayloads(positionals, rulesFile, { json: values.json === true });
    case 'samples':
      if (positionals.length > 1) return usage('samples takes at most one event id');
      return samples(positionals[0]);
    case 'events':
      if (positionals.length > 0) return usage(`events takes no arguments, got "${positionals[0]}"; filter with --status, --since and --limit`);
      return listEvents(values as { status?: string; since?: string; limit?: string; json?: boolean });
    case 'explain':
      if (!positionals[0]) return usage('explain needs an event id');
      if (positionals.length > 1) return usage('explain takes one event id');
      return explain(positionals[0], values.json === true);
    case 'replay':
      return replay(positionals, {
        dead: values.dead === true,
        failed: values.failed === true,
        destination: typeof values.destination === 'string' ? values.destination : undefined,
        to: typeof values.to === 'string' ? values.to : undefined,
      });
    case 'purge':
      if (!values.dead) return usage('purge needs --dead');
      if (positionals.length > 0) return usage('purge --dead takes no arguments');
      return purgeDead();
  }
  return usage(`unknown command "${command}"`);
}

function usage(problem: string): number {
  console.error(`switchboard: ${problem}\nRun "switchboard help" for the commands and their options.`);
  return EXIT.usage;
}

function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(process.exitCode ?? EXIT.ok);
    });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps running (-1); other commands exit with their code.
    if (code >= 0) process.exitCode = code;
  },
  (e) => {
    console.error(`switchboard: ${(e as Error).message}`);
    process.exitCode = EXIT.problems;
  },
);

/** parseArgs' own message for an unknown option suggests `--` and leaves a quote open; this names what the command takes. */
function argumentError(e: Error & { code?: string }, command: string, options: readonly string[]): string {
  const option = /^Unknown option '([^']+)'/.exec(e.message)?.[1];
  if (e.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || option === undefined) return e.message;
  const takes = options.length > 0 ? `; it takes ${options.map((o) => `--${o}`).join(', ')}` : '';
  return `${command} has no option ${option}${takes}`;
}
