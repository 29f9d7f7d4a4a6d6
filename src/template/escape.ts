/** How a channel makes payload text safe inside its format. */
export type Escaper = (text: string) => string;

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };

/** HTML, as Handlebars escapes by default: for e-mail HTML parts. */
export const escapeHtml: Escaper = (s) => s.replace(/[&<>"'`=]/g, (c) => HTML[c]!);

/**
 * Slack mrkdwn: only `&`, `<` and `>` are control characters, so payload data can never become a
 * link or a mention (`<!channel>` stays text). Slack decodes exactly these three entities.
 */
export const escapeSlack: Escaper = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Plain text: e-mail text parts and subjects. */
export const escapeNone: Escaper = (s) => s;

/** Inside a JSON string literal: for templates that render JSON (webhook bodies). */
export const escapeJson: Escaper = (s) => JSON.stringify(s).slice(1, -1);

/** Slack mrkdwn inside a JSON string literal: for Block Kit templates. */
export const escapeSlackJson: Escaper = (s) => escapeJson(escapeSlack(s));
