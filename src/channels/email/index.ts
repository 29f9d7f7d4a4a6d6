import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { ChannelKind, DetailLine, Sender } from '../channel.ts';
import { escapeHtml, escapeNone } from '../../template/escape.ts';
import { networkOutcome, giveUp, sent, smtpOutcome } from '../outcome.ts';
import { checkUrl } from '../url.ts';

const addresses = z.union([z.string(), z.array(z.string())]);

export const emailSettings = z.strictObject({
  to: addresses.describe('Recipient address or list of addresses.'),
  cc: addresses.optional(),
  bcc: addresses.optional(),
  from: z.string().optional().describe('Sender; defaults to $MAIL_FROM.'),
  reply_to: z.string().optional(),
  smtp_url_env: z.string().default('SMTP_URL').describe('The environment variable holding the SMTP URL.'),
});

export type EmailSettings = z.output<typeof emailSettings>;

export interface EmailMessage {
  subject: string;
  text?: string;
  html?: string;
}

const DEFAULT_FROM = 'Switchboard <switchboard@localhost>';
const SUBJECT_MAX = 250;

const subjectOf = (title: string) =>
  `[VCS] ${title}{{#if client.name}}: {{client.name}}{{else if data.name}}: {{data.name}}{{/if}}`;

function defaultText(title: string, details: readonly DetailLine[]): string {
  const lines = details.map((d) => `{{#if ${d.when}}}${d.label}: ${d.value}\n{{/if}}`).join('');
  return `${title}\n\n${lines}\nWhen: {{date event.dt format="seconds"}}\nEvent: {{event.events_id}} (object {{event.object_id}})\n`;
}

function defaultHtml(title: string, details: readonly DetailLine[]): string {
  const rows = details
    .map((d) => `{{#if ${d.when}}}<tr><th align="left">${d.label}</th><td>${d.value}</td></tr>\n{{/if}}`)
    .join('');
  return (
    `<h2>${title}</h2>\n<table cellpadding="4">\n${rows}` +
    `<tr><th align="left">When</th><td>{{date event.dt format="seconds"}}</td></tr>\n` +
    `<tr><th align="left">Event</th><td>{{event.events_id}} (object {{event.object_id}})</td></tr>\n</table>\n`
  );
}

const DIGEST_HEAD = '{{count}} × {{title}}{{#if group.label}} ({{group.label}}){{/if}}';
const DIGEST_SUBJECT = '[VCS] {{count}} × {{title}}{{#if group.label}}: {{group.label}}{{/if}}';
const DIGEST_TEXT = `${DIGEST_HEAD}\n{{date first_dt format="seconds"}} – {{date last_dt format="seconds"}}\n\n{{#each events}}- {{line}}\n{{/each}}\nRule: {{rule.name}}\n`;
const DIGEST_HTML =
  `<h2>${DIGEST_HEAD}</h2>\n<p>{{date first_dt format="seconds"}} – {{date last_dt format="seconds"}}</p>\n<ul>\n{{#each events}}<li>{{line}}</li>\n{{/each}}</ul>\n` +
  '<p>Rule: {{rule.name}}</p>\n';

// A subject is one header line: line breaks in data must not start another header.
const oneLine = (s: string) => s.replace(/[\r\n\t\v\f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();

/** The sender's domain, for Message-IDs: `billing.example` of `Switchboard <noc@billing.example>`. */
function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)/.exec(from)?.[1] ?? 'localhost';
}

/** "x@example.com (550 5.1.1 no such user), y@example.com (450 greylisted)", from nodemailer's answer. */
function refusedRecipients(info: { rejected: unknown[]; rejectedErrors?: Array<{ recipient?: string; response?: string; message?: string }> }): string | undefined {
  const errors = info.rejectedErrors ?? [];
  if (errors.length > 0) return errors.map((e) => `${e.recipient ?? '?'} (${e.response ?? e.message ?? 'refused'})`).join(', ');
  return info.rejected.length > 0 ? info.rejected.map(String).join(', ') : undefined;
}

function smtpSender(settings: EmailSettings, smtpUrl: string, from: string): Sender<EmailMessage> {
  const transport = nodemailer.createTransport(smtpUrl, {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as never);
  return {
    async send(message, meta) {
      // Set by us and the same on every attempt: replies refer to it, and a resend after a crash
      // is recognisable as the same message.
      const messageId = meta ? `<${meta.id}@${domainOf(from)}>` : undefined;
      try {
        const info = await transport.sendMail({
          ...(messageId ? { messageId } : {}),
          ...(meta?.replyTo ? { inReplyTo: meta.replyTo, references: [meta.replyTo] } : {}),
          from,
          to: settings.to,
          cc: settings.cc,
          bcc: settings.bcc,
          replyTo: settings.reply_to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        if (info.accepted.length === 0) return giveUp(`every recipient was rejected: ${info.response}`);
        // Sent to the others: sent again, it would reach them twice. Said, so that it is seen.
        const refused = refusedRecipients(info);
        return { ...sent(info.messageId, messageId ?? info.messageId), ...(refused ? { missed: refused } : {}) };
      } catch (e) {
        const err = e as { responseCode?: number; response?: string; message?: string; code?: string };
        if (err.responseCode !== undefined) return smtpOutcome(err.responseCode, `SMTP ${err.response ?? err.message}`);
        return networkOutcome(e);
      }
    },
    async close() {
      transport.close();
    },
  };
}

export function emailChannel(): ChannelKind<EmailSettings, EmailMessage> {
  return {
    type: 'email',
    settings: emailSettings as unknown as z.ZodType<EmailSettings>,
    parts: {
      subject: { escape: escapeNone, description: 'the subject line (line breaks are removed)' },
      text: { escape: escapeNone, description: 'the plain-text part' },
      html: { escape: escapeHtml, description: 'the HTML part (payload values are HTML-escaped)' },
    },
    partGroups: [['text', 'html']],
    defaults: (title, details) => ({
      subject: subjectOf(title),
      text: defaultText(title, details),
      html: defaultHtml(title, details),
    }),
    digestDefaults: () => ({ subject: DIGEST_SUBJECT, text: DIGEST_TEXT, html: DIGEST_HTML }),
    build(rendered) {
      // Cut by characters, not UTF-16 units, so an emoji is never split in half.
      const subject = Array.from(oneLine(rendered.subject ?? '')).slice(0, SUBJECT_MAX).join('');
      if (subject === '') throw new Error('the rendered e-mail subject is empty');
      const text = rendered.text?.trim() ? rendered.text : undefined;
      const html = rendered.html?.trim() ? rendered.html : undefined;
      if (!text && !html) throw new Error('the rendered e-mail has neither a text nor an HTML part');
      return { subject, ...(text ? { text } : {}), ...(html ? { html } : {}) };
    },
    fallback: (text, subject) => ({ subject: oneLine(subject), text }),
    concurrency: () => 4,
    connect(settings, env) {
      const url = env[settings.smtp_url_env];
      if (!url) return { missing: `${settings.smtp_url_env} is not set` };
      checkUrl(url, settings.smtp_url_env, ['smtp:', 'smtps:']);
      const from = settings.from ?? env.MAIL_FROM;
      if (from) return smtpSender(settings, url, from);
      // Sent anyway: a local relay may take it. Elsewhere it is refused or taken for spam, and the
      // Message-IDs that replies refer to end in @localhost.
      const caution = `it sends as ${DEFAULT_FROM}, since neither its from nor MAIL_FROM is set; most SMTP servers refuse or flag a sender at localhost`;
      return { ...smtpSender(settings, url, DEFAULT_FROM), caution };
    },
  };
}
