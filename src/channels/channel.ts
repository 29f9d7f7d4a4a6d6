import type { z } from 'zod';
import type { Escaper } from '../template/escape.ts';

/** The outcome of one attempt to deliver a message. */
export type SendResult =
  /**
   * `ref`: what the far end calls the message (Slack's ts, the e-mail's Message-ID), for replies to
   * it. `missed`: who did not get it and why, when it reached only some (e-mail recipients refused).
   */
  | { ok: true; info?: string; ref?: string; missed?: string }
  | { ok: false; retry: boolean; reason: string; retryAfterMs?: number };

/** What a sender may use besides the message. */
export interface SendMeta {
  /** The same on every attempt at one delivery: an e-mail's Message-ID is made from it. */
  readonly id: string;
  /** The message this one answers, as the far end calls it: sent as a thread reply (Slack) or with In-Reply-To (e-mail). */
  readonly replyTo?: string;
}

/** Something that delivers a channel's messages to one destination. */
export interface Sender<M> {
  send(message: M, meta?: SendMeta): Promise<SendResult>;
  close?(): Promise<void>;
  /** What an operator should change although the sender works (a default that servers often refuse): logged at start-up. */
  readonly caution?: string;
}

/** A template part of a channel's message (Slack `text`, e-mail `subject`, ...). */
export interface TemplatePart {
  /** How payload values are escaped in this part. */
  readonly escape: Escaper;
  readonly description: string;
}

/** What a channel reads from the environment: credentials and defaults. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * One kind of channel (slack, email, webhook). Each lives in its own folder with its settings,
 * its message shape, its default template and its sender; `channels/index.ts` lists them.
 */
export interface ChannelKind<D, M> {
  readonly type: string;
  /** The destination's settings in rules.yaml, less `type`. Unknown keys are rejected. */
  readonly settings: z.ZodType<D>;
  readonly parts: Readonly<Record<string, TemplatePart>>;
  /** Parts a rule replaces together (e-mail text and HTML): writing one drops the default of the others. */
  readonly partGroups?: readonly (readonly string[])[];
  /** Default template sources per part, from an event's title and detail lines (plain Handlebars). */
  defaults(title: string, details: readonly DetailLine[]): Record<string, string>;
  /**
   * Default template sources of a digest: one message about several events of a group. Its
   * context: `events` (each with `event`, `data`, `title`, `summary`, `line`), `count`, `title` (the
   * events' common title), `group.label`, `first_dt`, `last_dt`.
   */
  digestDefaults(): Record<string, string>;
  /**
   * Whether building these rendered parts would cut them to the channel's limits (Slack's 40,000
   * characters), hiding their end; a digest then holds fewer events. Absent: nothing is cut.
   */
  cuts?(rendered: Readonly<Record<string, string>>): boolean;
  /** Builds the message from the rendered parts; throws when a rendered part is unusable. */
  build(rendered: Readonly<Record<string, string>>, destination: D): M;
  /** How many messages one destination of this kind may have in flight at once. */
  concurrency(settings: D): number;
  /**
   * Messages that share a key (a Slack channel): spaced at least `intervalMs` apart (0: not paced),
   * and all held back by a Retry-After any of them gets.
   */
  pacing?(settings: D): { key: string; intervalMs: number } | undefined;
  /** A plain message saying what happened, for when the rule's template failed at run time. */
  fallback(text: string, subject: string): M;
  /** A sender, or the reason there is none (missing credentials): messages are then logged. */
  connect(destination: D, env: Environment): Sender<M> | { missing: string };
}

/** A "Label: value" line of a default template; `value` is a Handlebars expression source. */
export interface DetailLine {
  readonly label: string;
  readonly value: string;
  /** A path that must be truthy for the line to show. */
  readonly when: string;
}
