import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoreApi, type CoreApiStandIn } from '../support/coreapi.ts';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { startSmtp, type Received } from '../support/smtp.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../support/ports.ts';

// The shipped rules.yaml with the VCS CoreAPI: finance's balance-zero e-mail names the client and
// shows its balance and credit limit; when the CoreAPI is slow, down or refuses the key, the e-mail
// still goes out on time, saying what is missing, and `switchboard explain` says why.

const KEY = 'e2e-vcs-api-key-1f9d2a7c';
const ACME = { id: 12, name: 'ACME Telecom', companies_id: 3, balance: -3.5, credit: 500, currency: 'USD', status: 'active' };
const TIMEOUT_MS = 1_500;

const zero = (clientId: number) =>
  JSON.stringify({ event: { dt: '2022-01-24T15:44:47.216756+00:00', events_id: 'clients.balance_zero', object_id: clientId }, data: {} });

async function post(server: ServerProcess, body: string): Promise<{ id: string }> {
  const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string };
}

type Smtp = Awaited<ReturnType<typeof startSmtp>>;
const mailFor = (smtp: Smtp, clientId: number) => (): Received | undefined =>
  smtp.received.find((m) => m.mail.subject?.startsWith(`Balance reached zero: client #${clientId}`));

const serverEnv = (smtp: Smtp, vcs: Record<string, string>) => ({
  SMTP_URL: smtp.url,
  MAIL_FROM: 'Switchboard <switchboard@billing.example>',
  FINANCE_EMAIL: 'finance@carrier.example',
  VCS_API_TIMEOUT_MS: String(TIMEOUT_MS),
  // Every test below asks the CoreAPI afresh: no pause after a failure.
  VCS_API_PAUSE_MS: '0',
  ...vcs,
});

describe('the server enriching from a CoreAPI that answers', () => {
  let api: CoreApiStandIn;
  let smtp: Smtp;
  let server: ServerProcess;

  beforeAll(async () => {
    [api, smtp] = await Promise.all([startCoreApi(KEY), startSmtp()]);
    api.objects.set('clients.get:12', ACME);
    api.objects.set('clients.get:13', { ...ACME, id: 13, name: 'Slow Client Ltd' });
    api.behaviour.set('clients.get:13', 'slow');
    api.behaviour.set('clients.get:14', 'malformed');
    server = await startServer(serverEnv(smtp, { VCS_API_URL: api.url, VCS_API_KEY: KEY }));
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([api?.close(), smtp?.close()]);
  });

  it('says at start-up that enrichment is ready, for which rules', () => {
    expect(server.output()).toMatch(
      /INFO enrichment from the VCS CoreAPI ready endpoint=http:\/\/127\.0\.0\.1:\d+\/api\/ timeout_ms=1500 rules="rate-import-failed \(rate_table\); balance-zero \(client\); balance-recovered \(client\)"/,
    );
  });

  it("e-mails finance a zero balance with the client's name, balance and credit limit", async () => {
    const { id } = await post(server, zero(12));
    const mail = await waitFor('the balance-zero e-mail for client 12', mailFor(smtp, 12));
    expect(mail.to).toEqual(['finance@carrier.example']);
    expect(mail.mail.subject).toBe('Balance reached zero: client #12 ACME Telecom');
    expect(mail.mail.text).toContain('The balance of client #12 (ACME Telecom) reached zero at 2022-01-24 17:44:47 EET.');
    expect(mail.mail.text).toContain('Balance:      -3.50 USD\nCredit limit: 500.00 USD');
    expect(mail.mail.text).not.toContain('Note:');
    expect(api.calls.filter((c) => c.id === 12)).toEqual([{ method: 'clients.get', id: 12, apiKey: KEY }]);

    const explained = await runCli(['explain', id], { DATA_DIR: server.dataDir });
    expect(explained.stdout).toContain('  rule balance-zero: matched\n  enrichment client #12: fetched from the VCS CoreAPI\n');
  });

  it('acknowledges at once and e-mails on time, with a note, when the CoreAPI does not answer', async () => {
    const started = Date.now();
    const { id } = await post(server, zero(13));
    const ackMs = Date.now() - started;
    // The CoreAPI holds the call; the 200 did not wait for it.
    await waitFor('the CoreAPI call for client 13', () => api.held() === 1);
    expect(ackMs).toBeLessThan(TIMEOUT_MS);
    expect(smtp.received.some((m) => m.mail.subject?.includes('#13'))).toBe(false);

    const mail = await waitFor('the balance-zero e-mail for client 13', mailFor(smtp, 13), 15_000);
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(tookMs).toBeLessThan(TIMEOUT_MS + 5_000);
    expect(mail.mail.subject).toBe('Balance reached zero: client #13');
    expect(mail.mail.text).toContain(
      'Note: Details from VCS are missing: client #13 could not be fetched (no answer from the CoreAPI within 1500 ms).',
    );
    expect(mail.mail.text).not.toContain('Balance:');
    api.release();

    const explained = await runCli(['explain', id], { DATA_DIR: server.dataDir });
    expect(explained.stdout).toContain('  enrichment client #13: not fetched, sent without it: no answer from the CoreAPI within 1500 ms\n');
    expect(explained.stdout).toMatch(/delivery \d+ to finance \(email\) from rule balance-zero: delivered/);
  });

  it('e-mails with a note when the CoreAPI answers something that is not JSON-RPC', async () => {
    await post(server, zero(14));
    const mail = await waitFor('the balance-zero e-mail for client 14', mailFor(smtp, 14));
    expect(mail.mail.text).toContain("Note: Details from VCS are missing: client #14 could not be fetched (the CoreAPI's answer is not JSON (HTTP 200, text/html)");
  });

  it('logs that the CoreAPI is failing, and never the API key', () => {
    expect(server.output()).toContain('WARN VCS CoreAPI is failing; messages go out without its details until it answers again');
    expect(server.output()).not.toContain(KEY);
  });
});

describe('the server when the CoreAPI is down or refuses the key', () => {
  let smtp: Smtp;
  let api: CoreApiStandIn;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    [smtp, api] = await Promise.all([startSmtp(), startCoreApi(KEY)]);
    api.objects.set('clients.get:22', ACME);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all([smtp?.close(), api?.close()]);
  });

  it('e-mails a zero balance with a note when nothing listens at VCS_API_URL', async () => {
    const port = await freePort();
    const server = await startServer(serverEnv(smtp, { VCS_API_URL: `http://127.0.0.1:${port}/api/`, VCS_API_KEY: KEY }));
    servers.push(server);
    const { id } = await post(server, zero(21));
    const mail = await waitFor('the balance-zero e-mail for client 21', mailFor(smtp, 21));
    expect(mail.mail.text).toMatch(/Note: Details from VCS are missing: client #21 could not be fetched \(could not reach the CoreAPI: .*ECONNREFUSED.*\)\./);
    const explained = await runCli(['explain', id], { DATA_DIR: server.dataDir });
    expect(explained.stdout).toMatch(/enrichment client #21: not fetched, sent without it: could not reach the CoreAPI: .*ECONNREFUSED/);
  });

  it('e-mails a zero balance with a note when the CoreAPI refuses the key, and logs neither key', async () => {
    const wrong = 'e2e-wrong-key-0c0ffee';
    const server = await startServer(serverEnv(smtp, { VCS_API_URL: api.url, VCS_API_KEY: wrong }));
    servers.push(server);
    await post(server, zero(22));
    const mail = await waitFor('the balance-zero e-mail for client 22', mailFor(smtp, 22));
    expect(mail.mail.subject).toBe('Balance reached zero: client #22');
    expect(mail.mail.text).toContain('Note: Details from VCS are missing: client #22 could not be fetched (the CoreAPI refused the API key (HTTP 401');
    expect(api.calls.at(-1)).toEqual({ method: 'clients.get', id: 22, apiKey: wrong });
    expect(server.output()).toContain('refused the API key');
    expect(server.output()).not.toContain(wrong);
    expect(mail.mail.text).not.toContain(wrong);
  });

  it('starts without VCS_API_URL, says so, and e-mails without details and without a note', async () => {
    const server = await startServer(serverEnv(smtp, {}));
    servers.push(server);
    expect(server.output()).toContain(
      'WARN rules ask for details from the VCS CoreAPI but VCS_API_URL and VCS_API_KEY are not set: their messages go out without them rules="rate-import-failed (rate_table); balance-zero (client); balance-recovered (client)"',
    );
    const { id } = await post(server, zero(23));
    const mail = await waitFor('the balance-zero e-mail for client 23', mailFor(smtp, 23));
    expect(mail.mail.text).not.toContain('Note:');
    const explained = await runCli(['explain', id], { DATA_DIR: server.dataDir });
    expect(explained.stdout).toContain('  enrichment client #23: not fetched: enrichment is not configured (VCS_API_URL and VCS_API_KEY are not set)\n');
  });
});
