import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { lintNames } from '../check/lint.ts';
import type { Config } from '../config/config.ts';
import { formatError } from '../config/errors.ts';
import { Planner } from '../deliver/plan.ts';
import { closeDestinations, connectDestinations, type Connection } from '../deliver/senders.ts';
import type { Logger } from '../log.ts';
import { currentVersion, readRulesFile, type RulesFileLoad } from './rules-file.ts';
import { compileTemplate } from './template-compiler.ts';

/** One loaded configuration and everything built from it; replaced as a whole on reload. */
export interface Generation {
  readonly config: Config;
  readonly planner: Planner;
  readonly connections: ReadonlyMap<string, Connection>;
  /** A hash of the rules file and its template files (`switchboard check` prints the same). */
  readonly version: string;
  readonly loadedAt: number;
}

/** The last reload that was refused, and why. */
export interface ReloadError {
  readonly at: number;
  /** The version of the files that were refused. */
  readonly version: string;
  readonly errors: readonly string[];
}

export interface LiveConfigOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Quiet time after the last change before reloading: editors save in several steps. */
  debounceMs?: number;
  /** How long replaced connections stay open for the sends still using them. */
  retireMs?: number;
  /** How often to look whether a watched folder was replaced, removed or made. */
  folderCheckMs?: number;
}

/** A watched folder: which one it was when the watch began (folderIdentity), and its watcher unless watching failed. */
interface Watched {
  readonly identity: string;
  watcher: FSWatcher | undefined;
}

export type ReloadOutcome = 'unchanged' | 'applied' | 'refused';

/**
 * The running configuration, reloaded when the rules file or a template it uses changes. A change
 * is loaded by the same loader as at start-up; when it is invalid, its errors are logged and the
 * last good configuration keeps running. Readers take `current` once per unit of work (a batch of
 * events, a dispatcher step), so a swap never mixes two configurations within one.
 */
export class LiveConfig {
  private generation: Generation;
  private refused: ReloadError | undefined;
  /** What the last attempt read, good or not: nothing to do while those files stay as they were. */
  private seen: { version: string; files: readonly string[] };
  private readonly watchers = new Map<string, Watched>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private folderCheck: ReturnType<typeof setInterval> | undefined;
  private watching = false;
  private readonly retiring = new Set<ReadonlyMap<string, Connection>>();
  /** Called after a new configuration is applied. */
  applied: () => void = () => {};

  private constructor(
    private readonly rulesFile: string,
    private readonly options: LiveConfigOptions,
    first: { config: Config; version: string; files: readonly string[] },
  ) {
    this.generation = this.build(first.config, first.version);
    this.seen = { version: first.version, files: first.files };
  }

  /** Loads the rules file; its errors when it is invalid. */
  static start(rulesFile: string, options: LiveConfigOptions): LiveConfig | { errors: string[] } {
    const load = readRulesFile(rulesFile, options.env);
    if (!load.result.ok) return { errors: load.result.errors.map(formatError) };
    logCheckErrors(load, load.result.config, options);
    return new LiveConfig(rulesFile, options, { config: load.result.config, version: load.version, files: load.files });
  }

  get current(): Generation {
    return this.generation;
  }

  /** Loads the files again if they changed; swaps the configuration when they are valid. */
  reload(): ReloadOutcome {
    if (currentVersion(this.seen.files) === this.seen.version) return 'unchanged';
    const { log, env } = this.options;
    const load = readRulesFile(this.rulesFile, env);
    this.seen = { version: load.version, files: load.files };
    if (this.watching) this.watch(); // the files it uses may have changed
    if (!load.result.ok) {
      const errors = load.result.errors.map(formatError);
      this.refused = { at: Date.now(), version: load.version, errors };
      // Named by where the errors are: an edited template that does not compile is the template's
      // fault, not rules.yaml's (each error line then says where in it, and why).
      const where = [...new Set(load.result.errors.map((e) => e.file))];
      log.error(
        `reload refused: ${where.join(' and ')} ${where.length > 1 ? 'have' : 'has'} ${errors.length} error(s); the previous rules and templates stay in force`,
        { version: this.generation.version, refused: load.version },
      );
      for (const e of errors) log.error(`not applied: ${e}`);
      return 'refused';
    }
    const previous = this.generation;
    try {
      this.generation = this.build(load.result.config, load.version, previous);
    } catch (e) {
      this.refused = { at: Date.now(), version: load.version, errors: [(e as Error).message] };
      log.error('could not apply the changed rules; still running the previous configuration', { error: (e as Error).message });
      return 'refused';
    }
    this.refused = undefined;
    this.retire(previous);
    const { config } = this.generation;
    log.info(`configuration reloaded: ${config.rules.length} rules and ${config.destinations.size} destinations`, { version: load.version, previous: previous.version });
    logCheckErrors(load, config, this.options);
    this.applied();
    return 'applied';
  }

  /**
   * Watches the folders of the rules file, of each template file it uses and `templates/` beside
   * it (folders, not files: editors replace a file rather than write it, and Kubernetes swaps a
   * ConfigMap's folder). Changes are reloaded after a quiet time. A watch follows the folder it
   * began on, so each folder's identity is looked at every second too: one renamed away and
   * replaced, removed and made again, or reached through a symlink that now points elsewhere is
   * watched afresh and its files reloaded; otherwise every later edit would go unnoticed.
   */
  watch(): void {
    this.watching = true;
    const dirs = this.folders();
    for (const [dir, w] of this.watchers) {
      if (dirs.has(dir) && w.watcher && folderIdentity(dir) === w.identity) continue;
      w.watcher?.close();
      this.watchers.delete(dir);
    }
    for (const dir of dirs) {
      const identity = folderIdentity(dir);
      if (this.watchers.has(dir) || identity === undefined) continue;
      const watched: Watched = { identity, watcher: undefined };
      this.watchers.set(dir, watched);
      try {
        const w = watch(dir, { persistent: false }, () => this.changed());
        w.on('error', (e) => {
          this.options.log.warn('stopped watching a folder for rule changes', { dir, error: e.message });
          w.close();
          if (watched.watcher === w) watched.watcher = undefined;
        });
        watched.watcher = w;
        this.options.log.info('watching for changes to the rules and templates', { dir });
      } catch (e) {
        this.options.log.warn('cannot watch a folder for rule changes; send SIGHUP to reload', { dir, error: (e as Error).message });
      }
    }
    if (!this.folderCheck) {
      this.folderCheck = setInterval(() => this.checkFolders(), this.options.folderCheckMs ?? 1_000);
      this.folderCheck.unref();
    }
  }

  /** Stops watching and closes every connection, current and retiring. */
  async close(): Promise<void> {
    this.watching = false;
    clearTimeout(this.timer);
    clearInterval(this.folderCheck);
    this.folderCheck = undefined;
    for (const w of this.watchers.values()) w.watcher?.close();
    this.watchers.clear();
    await Promise.all([...this.retiring, this.generation.connections].map((c) => closeDestinations(c)));
    this.retiring.clear();
  }

  /** For /healthz: the running version, and the last refused reload until one succeeds. */
  health(): Record<string, unknown> {
    const g = this.generation;
    const refused = this.refused;
    return {
      config: {
        file: this.rulesFile,
        version: g.version,
        loaded_at: new Date(g.loadedAt).toISOString(),
        reload_error: refused ? { at: new Date(refused.at).toISOString(), version: refused.version, errors: refused.errors } : null,
      },
    };
  }

  /** The folders to watch: those of the files the last load read, and `templates/` beside the rules file when it exists. */
  private folders(): Set<string> {
    const dirs = new Set(this.seen.files.map((f) => dirname(f)));
    const templates = join(dirname(resolve(this.rulesFile)), 'templates');
    if (existsSync(templates)) dirs.add(templates);
    return dirs;
  }

  /**
   * A folder replaced, removed or made since it was watched sends its watcher nothing more (or
   * never had one): watched afresh, and its files loaded again. A folder whose watch failed is
   * not tried again until it changes or a reload happens, so that the warning is not repeated.
   */
  private checkFolders(): void {
    const dirs = this.folders();
    const stale = [...dirs].some((d) => folderIdentity(d) !== this.watchers.get(d)?.identity) || [...this.watchers.keys()].some((d) => !dirs.has(d));
    if (!stale) return;
    this.watch();
    this.changed();
  }

  private changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.options.debounceMs ?? 150);
    this.timer.unref();
  }

  private build(config: Config, version: string, previous?: Generation): Generation {
    const connections = connectDestinations(config, this.options.env, this.options.log, previous);
    return { config, planner: new Planner(config, compileTemplate), connections, version, loadedAt: Date.now() };
  }

  /** Closes the replaced configuration's connections that the new one does not use, once sends using them are done. */
  private retire(previous: Generation): void {
    const kept = new Set(this.generation.connections.values());
    const unused = new Map([...previous.connections].filter(([, c]) => !kept.has(c)));
    if (unused.size === 0) return;
    this.retiring.add(unused);
    const timer = setTimeout(() => {
      this.retiring.delete(unused);
      void closeDestinations(unused);
    }, this.options.retireMs ?? 60_000);
    timer.unref();
  }
}

/**
 * Which folder a path names now, through symlinks: device, inode and when it was made (a folder
 * removed and made again often gets the same inode back); undefined when there is none.
 */
function folderIdentity(dir: string): string | undefined {
  try {
    const s = statSync(dir);
    return s.isDirectory() ? `${s.dev}:${s.ino}:${s.birthtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `switchboard check` finds wrong with the names in a file the loader takes: a misspelt
 * variable or key path. The server runs such a file (a field may be missing from the
 * samples and present in real events) but says so, for operators who edit rules.yaml in place and
 * never run check: a misspelt incident key would otherwise file every client under one incident.
 */
function logCheckErrors(load: RulesFileLoad, config: Config, { env, log }: LiveConfigOptions): void {
  const findings = lintNames({ config, source: load.source, compile: compileTemplate, readFile: load.readFile, showFile: load.showFile, env });
  for (const f of findings) if (f.severity === 'error') log.warn(`switchboard check finds: ${formatError(f)}`);
}
