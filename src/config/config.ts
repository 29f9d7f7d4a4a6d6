import type { ChannelKind, Sender } from '../channels/channel.ts';
import type { Logic } from '../rules/condition.ts';
import type { Template } from '../template/engine.ts';
import type { EnrichTarget } from '../enrich/targets.ts';
import type { SendWindow } from '../hold/window.ts';

/** A named place messages go, with its validated settings. */
export interface Destination {
  readonly name: string;
  readonly type: string;
  readonly kind: ChannelKind<unknown, unknown>;
  readonly settings: unknown;
  /** Objects fetched from the VCS CoreAPI for every message to this destination. */
  readonly enrich?: readonly EnrichTarget[];
  /** When it may be told things; outside, its messages wait for the window to open. */
  readonly window?: SendWindow;
}

/** A rule's template parts for one channel type; parts left out use the event's default. */
export type TemplateSet = ReadonlyMap<string, Template>;

/** `group_by`: a rule's messages collected per group key, one message or digest per interval. */
export interface Grouping {
  /** Paths into the message's context whose values make the group key; none: one group. */
  readonly by: readonly string[];
  readonly waitMs: number;
  readonly intervalMs: number;
  /** The digest's own template parts, per channel type. */
  readonly digest: ReadonlyMap<string, TemplateSet>;
}

/** `throttle`: at most `max` messages per key every `perMs`; the rest are held back and counted. */
export interface Throttle {
  readonly key: readonly string[];
  readonly max: number;
  readonly perMs: number;
}

/** Events that open and close one story per key (a client's balance at zero, then recovered). */
export interface Incident {
  readonly name: string;
  readonly opens: readonly string[];
  readonly closes: readonly string[];
  readonly key: readonly string[];
  /** A close is held this long; an open within it damps both. 0: closes go at once. */
  readonly flapMs: number;
}

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
  readonly group?: Grouping;
  readonly throttle?: Throttle;
  /** Its own send window, or 'always' to ignore its destinations' windows. */
  readonly window?: SendWindow | 'always';
  /** The name of the incident its events open or close. */
  readonly incident?: string;
}

/** A loaded, validated rules file. */
export interface Config {
  readonly file: string;
  readonly timeZone: string;
  readonly knownEvents: ReadonlySet<string>;
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly rules: readonly Rule[];
  readonly partials: ReadonlyMap<string, Template>;
  /** `incidents:` by name. */
  readonly incidents: ReadonlyMap<string, Incident>;
  /** Environment variables referenced in destinations but unset. */
  readonly unsetEnv: readonly string[];
}

export type { Sender };
