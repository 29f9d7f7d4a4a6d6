import type { ChannelKind } from './channel.ts';
import type { HttpPost } from './http-post.ts';
import { emailChannel } from './email/index.ts';
import { slackChannel } from './slack/index.ts';
import { webhookChannel } from './webhook/index.ts';

/** What a runtime may change about how channels reach the network. */
export interface ChannelRuntime {
  /** Slack's Web API client needs a wrapped fetch on Workers. */
  slackFetch?: typeof fetch;
  /** How webhooks are posted: fetch unless the runtime has something cheaper (Node). */
  post?: HttpPost;
}

/** Every channel type a destination may have, by `type`. */
export function channelKinds(runtime: ChannelRuntime = {}): Map<string, ChannelKind<unknown, unknown>> {
  const kinds = [
    slackChannel({ ...(runtime.slackFetch ? { fetch: runtime.slackFetch } : {}), ...(runtime.post ? { post: runtime.post } : {}) }),
    emailChannel(),
    webhookChannel({ ...(runtime.post ? { post: runtime.post } : {}) }),
  ] as unknown as ChannelKind<unknown, unknown>[];
  return new Map(kinds.map((k) => [k.type, k]));
}
