import { LogLevel, WebClient, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIHTTPError } from '@slack/web-api';
import { z } from 'zod';
import type { ChannelKind, DetailLine, Environment, Sender } from '../channel.ts';
import { escapeSlack, escapeSlackJson } from '../../template/escape.ts';
import { fetchPost, sendHttp, type HttpPost } from '../http-post.ts';
import { httpOutcome, networkOutcome, retry, sent, slackOutcome } from '../outcome.ts';
import { checkUrl, HTTP_PROTOCOLS } from '../url.ts';
import { fitBlocks, fitText40k, overLimits } from './limits.ts';

export const slackSettings = z
  .strictObject({
    channel: z.string().optional().describe('Channel id or name for chat.postMessage, e.g. "#rate-desk" or "C0123456789".'),
    webhook_url: z.string().optional().describe('A Slack incoming-webhook URL, instead of a bot token and channel.'),
    token_env: z.string().default('SLACK_BOT_TOKEN').describe('The environment variable holding the bot token.'),
    username: z.string().optional(),
    icon_emoji: z.string().optional(),
    pace_ms: z
      .number()
      .int()
      .min(0)
      .default(1_000)
      .describe('Minimum time between two messages to the same channel; Slack allows about one per second.'),
  })
  .refine((s) => s.channel !== undefined || s.webhook_url !== undefined, {
    message: 'a slack destination needs "channel" (with a bot token) or "webhook_url"',
  });

export type SlackSettings = z.output<typeof slackSettings>;

export interface SlackMessage {
  text: string;
  blocks?: Record<string, unknown>[];
}

const REQUEST_TIMEOUT_MS = 10_000;

function defaultText(title: string, details: readonly DetailLine[]): string {
  const lines = details.map((d) => `{{#if ${d.when}}}• *${d.label}:* ${d.value}\n{{/if}}`).join('');
  return `*${title}*\n${lines}_{{date event.dt}} · VCS event {{event.events_id}}_`;
}

function parseBlocks(source: string): Record<string, unknown>[] | undefined {
  if (source.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (e) {
    throw new Error(`the rendered "blocks" template is not valid JSON: ${(e as Error).message}`);
  }
  const blocks = Array.isArray(parsed) ? parsed : (parsed as { blocks?: unknown })?.blocks;
  if (!Array.isArray(blocks)) throw new Error('the rendered "blocks" template must be a JSON array of blocks');
  return blocks as Record<string, unknown>[];
}

// One line per event; Slack's 40,000 characters hold about 150 of them.
const DIGEST_TEXT =
  '*{{count}} × {{title}}*{{#if group.label}} · {{group.label}}{{/if}}\n{{#each events}}• {{line}}\n{{/each}}_{{date first_dt}}{{#if (ne (date first_dt) (date last_dt))}} – {{date last_dt}}{{/if}} · rule {{rule.name}}_';

/** chat.postMessage through @slack/web-api; our dispatcher owns retries, so the client never waits. */
function botSender(settings: SlackSettings, token: string, env: Environment, fetchFn?: typeof fetch): Sender<SlackMessage> {
  const client = new WebClient(token, {
    slackApiUrl: env.SLACK_API_URL || undefined,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: REQUEST_TIMEOUT_MS,
    // Failures are returned as results and logged by the dispatcher; the client's own log is noise.
    logLevel: LogLevel.ERROR,
    ...(fetchFn ? { fetch: fetchFn } : {}),
  });
  return {
    async send(message, meta) {
      try {
        const res = await client.chat.postMessage({
          channel: settings.channel!,
          text: message.text,
          ...(meta?.replyTo ? { thread_ts: meta.replyTo } : {}),
          ...(message.blocks ? { blocks: message.blocks as never } : {}),
          ...(settings.username ? { username: settings.username } : {}),
          ...(settings.icon_emoji ? { icon_emoji: settings.icon_emoji } : {}),
          unfurl_links: false,
          unfurl_media: false,
        });
        return sent(`ts=${res.ts ?? ''}`, res.ts);
      } catch (e) {
        if (e instanceof WebAPIRateLimitedError) return retry('Slack error: ratelimited', e.retryAfter * 1000);
        if (e instanceof WebAPIPlatformError) return slackOutcome(e.data.error);
        if (e instanceof WebAPIHTTPError) return httpOutcome(e.statusCode, e.statusMessage, e.headers['retry-after']);
        return networkOutcome((e as { original?: unknown }).original ?? e);
      }
    },
  };
}

/**
 * A Slack incoming webhook: a JSON POST like any other webhook's. It answers plain text: "ok", or
 * an error such as "invalid_payload".
 */
function webhookSender(url: string, post: HttpPost): Sender<SlackMessage> {
  return {
    send: (message) => sendHttp(post, { url, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message), timeoutMs: REQUEST_TIMEOUT_MS }),
  };
}

/** Options a runtime passes in: Workers needs its own fetch wrapper for the Web API client (see README, Workers). */
export interface SlackRuntime {
  fetch?: typeof fetch;
  /** How incoming webhooks are posted (as webhooks are). */
  post?: HttpPost;
}

export function slackChannel(runtime: SlackRuntime = {}): ChannelKind<SlackSettings, SlackMessage> {
  return {
    type: 'slack',
    settings: slackSettings as unknown as z.ZodType<SlackSettings>,
    parts: {
      text: { escape: escapeSlack, description: 'mrkdwn text; also the notification fallback when blocks are given' },
      blocks: { escape: escapeSlackJson, description: 'Block Kit: a JSON array of blocks' },
    },
    defaults: (title, details) => ({ text: defaultText(title, details) }),
    digestDefaults: () => ({ text: DIGEST_TEXT }),
    cuts(rendered) {
      let blocks: Record<string, unknown>[] | undefined;
      try {
        blocks = parseBlocks(rendered.blocks ?? '');
      } catch {
        return false; // not a message at all: build says why
      }
      return overLimits(rendered.text ?? '', blocks).length > 0;
    },
    build(rendered) {
      const blocks = parseBlocks(rendered.blocks ?? '');
      const text = fitText40k(rendered.text ?? '');
      if (text.trim() === '' && !blocks) throw new Error('the rendered Slack message is empty');
      return blocks ? { text, blocks: fitBlocks(blocks) } : { text };
    },
    fallback: (text) => ({ text: escapeSlack(text) }),
    concurrency: () => 1,
    pacing: (s) => ({ key: `slack ${s.channel ?? s.webhook_url}`, intervalMs: s.pace_ms }),
    connect(settings, env) {
      if (settings.webhook_url) {
        checkUrl(settings.webhook_url, 'its webhook_url', HTTP_PROTOCOLS);
        return webhookSender(settings.webhook_url, runtime.post ?? fetchPost(runtime.fetch));
      }
      const token = env[settings.token_env];
      if (!token) return { missing: `${settings.token_env} is not set` };
      if (env.SLACK_API_URL) checkUrl(env.SLACK_API_URL, 'SLACK_API_URL', HTTP_PROTOCOLS);
      return botSender(settings, token, env, runtime.fetch);
    },
  };
}
