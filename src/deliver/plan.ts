import type { Config, Rule } from '../config/config.ts';
import type { ReceivedEvent } from '../http/app.ts';
import { Router } from '../rules/router.ts';
import type { TemplateCompiler } from '../template/engine.ts';
import { MessageRenderer } from '../template/messages.ts';

/** Why a delivery waits, or was held back for good. */
export type HoldKind = 'group' | 'window' | 'flap' | 'throttle' | 'damped';

/** One message for one destination, ready to send. */
export interface PlannedDelivery {
  readonly rule: string;
  readonly destination: string;
  readonly type: string;
  readonly message: unknown;
  /** Set when the rule's template failed and `message` is the plain fallback. */
  readonly renderError?: string;
  // What hold decisions (hold/decide.ts) add; a plan without them is sent at once.
  /** `held`: waits (a group, a send window, flap damping); `suppressed`: held back for good. */
  readonly status?: 'pending' | 'held' | 'suppressed';
  readonly hold?: HoldKind;
  /** Why, as `explain` shows it. */
  readonly note?: string;
  /** When it is due (a held one: when it is released). */
  readonly nextAt?: number;
  /** From when its maximum age counts, when not from the event's arrival. */
  readonly createdAt?: number;
  /** The group it waits in. */
  readonly group?: { readonly key: string; readonly label: string; readonly waitMs: number; readonly intervalMs: number };
  /** What its message was rendered from: a digest renders grouped deliveries again from it. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** The incident it opens or closes. */
  readonly incident?: { readonly name: string; readonly key: string };
  /** The event whose delivery to the same destination this one answers (a thread reply). */
  readonly replyToEvent?: string;
}

/** What routing decided for an event, and why. */
export interface Plan {
  readonly matched: readonly string[];
  readonly skipped: ReadonlyArray<{ rule: string; reason: string }>;
  readonly deliveries: readonly PlannedDelivery[];
}

/** How many event ids outside the catalog a planner remembers having warned of: a sender making up ids cannot grow it. */
const UNKNOWN_IDS_KEPT = 100;

/** Routing and rendering for one configuration: turns a received event into deliveries. */
export class Planner {
  readonly router: Router;
  readonly renderer: MessageRenderer;
  private readonly unknownSeen = new Set<string>();

  constructor(
    readonly config: Config,
    compile: TemplateCompiler,
  ) {
    this.router = new Router(config);
    this.renderer = new MessageRenderer(config, compile);
  }

  /** What conditions and templates see: `{event, data}` and what enrichment added. */
  static context(event: Pick<ReceivedEvent, 'envelope'>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { event: event.envelope.event, data: event.envelope.data, ...extra };
  }

  plan(event: Pick<ReceivedEvent, 'eventId' | 'envelope'>, extra: Record<string, unknown> = {}): Plan {
    const context = Planner.context(event, extra);
    const { matched, skipped } = this.router.route(event.eventId, context);
    const deliveries: PlannedDelivery[] = [];
    for (const rule of matched) {
      for (const name of rule.to) deliveries.push(this.deliver(rule, name, event.eventId, context));
    }
    return {
      matched: matched.map((r) => r.name),
      skipped: skipped.map((s) => ({ rule: s.rule.name, reason: s.reason })),
      deliveries,
    };
  }

  /**
   * True the first time an event id this configuration does not know (neither in VCS's catalog nor
   * under extra_events) is seen: said once, since VCS sends the same id again and again.
   */
  firstSightOfUnknown(eventId: string): boolean {
    if (this.config.knownEvents.has(eventId) || this.unknownSeen.has(eventId) || this.unknownSeen.size >= UNKNOWN_IDS_KEPT) return false;
    this.unknownSeen.add(eventId);
    return true;
  }

  /** A rule's message for one of its destinations; the plain fallback when its template fails. */
  deliver(rule: Rule, name: string, eventId: string, context: Record<string, unknown>): PlannedDelivery {
    const destination = this.config.destinations.get(name)!;
    const rendered = this.renderer.render(rule, destination, eventId, context);
    const base = { rule: rule.name, destination: name, type: destination.type };
    if (rendered.ok) return { ...base, message: rendered.message };
    const { events_id, object_id, dt } = context.event as { events_id: string; object_id: unknown; dt: string };
    const subject = `VCS event ${events_id} for object ${String(object_id)} (message could not be rendered)`;
    const text =
      `VCS event ${events_id} for object ${String(object_id)} at ${dt}.\n` +
      `Switchboard could not render rule "${rule.name}" for destination "${name}": ${rendered.error}`;
    return { ...base, message: destination.kind.fallback(text, subject), renderError: rendered.error };
  }
}
