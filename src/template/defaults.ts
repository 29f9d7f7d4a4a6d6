import type { DetailLine } from '../channels/channel.ts';
import { EVENTS } from '../events/catalog.ts';

/** What a default message says about an event: a headline and labelled detail lines. */
export interface EventSummary {
  readonly title: string;
  readonly details: readonly DetailLine[];
}

const line = (label: string, when: string, value = `{{${when}}}`): DetailLine => ({ label, when, value });
// `when` goes into `{{#if}}`, which hides 0: a balance of zero is exactly what some events report.
const amount = (label: string, path: string, currency: string): DetailLine => ({
  label,
  when: `${path} includeZero=true`,
  value: `{{money ${path} ${currency}}}`,
});

// The client is named by enrichment (`client`) when present, else by the payload, else by its id.
const clientLines = [
  line('Client', 'event.object_id', '{{#if client.name}}{{client.name}} (#{{event.object_id}}){{else if data.name}}{{data.name}} (#{{event.object_id}}){{else}}#{{event.object_id}}{{/if}}'),
  amount('Balance', 'client.balance', 'client.currency'),
  amount('Credit limit', 'client.credit', 'client.currency'),
];
const clientData = [
  line('Company', 'data.companies_id'),
  line('Status', 'data.status'),
  amount('Balance', 'data.balance', 'data.currency'),
  amount('Credit limit', 'data.credit', 'data.currency'),
  line('Billing e-mail', 'data.c_email_billing'),
];
const accountLines = [
  line('Account', 'event.object_id', '{{#if data.name}}{{data.name}} (#{{event.object_id}}){{else}}#{{event.object_id}}{{/if}}'),
  line('Client', 'data.clients_id', '{{#if client.name}}{{client.name}} (#{{data.clients_id}}){{else}}#{{data.clients_id}}{{/if}}'),
  line('Authentication', 'data.auth_type'),
  line('IPs', 'data.ips', '{{join data.ips}}'),
];
const subscriptionLines = [
  line('Subscription', 'event.object_id', '#{{event.object_id}}'),
  line('Package', 'data.packages_name', '{{data.packages_name}}{{#if data.packages_id}} (#{{data.packages_id}}){{/if}}'),
  line('Client', 'data.clients_id', '{{#if client.name}}{{client.name}} (#{{data.clients_id}}){{else}}#{{data.clients_id}}{{/if}}'),
  line('Status', 'data.status'),
  line('Period', 'data.start_dt', '{{date data.start_dt format="date"}} – {{#if data.stop_dt}}{{date data.stop_dt format="date"}}{{else}}open{{/if}}'),
];
const rateMail = (box: string) => [
  line('Mailbox', `data.${box}.login`, `{{data.${box}.login}}{{#if data.${box}.host}} on {{data.${box}.host}}{{/if}}`),
  line('From', 'data.message.from'),
  line('Subject', 'data.message.subject'),
  // The event's object is the message; its id in data may be absent.
  line('Message id', 'event.object_id'),
];
const rateTables = line('Rate tables', 'data.rate_tables', '{{join data.rate_tables key="name"}}');
const importLines = [
  // The object is the import's queue item; nothing in data names it.
  line('Queue item', 'event.object_id', '#{{event.object_id}}'),
  // Named by the payload, else by enrichment (`rate_table`, from the CoreAPI).
  line(
    'Rate table',
    '(or data.rate_table_name rate_table.name)',
    '{{default data.rate_table_name rate_table.name}}{{#if data.rate_tables_id}} (#{{data.rate_tables_id}}){{/if}}',
  ),
  line('File', 'data.file_name'),
  line('Rates', 'data.rates', 'new {{default data.rates.new 0}}, increased {{default data.rates.increased 0}}, decreased {{default data.rates.decreased 0}}, unchanged {{default data.rates.unchanged 0}}'),
  line('Errors', 'data.errors', '{{join data.errors "; "}}'),
];
const customFields = line('Fields', 'data.custom_fields', '{{json data.custom_fields}}');

const DETAILS: Record<string, readonly DetailLine[]> = {
  'clients.create': [...clientLines.slice(0, 1), ...clientData],
  'clients.update': [...clientLines, line('Changed', 'data', '{{json data}}')],
  'clients.archive': clientLines,
  'clients.delete': clientLines.slice(0, 1),
  'clients.balance_zero': clientLines,
  'clients.balance_notzero': clientLines,
  'clients.custom_fields.update': [...clientLines.slice(0, 1), customFields],
  'clients.accounts.create': accountLines,
  'clients.accounts.update': [...accountLines, line('Changed', 'data', '{{json data}}')],
  'clients.accounts.delete': accountLines.slice(0, 1),
  'email_rates_manager.import': [
    ...rateMail('mailbox'),
    line('Queue item', 'data.queue.id', '#{{data.queue.id}}{{#if data.queue.status}} ({{data.queue.status}}){{/if}}'),
    line('Rate table', 'rate_table.name', '{{rate_table.name}} (#{{rate_table.id}})'),
  ],
  'email_rates_manager.rate_tables_no_match': rateMail('credentials'),
  'email_rates_manager.no_attachments': [...rateMail('credentials'), rateTables],
  'email_rates_manager.file_processing_error': [
    line('Error', 'data.error.message', '{{data.error.message}}{{#if data.error.code}} ({{data.error.code}}){{/if}}'),
    ...rateMail('credentials'),
    rateTables,
  ],
  'importd.process_success': importLines,
  'importd.process_failed': importLines,
};
for (const id of Object.keys(EVENTS)) if (id.startsWith('clients.subscriptions.')) DETAILS[id] = subscriptionLines;

// When a rule asked for details from the CoreAPI and they could not be fetched, the message says so;
// when a throttle held messages back, how many; when an incident closes, since when it was open.
const enrichmentNote = line('Note', 'enrichment.note');
const heldBack = line('Held back', 'held.count', '{{held.count}} more like this since {{date held.since}}');
const incidentSince = line('Since', 'incident.duration', '{{date incident.opened_at}} ({{incident.duration}}){{#if incident.flaps}}, flapped {{incident.flaps}} {{#if (eq incident.flaps 1)}}time{{else}}times{{/if}}{{/if}}');
const notes = [enrichmentNote, incidentSince, heldBack];
for (const id of Object.keys(DETAILS)) DETAILS[id] = [...DETAILS[id]!, ...notes];

// Unknown events (a newer VCS) still say what happened: their data's top-level fields.
const UNKNOWN: readonly DetailLine[] = [line('Object', 'event.object_id'), line('Data', 'data', '{{json data}}'), ...notes];

/** The headline and detail lines of the default message for an event id. */
export function eventSummary(eventId: string): EventSummary {
  const info = EVENTS[eventId];
  if (!info) return { title: `VCS event {{event.events_id}}`, details: UNKNOWN };
  return { title: info.title, details: DETAILS[eventId] ?? UNKNOWN };
}
