import type { ChannelKind, Sender } from '../channels/channel.ts';
import type { Logic } from '../rules/condition.ts';
import type { Template } from '../template/engine.ts';
import type { EnrichTarget } from '../enrich/targets.ts';

/** A named place messages go, with its validated settings. */
export interface Destination {
  readonly name: string;
  readonly type: string;
  readonly kind: ChannelKind<unknown, unknown>;
  readonly settings: unknown;
  /** Objects fetched from the VCS CoreAPI for every message to this destination. */
  readonly enrich?: readonly EnrichTarget[];
}

/** A rule's template parts for one channel type; parts left out use the event's default. */
export type TemplateSet = ReadonlyMap<string, Template>;

export interface Rule {
  readonly name: string;
  /** Position in the file, for messages and ordering. */
  readonly index: number;
  readonly events: readonly string[];
  readonly when?: Logic;
  readonly to: readonly string[];
  /** Per channel type. */
  readonly templates: ReadonlyMap<string, TemplateSet>;
  readonly continue: boolean;
  /** Objects fetched from the VCS CoreAPI before its condition and templates run: its own and its destinations'. */
  readonly enrich?: readonly EnrichTarget[];
}

/** A loaded, validated rules file. */
export interface Config {
  readonly file: string;
  readonly timeZone: string;
  readonly knownEvents: ReadonlySet<string>;
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly rules: readonly Rule[];
  readonly partials: ReadonlyMap<string, Template>;
  /** Environment variables referenced in destinations but unset. */
  readonly unsetEnv: readonly string[];
}

export type { Sender };
