import type { SendResult } from './channel.ts';

/**
 * The one place that decides, from what a channel's far end answered, whether a delivery is done,
 * should be tried again, or has failed for good.
 */

export const sent = (info?: string, ref?: string): SendResult => ({ ok: true, ...(info ? { info } : {}), ...(ref ? { ref } : {}) });
export const retry = (reason: string, retryAfterMs?: number): SendResult => ({
  ok: false,
  retry: true,
  reason,
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});
export const giveUp = (reason: string): SendResult => ({ ok: false, retry: false, reason });

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** HTTP: 2xx sent; 408, 429 and 5xx again (honouring Retry-After); any other 4xx never. */
export function httpOutcome(status: number, detail: string, retryAfter?: string | null): SendResult {
  if (status >= 200 && status < 300) return sent(`HTTP ${status}`);
  const reason = `HTTP ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) return retry(reason, parseRetryAfter(retryAfter));
  return giveUp(reason);
}

/** SMTP reply codes: 4xx is transient by definition, 5xx permanent. */
export function smtpOutcome(responseCode: number | undefined, reason: string): SendResult {
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600) return giveUp(reason);
  return retry(reason);
}

// Slack's Web API errors that no retry can fix: the message is wrong, or we may not post it.
const SLACK_PERMANENT = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_blocks_format',
  'too_many_attachments',
  'restricted_action',
  'invalid_arguments',
]);

/** A Slack Web API `error` code. Unknown codes are retried: Slack adds codes, and most are transient. */
export function slackOutcome(error: string, retryAfterMs?: number): SendResult {
  const reason = `Slack error: ${error}`;
  if (SLACK_PERMANENT.has(error)) return giveUp(reason);
  return retry(reason, retryAfterMs);
}

/** A thrown network error, a timeout, or anything else we did not get an answer for. */
export function networkOutcome(error: unknown): SendResult {
  const e = error as NetworkError | undefined;
  const what = e?.name === 'TimeoutError' || e?.name === 'AbortError' ? 'timed out' : describeNetworkError(e) || String(error);
  return retry(`network error: ${what}`);
}

interface NetworkError {
  name?: string;
  message?: string;
  code?: string;
  cause?: NetworkError;
}

/**
 * The most specific words an error carries: fetch says only "fetch failed" and puts ECONNREFUSED in
 * its cause; nodemailer puts a generic code (ESOCKET) beside a message that names the real one.
 */
function describeNetworkError(e: NetworkError | undefined): string {
  const said: string[] = [];
  for (const part of [e?.message, e?.code, e?.cause?.message, e?.cause?.code]) {
    if (typeof part === 'string' && part && !said.some((s) => s.includes(part))) said.push(part);
  }
  return said.join(': ');
}
