import { z } from 'zod';
import type { ChannelKind, Sender } from '../channel.ts';
import { escapeJson } from '../../template/escape.ts';
import { fetchPost, sendHttp, type HttpPost } from '../http-post.ts';
import { checkUrl, HTTP_PROTOCOLS } from '../url.ts';

export const webhookSettings = z.strictObject({
  url: z.string().describe('Where to POST; use ${ENV_VAR} for URLs that carry a secret.'),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers, e.g. Authorization.'),
  timeout_ms: z.number().int().positive().default(10_000),
  concurrency: z.number().int().min(1).max(256).default(16).describe('How many messages may be in flight to this URL at once.'),
});

export type WebhookSettings = z.output<typeof webhookSettings>;

export interface WebhookMessage {
  body: unknown;
}

// The default body: the event as VCS sent it, plus a one-line summary for chat-style receivers, and
// what enrichment fetched from the CoreAPI (or why it could not) when the rule asked for it; how many
// messages a throttle held back since the last one (`held`), and the incident the event opens or
// closes (`incident`: since when, for how long, how often it flapped).
const DEFAULT_BODY =
  '{"text": "{{__title}} (#{{event.object_id}}, {{date event.dt}})", "rule": "{{rule.name}}", "event": {{{json event}}}, "data": {{{json data}}}' +
  '{{#if client}}, "client": {{{json client}}}{{/if}}{{#if rate_table}}, "rate_table": {{{json rate_table}}}{{/if}}' +
  '{{#if enrichment.note}}, "enrichment_note": "{{enrichment.note}}"{{/if}}' +
  '{{#if held.count}}, "held": {{{json held}}}{{/if}}{{#if incident}}, "incident": {{{json incident}}}{{/if}} }';

// A digest: every event as VCS sent it, with its one-line summary.
const DIGEST_BODY =
  '{"text": "{{count}} × {{title}}{{#if group.label}} ({{group.label}}){{/if}}", "rule": "{{rule.name}}", "digest": true, "count": {{count}}, "group": "{{group.label}}", ' +
  '"events": [{{#each events}}{{#unless @first}}, {{/unless}}{"event": {{{json event}}}, "data": {{{json data}}}, "summary": "{{summary}}"}{{/each}}] }';

function httpSender(settings: WebhookSettings, post: HttpPost): Sender<WebhookMessage> {
  return {
    send: (message) =>
      sendHttp(post, {
        url: settings.url,
        method: settings.method,
        headers: { 'content-type': 'application/json', 'user-agent': 'switchboard', ...settings.headers },
        body: JSON.stringify(message.body),
        timeoutMs: settings.timeout_ms,
      }),
  };
}

export function webhookChannel(runtime: { post?: HttpPost } = {}): ChannelKind<WebhookSettings, WebhookMessage> {
  return {
    type: 'webhook',
    settings: webhookSettings as unknown as z.ZodType<WebhookSettings>,
    parts: { body: { escape: escapeJson, description: 'the JSON body; payload values are JSON-string escaped' } },
    defaults: (title) => ({ body: DEFAULT_BODY.replace('{{__title}}', title) }),
    digestDefaults: () => ({ body: DIGEST_BODY }),
    build(rendered) {
      try {
        return { body: JSON.parse(rendered.body ?? '') };
      } catch (e) {
        throw new Error(`the rendered webhook body is not valid JSON: ${(e as Error).message}`);
      }
    },
    fallback: (text) => ({ body: { text, fallback: true } }),
    concurrency: (s) => s.concurrency,
    connect(settings) {
      if (!settings.url) return { missing: 'its url is empty' };
      checkUrl(settings.url, 'its url', HTTP_PROTOCOLS);
      return httpSender(settings, runtime.post ?? fetchPost());
    },
  };
}
