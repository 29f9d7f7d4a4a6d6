import type { Sender } from '../channels/channel.ts';
import type { Config, Destination } from '../config/config.ts';
import type { Logger } from '../log.ts';

export type Connection = { sender: Sender<unknown> } | { missing: string };

/** A configuration's connections, which a reloaded configuration may keep. */
export interface Connected {
  readonly config: Config;
  readonly connections: ReadonlyMap<string, Connection>;
}

/**
 * Connects every destination once. A destination without credentials is reported here, at start-up,
 * and its messages are logged instead of sent. With `previous` (a reload), a destination whose type
 * and settings did not change keeps its connection, and the reload is refused when it would add a
 * destination without credentials or take them from one that had them: the process cannot see a
 * variable set after it started, so that destination's messages would be logged and counted as
 * delivered until a restart, when the operator surely meant them to be sent.
 */
export function connectDestinations(config: Config, env: Readonly<Record<string, string | undefined>>, log: Logger, previous?: Connected): Map<string, Connection> {
  const out = new Map<string, Connection>();
  for (const dest of config.destinations.values()) {
    const before = previous?.config.destinations.get(dest.name);
    const kept = before && sameDestination(before, dest) ? previous!.connections.get(dest.name) : undefined;
    if (kept) {
      out.set(dest.name, kept);
      continue;
    }
    let result: ReturnType<typeof dest.kind.connect>;
    try {
      result = dest.kind.connect(dest.settings, env);
    } catch (e) {
      // A malformed URL in a variable (SMTP_URL, a webhook's): refuse to start rather than log
      // messages that should have been sent. The value itself may hold a password: never shown.
      throw new Error(`destination "${dest.name}" (${dest.type}) cannot be set up: ${(e as Error).message}; check the environment variables it uses`);
    }
    if ('missing' in result) {
      const was = previous?.connections.get(dest.name);
      if (previous && !(was && 'missing' in was)) {
        throw new Error(
          `destination "${dest.name}" (${dest.type}) has no credentials (${result.missing}) and a reload cannot give it any: ` +
            'Switchboard sees only the environment it started with; set the variable and restart it (which loads the changed rules too), or leave this destination as it was',
        );
      }
      log.warn(`destination "${dest.name}" (${dest.type}) has no credentials: ${result.missing}; its messages will be logged, not sent`);
      out.set(dest.name, result);
    } else {
      if (result.caution) log.warn(`destination "${dest.name}" (${dest.type}) ready, but ${result.caution}`);
      else log.info(`destination "${dest.name}" (${dest.type}) ready`);
      out.set(dest.name, { sender: result });
    }
  }
  if (config.unsetEnv.length > 0) log.warn('rules file refers to unset environment variables', { names: config.unsetEnv.join(',') });
  return out;
}

const sameDestination = (a: Destination, b: Destination) => a.type === b.type && JSON.stringify(a.settings) === JSON.stringify(b.settings);

/** Closes what connected senders hold open (SMTP pools). */
export async function closeDestinations(connections: ReadonlyMap<string, Connection>): Promise<void> {
  await Promise.all([...connections.values()].map((c) => ('sender' in c ? c.sender.close?.() : undefined)));
}
