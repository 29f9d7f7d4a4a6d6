import { readdirSync, readFileSync } from 'node:fs';

/** The sample payloads of the 22 event ids (test/fixtures/events), and what the shipped rules do with them. */
const FIXTURES = new URL('../fixtures/events/', import.meta.url);

export const fixture = (id: string) => readFileSync(new URL(`${id}.json`, FIXTURES), 'utf8');
export const ALL = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));

/** Told to the rate desk in Slack. */
export const RATE_FAILURES = [
  'email_rates_manager.rate_tables_no_match',
  'email_rates_manager.no_attachments',
  'email_rates_manager.file_processing_error',
  'importd.process_failed',
];
/** Posted to the provisioning webhook. */
export const PROVISIONING = ALL.filter((id) => id.startsWith('clients.accounts.') || id.startsWith('clients.subscriptions.'));
/** E-mailed to finance. */
export const FINANCE = ['clients.balance_zero', 'clients.balance_notzero'];

// The shipped rules group the rate desk's failures per mailbox and vendor: failures from one
// mailbox and vendor within 5 minutes make one digest after the first message. Here each comes from its own mailbox, so each
// is told at once.
const MAILBOX: Record<string, string> = {
  'email_rates_manager.rate_tables_no_match': 'pricing@carrier.example',
  'email_rates_manager.no_attachments': 'decks@carrier.example',
};

/** An event's sample payload, the rate-import failures each from a mailbox of its own. */
export function payloadOf(id: string): string {
  if (!MAILBOX[id]) return fixture(id);
  const p = JSON.parse(fixture(id));
  p.data.credentials.login = MAILBOX[id];
  return JSON.stringify(p);
}
