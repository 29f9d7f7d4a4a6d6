/**
 * What the rate desk and finance get from the shipped rules.yaml and templates, as written (its
 * real group interval, flap time and the rest), over a real SQLite file with a clock the tests move.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { holdHarness, sqliteDriver, type Sent } from '../support/holds.ts';

const MIN = 60_000;
// Friday 2026-11-27, 10:00 in Kyiv (UTC+2).
const T0 = Date.parse('2026-11-27T08:00:00Z');

const harnesses: Array<ReturnType<typeof holdHarness>> = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});
const shipped = () => {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const h = holdHarness(readFileSync('rules.yaml', 'utf8'), sqliteDriver(), read);
  harnesses.push(h);
  return h;
};

const text = (s: Sent) => (s.message as { text: string }).text;
const failure = (n: number, vendor: string, mailbox = 'rates@carrier.example') => ({
  events_id: 'email_rates_manager.no_attachments',
  object_id: String(77000 + n),
  data: {
    credentials: { login: mailbox, host: 'imap.carrier.example' },
    message: { from: `${vendor} <rates@${vendor.toLowerCase()}.example>`, id: String(77000 + n), subject: `${vendor} deck ${n}` },
    rate_tables: [{ id: n, name: `${vendor} Premium` }],
  },
});

// A vendor e-mail's failure of any kind, from Alpha to the same mailbox (one group).
const mailFailure = (kind: 'no_attachments' | 'rate_tables_no_match' | 'file_processing_error', n: number, extra: Record<string, unknown> = {}) => ({
  events_id: `email_rates_manager.${kind}`,
  object_id: String(77000 + n),
  data: {
    credentials: { login: 'rates@carrier.example', host: 'imap.carrier.example' },
    message: { from: 'Alpha <rates@alpha.example>', id: String(77000 + n), subject: `Alpha deck ${n}` },
    ...(kind === 'rate_tables_no_match' ? {} : { rate_tables: [{ id: 74, name: 'Alpha Premium' }] }),
    ...(kind === 'file_processing_error' ? { error: { code: 'incorrect-file-ext', message: `deck_${n}.zip: File is not a zip file` } } : {}),
    ...extra,
  },
});
const importFailure = (objectId: number, data: Record<string, unknown> = {}) => ({
  events_id: 'importd.process_failed',
  object_id: objectId,
  data: { rate_tables_id: 74, rate_table_name: 'Alpha Premium', file_name: `t${objectId}.csv`, ...data },
});

describe('the shipped rules, for the rate desk', () => {
  it('tell the rate desk at once of each vendor whose deck fails, also when another vendor\'s failures to the same mailbox came first', async () => {
    const h = shipped();
    const atOnce: Sent[] = [];
    await h.post(T0, failure(1, 'Alpha'));
    atOnce.push(...(await h.tick(T0)));
    await h.post(T0 + 1000, failure(2, 'Alpha'), failure(3, 'Beta'));
    atOnce.push(...(await h.tick(T0 + 1000)));
    await h.post(T0 + 2000, failure(4, 'Beta'), failure(5, 'Alpha'));
    atOnce.push(...(await h.tick(T0 + 2000)));
    expect(atOnce.map((s) => /Subject:\* (.*)/.exec(text(s))?.[1])).toEqual(['Alpha deck 1', 'Beta deck 3']);
    // The repeats five minutes later, one message per vendor: Alpha's a digest of two, Beta's its one.
    const later = await h.tick(T0 + 5 * 60_000 + 2000);
    const decks = (s: Sent) => [...text(s).matchAll(/(\w+ deck \d+)/g)].map((m) => m[1]);
    expect(later.map(decks).sort()).toEqual([['Alpha deck 2', 'Alpha deck 5'], ['Beta deck 4']]);
  });

  it('end a digest with the time of its events: one time when they came within a minute, else from first to last', async () => {
    const h = shipped();
    await h.post(T0, failure(1, 'Alpha'));
    await h.tick(T0);
    await h.post(T0 + 1000, failure(2, 'Alpha'), failure(3, 'Alpha'));
    const [sameMinute] = await h.tick(T0 + 5 * MIN);
    expect(text(sameMinute!).trim().split('\n').pop()).toBe('_2026-11-27 10:00 EET_');
    await h.post(T0 + 6 * MIN, failure(4, 'Alpha'));
    await h.post(T0 + 8 * MIN, failure(5, 'Alpha'));
    const [twoMinutes] = await h.tick(T0 + 10 * MIN);
    expect(text(twoMinutes!).trim().split('\n').pop()).toBe('_2026-11-27 10:06 EET – 2026-11-27 10:08 EET_');
  });

  it('name the VCS object in the rate desk\'s message: the vendor e-mail\'s id, the import\'s queue item', async () => {
    const h = shipped();
    await h.post(T0, failure(1, 'Alpha'), {
      events_id: 'importd.process_failed',
      object_id: 911,
      data: { rate_tables_id: 74, rate_table_name: 'Vendor A - Premium', file_name: 'a.csv', errors: ['Line 15: rate is not a number'] },
    });
    const sent = await h.tick(T0);
    expect(sent.map((s) => text(s).trim().split('\n').pop()).sort()).toEqual([
      '_2026-11-27 10:00 EET · email_rates_manager.no_attachments · e-mail #77001_',
      '_2026-11-27 10:00 EET · importd.process_failed · import #911_',
    ]);
  });

  it('tell the rate desk at once of each rate table whose import fails, also when importd names the table by id only', async () => {
    const h = shipped();
    const failed = (objectId: number, rateTablesId: number) => ({ events_id: 'importd.process_failed', object_id: objectId, data: { rate_tables_id: rateTablesId, file_name: `t${rateTablesId}.csv` } });
    await h.post(T0, failed(921, 74));
    const first = await h.tick(T0);
    await h.post(T0 + 1000, failed(922, 75), failed(923, 74));
    const second = await h.tick(T0 + 1000);
    expect([...first, ...second].map((s) => /File:\* (.*)/.exec(text(s))?.[1])).toEqual(['t74.csv', 't75.csv']);
    expect((await h.tick(T0 + 5 * MIN)).map((s) => /File:\* (.*)/.exec(text(s))?.[1])).toEqual(['t74.csv']);
  });

  it('say what an import failed of: its errors, or that VCS gave no reason, never a guess', async () => {
    const h = shipped();
    const failed = (objectId: number, data: Record<string, unknown>) => ({ events_id: 'importd.process_failed', object_id: objectId, data: { rate_tables_id: objectId, ...data } });
    await h.post(T0, failed(931, { file_name: 'a.csv' }), failed(932, { errors: ['Line 3: rate is not a number'] }));
    const firstLines = (await h.tick(T0)).map((s) => text(s).split('\n')[0]).sort();
    expect(firstLines).toEqual([':rotating_light: *Rate import failed*: VCS gave no reason', ':rotating_light: *Rate import failed*: the file has errors']);
    await h.post(T0 + 1000, failed(931, { file_name: 'b.csv' }), failed(931, { errors: ['Line 9: no code'] }));
    const [digest] = await h.tick(T0 + 5 * MIN + 1000);
    expect(text(digest!)).toContain(' · import #931 · no reason given · b.csv\n');
    expect(text(digest!)).toContain(' · import #931 · file has errors: Line 9: no code\n');
  });

  it('show an import\'s errors and an error code as they come, never as [object Object] or not at all', async () => {
    const h = shipped();
    const failed = (objectId: number, rateTable: string, errors: unknown) => ({ events_id: 'importd.process_failed', object_id: objectId, data: { rate_table_name: rateTable, errors } });
    await h.post(
      T0,
      failed(912, 'Table A', [{ line: 14, message: 'unknown code format' }]),
      failed(913, 'Table B', 'Line 3: rate is not a number'),
      { events_id: 'email_rates_manager.file_processing_error', object_id: '5', data: { error: { code: 'no-rates-found' }, credentials: { login: 'r@x', host: 'h' }, message: { from: 'V <v@v>', id: '5', subject: 's' } } },
    );
    const sent = (await h.tick(T0)).map(text).sort();
    for (const t of sent) expect(t).not.toContain('[object Object]');
    expect(sent[0]).toMatch(/^:rotating_light: \*Rate import failed\*: no-rates-found\n/);
    expect(sent[1]).toContain('• {"line":14,"message":"unknown code format"}\n');
    expect(sent[2]).toContain('• Line 3: rate is not a number\n');
    // And in a digest.
    await h.post(T0 + 1000, failed(914, 'Table A', [{ line: 15, message: 'bad rate' }]), failed(915, 'Table A', 'Line 9: no code'));
    const [digest] = await h.tick(T0 + 5 * MIN + 1000);
    expect(text(digest!)).toContain(': {"line":15,"message":"bad rate"}');
    expect(text(digest!)).toContain(': Line 9: no code');
  });
});

describe('the shipped rules\' rate desk digests, read at a glance', () => {
  const lines = (s: Sent) => text(s).trim().split('\n');

  it('count a vendor\'s failures by what they are: e-mails that matched no rate table or had no attachment are no failed imports', async () => {
    const h = shipped();
    await h.post(T0, mailFailure('no_attachments', 1));
    await h.tick(T0);
    await h.post(T0 + MIN, mailFailure('file_processing_error', 2), mailFailure('rate_tables_no_match', 3), mailFailure('file_processing_error', 4));
    const [digest] = await h.tick(T0 + 5 * MIN);
    expect(lines(digest!).slice(0, 2)).toEqual([
      ':rotating_light: *3 rate import failures* · Alpha &lt;rates@alpha.example&gt; · mailbox rates@carrier.example',
      '2 files not processed, 1 e-mail matched no rate table',
    ]);
    await h.post(T0 + 6 * MIN, mailFailure('no_attachments', 5), mailFailure('no_attachments', 6));
    const [again] = await h.tick(T0 + 10 * MIN);
    expect(lines(again!)[1]).toBe('2 e-mails had no attachment');
  });

  it('name the rate table of an import\'s digest, by its id when importd gives no name, and count failed imports as such', async () => {
    const h = shipped();
    await h.post(T0, importFailure(911, { rate_table_name: undefined }));
    await h.tick(T0);
    await h.post(T0 + MIN, importFailure(912, { rate_table_name: undefined }), importFailure(913, { rate_table_name: undefined }));
    const [digest] = await h.tick(T0 + 5 * MIN);
    expect(lines(digest!).slice(0, 2)).toEqual([':rotating_light: *2 rate import failures* · rate table #74', '2 imports failed']);
  });

  it('start each line with the event\'s time and its VCS object, the vendor e-mail or the import, and not repeat the vendor the header names', async () => {
    const h = shipped();
    await h.post(T0, mailFailure('no_attachments', 1), importFailure(911));
    await h.tick(T0);
    await h.post(T0 + MIN, mailFailure('file_processing_error', 2), mailFailure('rate_tables_no_match', 3));
    await h.post(T0 + 2 * MIN, importFailure(912, { errors: ['Line 15: rate is not a number'] }), importFailure(913));
    const digests = (await h.tick(T0 + 5 * MIN)).map((s) => lines(s).filter((l) => l.startsWith('• '))).sort();
    expect(digests).toEqual([
      [
        '• 10:01 EET · e-mail #77002 · deck_2.zip: File is not a zip file (Alpha deck 2) → Alpha Premium',
        '• 10:01 EET · e-mail #77003 · matched no rate table (Alpha deck 3)',
      ],
      [
        '• 10:02 EET · import #912 · file has errors · t912.csv: Line 15: rate is not a number',
        '• 10:02 EET · import #913 · no reason given · t913.csv',
      ],
    ]);
  });

  it('keep a digest of long failures within Slack\'s 40,000 characters, uncut, and every failure in one of them', async () => {
    const h = shipped();
    const errors = Array.from({ length: 20 }, (_, i) => `Line ${i + 1}: ${'rate is not a number '.repeat(5)}`);
    await h.post(T0, importFailure(1000));
    await h.tick(T0);
    const batch = Array.from({ length: 200 }, (_, i) => importFailure(1001 + i, { errors, file_name: `${'long_file_name_'.repeat(10)}${i}.csv` }));
    await h.post(T0 + MIN, ...batch);
    const digests = [...(await h.tick(T0 + 5 * MIN)), ...(await h.tick(T0 + 10 * MIN)), ...(await h.tick(T0 + 15 * MIN))];
    expect(digests.length).toBeGreaterThan(1);
    for (const d of digests) {
      expect(text(d).length).toBeLessThanOrEqual(40_000);
      expect(text(d)).not.toContain('(truncated)');
    }
    const told = digests.flatMap((d) => [...text(d).matchAll(/· import #(\d+) ·/g)].map((m) => Number(m[1])));
    expect(told.sort((a, b) => a - b)).toEqual(batch.map((b) => b.object_id));
  });
});

describe('the shipped rules\' message for one rate desk failure', () => {
  it('headline a vendor e-mail that matched no rate table or had no attachment as an e-mail not imported, not as a failed import', async () => {
    const h = shipped();
    // Each to a mailbox of its own: three messages, no digest.
    const box = (login: string) => ({ credentials: { login, host: 'imap.carrier.example' } });
    await h.post(T0, mailFailure('no_attachments', 1), mailFailure('rate_tables_no_match', 2, box('other@carrier.example')), mailFailure('file_processing_error', 3, box('third@carrier.example')));
    const firstLines = (await h.tick(T0)).map((s) => text(s).split('\n')[0]).sort();
    expect(firstLines).toEqual([
      ':rotating_light: *Rate e-mail not imported*: it had no attachment',
      ':rotating_light: *Rate e-mail not imported*: no rate table matches its sender and subject',
      ':rotating_light: *Rate import failed*: deck_3.zip: File is not a zip file',
    ]);
  });

  it('name the rate table of a failed import by its id too, also when importd gives no name', async () => {
    const h = shipped();
    await h.post(T0, importFailure(911), importFailure(912, { rate_tables_id: 75, rate_table_name: undefined }));
    const sent = (await h.tick(T0)).map((s) => /Rate table:\* (.*)/.exec(text(s))?.[1]).sort();
    expect(sent).toEqual(['#75', 'Alpha Premium (#74)']);
  });

  it('show a mailbox whose host VCS did not send without a dangling "on"', async () => {
    const h = shipped();
    await h.post(T0, mailFailure('no_attachments', 1, { credentials: { login: 'rates@carrier.example' } }));
    const [sent] = await h.tick(T0);
    expect(text(sent!)).toContain('• *Mailbox:* rates@carrier.example\n');
  });
});

const zero = (client: number) => ({ events_id: 'clients.balance_zero', object_id: client });
const notzero = (client: number) => ({ events_id: 'clients.balance_notzero', object_id: client });
const mail = (s: Sent) => s.message as { subject: string; text: string };

describe('the shipped rules, for finance', () => {
  it('tell finance when a balance reaches zero again after its recovery was sent: the last e-mail is never a stale "recovered"', async () => {
    const h = shipped();
    await h.post(T0, zero(12));
    expect((await h.tick(T0)).map((s) => mail(s).subject)).toEqual(['Balance reached zero: client #12']);
    await h.post(T0 + 5 * MIN, notzero(12));
    // Sent once the flap time (10 min) has passed without the balance going back to zero.
    const recovered = await h.tick(T0 + 15 * MIN);
    expect(recovered).toHaveLength(1);
    expect(mail(recovered[0]!).text).toContain('Client balance recovered above zero');
    // 20 minutes after the first e-mail the balance is at zero again, and stays there.
    await h.post(T0 + 20 * MIN, zero(12));
    const again = await h.tick(T0 + 20 * MIN);
    expect(again.map((s) => mail(s).subject)).toEqual(['Balance reached zero: client #12']);
    expect(again[0]!.replyTo).toBeUndefined();
  });

  it('hold back a repeat of "reached zero" while the balance is still at zero, and count it in the next e-mail', async () => {
    const h = shipped();
    await h.post(T0, zero(12));
    expect(await h.tick(T0)).toHaveLength(1);
    // VCS says it again a minute later: the incident is open and the hour's e-mail went.
    await h.post(T0 + MIN, zero(12));
    expect(await h.tick(T0 + MIN)).toEqual([]);
    await h.post(T0 + 5 * MIN, notzero(12));
    expect(await h.tick(T0 + 15 * MIN)).toHaveLength(1);
    // At zero again within the hour, after "recovered" went: told, with what was held back.
    await h.post(T0 + 20 * MIN, zero(12));
    const again = await h.tick(T0 + 20 * MIN);
    expect(again.map((s) => mail(s).subject)).toEqual(['Balance reached zero: client #12']);
    expect(mail(again[0]!).text).toContain('1 more "balance reached zero" e-mail for this client was held back since');
  });

  it('title a recovery that answers no "reached zero" e-mail as what it is, not as a reply', async () => {
    const h = shipped();
    // The balance was at zero before Switchboard ran: there is no e-mail to answer.
    await h.post(T0, notzero(14));
    const sent = await h.tick(T0);
    expect(sent.map((s) => mail(s).subject)).toEqual(['Balance above zero: client #14']);
    expect(sent[0]!.replyTo).toBeUndefined();
  });

  it('answer the "reached zero" e-mail with a "recovered" one whose subject names the client and is that e-mail\'s, as a reply\'s is', async () => {
    const h = shipped();
    await h.post(T0, zero(12), zero(13));
    const opened = await h.tick(T0);
    await h.post(T0 + 5 * MIN, notzero(12), notzero(13));
    const replies = await h.tick(T0 + 15 * MIN);
    expect(replies.map((s) => mail(s).subject).sort()).toEqual(['Re: Balance reached zero: client #12', 'Re: Balance reached zero: client #13']);
    for (const r of replies) {
      const root = opened.find((o) => `ref-${o.id}` === r.replyTo)!;
      expect(mail(r).subject).toBe(`Re: ${mail(root).subject}`);
    }
    expect(mail(replies[0]!).text).toContain('Client balance recovered above zero');
  });
});
