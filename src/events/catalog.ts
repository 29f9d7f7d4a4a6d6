/**
 * The 22 JeraSoft VCS Provisioning API events, with a realistic sample payload for each.
 *
 * Samples follow the vendor's page where it has one and the CoreAPI structures where it is empty
 * (see README, "Events"). They feed the tests, `switchboard samples` and `switchboard check`.
 */

export interface EventInfo {
  /** What happened, in a few words: used by default templates and help output. */
  readonly title: string;
  readonly sample: Record<string, unknown>;
}

const DT = '2022-01-24T15:44:47.216756+00:00';

const mailbox = { login: 'rates@carrier.example', host: 'imap.example.net' };
const message = { from: 'Vendor Rates <rates@vendor.example>', id: '77798', subject: 'Price list update 2022-01-24' };
const rateTables = [
  { id: 74, name: 'Vendor A - Premium' },
  { id: 7, name: 'Vendor A - Standard' },
];
const client = {
  id: 12,
  name: 'ACME Telecom',
  companies_id: 3,
  balance: 0,
  credit: 500,
  currencies_id: 1,
  currency: 'USD',
  status: 'active',
  c_email_billing: 'billing@acme.example',
};
const account = {
  id: 301,
  clients_id: 12,
  name: 'acme-sip-01',
  auth_type: 'ip',
  ips: ['203.0.113.10'],
  orig_enabled: true,
  term_enabled: false,
};
const subscription = {
  id: 5501,
  clients_id: 12,
  packages_id: 40,
  packages_name: 'DID Bundle 100',
  start_dt: '2022-01-24T00:00:00+00:00',
  stop_dt: null,
  status: 'active',
  condition: 'paid',
};
const importResult = {
  rate_tables_id: 74,
  rate_table_name: 'Vendor A - Premium',
  file_name: 'vendor_a_2022-01-24.csv',
  rates: { new: 120, increased: 14, decreased: 9, unchanged: 5210 },
};

function event(id: string, objectId: number | string, data: Record<string, unknown>): Record<string, unknown> {
  return { event: { dt: DT, events_id: id, object_id: objectId }, data };
}

export const EVENTS: Readonly<Record<string, EventInfo>> = {
  'clients.create': { title: 'Client created', sample: event('clients.create', 12, client) },
  'clients.update': {
    title: 'Client updated',
    sample: event('clients.update', 12, { id: 12, name: 'ACME Telecom Ltd' }),
  },
  'clients.archive': { title: 'Client archived', sample: event('clients.archive', 12, {}) },
  'clients.delete': { title: 'Client deleted', sample: event('clients.delete', 12, {}) },
  'clients.balance_zero': { title: 'Client balance reached zero', sample: event('clients.balance_zero', 12, {}) },
  'clients.balance_notzero': {
    title: 'Client balance recovered above zero',
    sample: event('clients.balance_notzero', 12, {}),
  },
  'clients.custom_fields.update': {
    title: 'Client custom fields updated',
    sample: event('clients.custom_fields.update', 12, { id: 12, custom_fields: { sales_manager: 'Olena' } }),
  },
  'clients.accounts.create': { title: 'Account created', sample: event('clients.accounts.create', 301, account) },
  'clients.accounts.update': {
    title: 'Account updated',
    sample: event('clients.accounts.update', 301, { id: 301, clients_id: 12, ips: ['203.0.113.11'] }),
  },
  'clients.accounts.delete': { title: 'Account deleted', sample: event('clients.accounts.delete', 301, {}) },
  'clients.subscriptions.assign': {
    title: 'Subscription assigned',
    sample: event('clients.subscriptions.assign', 5501, { ...subscription, status: 'new' }),
  },
  'clients.subscriptions.activate': {
    title: 'Subscription activated',
    sample: event('clients.subscriptions.activate', 5501, subscription),
  },
  'clients.subscriptions.deactivate': {
    title: 'Subscription deactivated',
    sample: event('clients.subscriptions.deactivate', 5501, { ...subscription, status: 'inactive' }),
  },
  'clients.subscriptions.renew': {
    title: 'Subscription renewed',
    sample: event('clients.subscriptions.renew', 5501, subscription),
  },
  'clients.subscriptions.close': {
    title: 'Subscription closed',
    sample: event('clients.subscriptions.close', 5501, {
      ...subscription,
      status: 'closed',
      stop_dt: '2022-02-24T00:00:00+00:00',
    }),
  },
  'email_rates_manager.import': {
    title: 'Rate e-mail queued for import',
    sample: event('email_rates_manager.import', '77798', {
      mailbox,
      message,
      queue: { id: 911, rate_tables_id: 74, status: 'queued', file_name: 'vendor_a_2022-01-24.csv' },
    }),
  },
  'email_rates_manager.rate_tables_no_match': {
    title: 'Rate e-mail matched no rate table',
    sample: event('email_rates_manager.rate_tables_no_match', '77798', { credentials: mailbox, message }),
  },
  'email_rates_manager.no_attachments': {
    title: 'Rate e-mail had no attachments',
    sample: event('email_rates_manager.no_attachments', '77798', { credentials: mailbox, message, rate_tables: rateTables }),
  },
  'email_rates_manager.file_processing_error': {
    title: 'Rate file could not be processed',
    sample: event('email_rates_manager.file_processing_error', '77798', {
      error: {
        code: 'incorrect-file-ext',
        message:
          "Can't process file: /opt/jerasoft/vcs-data/files/xJv/xJv5aMoqMKoNK1s2hwlJ8ik4bF3aiMVi (test_import_9999.zip). File is not a zip file",
      },
      credentials: mailbox,
      message,
      rate_tables: rateTables,
    }),
  },
  'importd.process_success': {
    title: 'Rate import succeeded',
    sample: event('importd.process_success', 911, importResult),
  },
  'importd.process_failed': {
    title: 'Rate import failed',
    sample: event('importd.process_failed', 911, {
      ...importResult,
      rates: { new: 0, increased: 0, decreased: 0, unchanged: 0 },
      errors: ['Line 14: unknown code format "44-20"', 'Line 15: rate is not a number'],
    }),
  },
};

/** Event ids VCS has used for the same event (renamed in v3.23). */
export const EVENT_ALIASES: Readonly<Record<string, string>> = {
  'clients.custom_fields_update': 'clients.custom_fields.update',
};

export const EVENT_IDS: readonly string[] = Object.keys(EVENTS);

/** The canonical id for an id VCS sends (old spellings mapped to new ones). */
export function canonicalEventId(id: string): string {
  return EVENT_ALIASES[id] ?? id;
}
