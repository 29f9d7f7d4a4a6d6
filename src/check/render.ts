import { overLimits } from '../channels/slack/limits.ts';
import type { Config, Rule } from '../config/config.ts';
import type { Path } from '../config/errors.ts';
import type { MessageRenderer } from '../template/messages.ts';
import type { Sample } from './samples.ts';

/** A problem found by rendering samples, with the samples it happened for. */
export interface RenderProblem {
  readonly severity: 'error' | 'warning';
  readonly path: Path;
  /** Filled in with the samples' names: "does not render for {samples}: ...". */
  readonly message: (samples: string) => string;
  readonly samples: string[];
}

/** Template errors the name check has already reported better (with a position and a suggestion). */
export type Reported = (rule: Rule, type: string, error: string) => boolean;

/**
 * Renders each rule's message for each destination and each sample it can receive, as the server
 * would: run-time template errors, messages the channel cannot build, and Slack's limits.
 */
export function renderSamples(config: Config, renderer: MessageRenderer, samplesOf: (rule: Rule) => readonly Sample[], reported: Reported): { problems: RenderProblem[]; messages: number } {
  const problems = new Map<string, RenderProblem>();
  const add = (severity: RenderProblem['severity'], path: Path, text: string, sample: Sample, message = (s: string) => `does not render for ${s}: ${text}`) => {
    const key = `${severity} ${path.join('.')} ${text}`;
    const p = problems.get(key) ?? { severity, path, message, samples: [] };
    p.samples.push(sample.label);
    problems.set(key, p);
  };
  let messages = 0;
  for (const rule of config.rules) {
    const at = (type: string, part?: string): Path => partPath(rule, type, part);
    for (const sample of samplesOf(rule)) {
      for (const name of rule.to) {
        const dest = config.destinations.get(name)!;
        messages++;
        const context = { event: sample.envelope.event, data: sample.envelope.data };
        const parts = renderer.renderParts(rule, dest, sample.eventId, context);
        if (!parts.ok) {
          if (!reported(rule, dest.type, parts.error)) add('error', parts.own ? at(dest.type, parts.part) : ['rules', rule.index], parts.error, sample);
          continue;
        }
        try {
          dest.kind.build(parts.parts, dest.settings);
        } catch (e) {
          add('error', at(dest.type), (e as Error).message, sample);
          continue;
        }
        if (dest.type === 'slack') slackLimits(rule, parts.parts, sample, add);
      }
    }
    if (rule.group) digests(config, renderer, rule, samplesOf(rule), add);
  }
  return { problems: [...problems.values()], messages };
}

/** A rule's digest for each destination, of all the samples it can take at once. */
function digests(config: Config, renderer: MessageRenderer, rule: Rule, samples: readonly Sample[], add: (s: 'error', p: Path, t: string, x: Sample) => void): void {
  if (samples.length === 0) return;
  const sample = { ...samples[0]!, label: `a digest of ${samples.length === 1 ? samples[0]!.label : `the samples of its ${samples.length} events`}` };
  for (const name of rule.to) {
    const dest = config.destinations.get(name)!;
    const own = rule.group!.digest.get(dest.type);
    const at = (part?: string): Path => (own && part !== undefined && own.has(part) ? ['rules', rule.index, 'digest', dest.type, part] : own ? ['rules', rule.index, 'digest', dest.type] : ['rules', rule.index]);
    const parts = renderer.renderDigestParts(rule, dest, samples.map((s) => ({ context: { event: s.envelope.event, data: s.envelope.data } })), { label: 'group' });
    if (!parts.ok) {
      add('error', at(parts.own ? parts.part : undefined), parts.error, sample);
      continue;
    }
    try {
      dest.kind.build(parts.parts, dest.settings);
    } catch (e) {
      add('error', at(), (e as Error).message, sample);
    }
  }
}

/** A rule's own template part (its only one when none is named), else its template for the type, else the rule. */
function partPath(rule: Rule, type: string, part?: string): Path {
  const own = rule.templates.get(type);
  if (!own || own.size === 0) return ['rules', rule.index];
  const named = part ?? (own.size === 1 ? [...own.keys()][0] : undefined);
  return named !== undefined && own.has(named) ? ['rules', rule.index, 'template', type, named] : ['rules', rule.index, 'template', type];
}

function slackLimits(rule: Rule, parts: Record<string, string>, sample: Sample, add: (s: 'warning', p: Path, t: string, x: Sample, m: (s: string) => string) => void): void {
  let blocks: Record<string, unknown>[] | undefined;
  try {
    const parsed: unknown = parts.blocks?.trim() ? JSON.parse(parts.blocks) : undefined;
    blocks = Array.isArray(parsed) ? parsed : ((parsed as { blocks?: Record<string, unknown>[] } | undefined)?.blocks ?? undefined);
  } catch {
    blocks = undefined; // reported by build()
  }
  for (const over of overLimits(parts.text ?? '', blocks)) {
    const path = partPath(rule, 'slack', over.startsWith('the text') ? 'text' : 'blocks');
    add('warning', path, over, sample, (s) => `for ${s} the message would be cut: ${over}`);
  }
}
