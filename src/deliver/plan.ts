import type { Config } from '../config/config.ts';
import type { ReceivedEvent } from '../http/app.ts';
import { Router } from '../rules/router.ts';
import type { TemplateCompiler } from '../template/engine.ts';
import { MessageRenderer } from '../template/messages.ts';

/** One message for one destination, ready to send. */
export interface PlannedDelivery {
  readonly rule: string;
  readonly destination: string;
  readonly type: string;
  readonly message: unknown;
  /** Set when the rule's template failed and `message` is the plain fallback. */
  readonly renderError?: string;
}

/** What routing decided for an event, and why. */
export interface Plan {
  readonly matched: readonly string[];
  readonly skipped: ReadonlyArray<{ rule: string; reason: string }>;
  readonly deliveries: readonly PlannedDelivery[];
}

/** Routing and rendering for one configuration: turns a received event into deliveries. */
export class Planner {
  readonly router: Router;
  readonly renderer: MessageRenderer;

  constructor(
    readonly config: Config,
    compile: TemplateCompiler,
  ) {
    this.router = new Router(config);
    this.renderer = new MessageRenderer(config, compile);
  }

  plan(event: Pick<ReceivedEvent, 'eventId' | 'envelope'>, extra: Record<string, unknown> = {}): Plan {
    const context = { event: event.envelope.event, data: event.envelope.data, ...extra };
    const { matched, skipped } = this.router.route(event.eventId, context);
    const deliveries: PlannedDelivery[] = [];
    for (const rule of matched) {
      for (const name of rule.to) {
        const destination = this.config.destinations.get(name)!;
        const rendered = this.renderer.render(rule, destination, event.eventId, context);
        const base = { rule: rule.name, destination: name, type: destination.type };
        if (rendered.ok) {
          deliveries.push({ ...base, message: rendered.message });
          continue;
        }
        const { events_id, object_id, dt } = event.envelope.event;
        const subject = `VCS event ${events_id} for object ${object_id} (message could not be rendered)`;
        const text =
          `VCS event ${events_id} for object ${object_id} at ${dt}.\n` +
          `Switchboard could not render rule "${rule.name}" for destination "${name}": ${rendered.error}`;
        deliveries.push({ ...base, message: destination.kind.fallback(text, subject), renderError: rendered.error });
      }
    }
    return {
      matched: matched.map((r) => r.name),
      skipped: skipped.map((s) => ({ rule: s.rule.name, reason: s.reason })),
      deliveries,
    };
  }
}
