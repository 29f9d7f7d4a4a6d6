/**
 * Grouping, throttles, send windows and incidents over a real SQLite file, with a clock the tests
 * move: every step (receive and route, release, send) takes the time it happens at.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyHolds } from '../../src/hold/decide.ts';
import { releaseDue } from '../../src/hold/release.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { pruneOld } from '../../src/queue/prune.ts';
import { ConflictError, type Store } from '../../src/queue/store.ts';
import { d1Driver, holdHarness, sqliteDriver, text, type Driver, type Sent } from '../support/holds.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
// Friday 2026-11-27, 10:00 in Kyiv (UTC+2).
const T0 = Date.parse('2026-11-27T08:00:00Z');

const harnesses: Array<ReturnType<typeof holdHarness>> = [];
const others: Store[] = [];
afterEach(async () => {
  for (const s of others.splice(0)) await s.close();
  for (const h of harnesses.splice(0)) await h.close();
});

// Every test on both drivers: the SQL of holds is shared, and D1 runs it in workerd.
const DRIVERS: Array<[string, () => Driver | Promise<Driver>]> = [
  ['SQLite (Node)', sqliteDriver],
  ['D1 (Workers)', d1Driver],
];
let driver: () => Driver | Promise<Driver> = sqliteDriver;
const harness = async (yaml: string) => {
  const h = holdHarness(yaml, await driver());
  harnesses.push(h);
  return h;
};

const RATE_DESK = (options: string) => `
settings: { timezone: Europe/Kyiv, windows: { working_hours: { days: mon-fri, hours: "08:00-19:00" } } }
destinations:
  desk: { type: slack, channel: "#rate-desk" }
rules:
  - name: rate-import-failed
    events: [email_rates_manager.no_attachments, email_rates_manager.file_processing_error]
    to: desk
    group_by: data.credentials.login
${options}
`;

const failure = (n: number, mailbox = 'rates@carrier.example') => ({
  events_id: 'email_rates_manager.no_attachments',
  object_id: n,
  data: { credentials: { login: mailbox, host: 'imap.example.net' }, message: { from: 'Vendor <v@vendor.example>', subject: `deck ${n}` } },
});

// SWITCHBOARD_RETENTION_DAYS=0 and SWITCHBOARD_IDEMPOTENCY_HOURS=0: every event goes at the first prune it can.
const KEEP_NOTHING = { retentionMs: 0, idempotencyWindowMs: 0 };

const subjects = (s: Sent) => [...text(s).matchAll(/Subject: (deck \d+)/g)].map((m) => m[1]);

describe.each(DRIVERS)('on %s', (_name, open) => {
  beforeAll(() => {
    driver = open;
  });

  describe('grouping', () => {
    it('tells the rate desk at once, then one digest listing the other 99 of a burst of 100 in one second', async () => {
      const h = await harness(RATE_DESK('    group_wait: 0s\n    group_interval: 5m'));
      const sent: Sent[] = [];
      const ids: string[] = [];
      for (let n = 1; n <= 100; n++) {
        const at = T0 + (n - 1) * 10;
        ids.push(...(await h.post(at, failure(n))));
        sent.push(...(await h.tick(at)));
      }
      expect(sent).toHaveLength(1);
      expect(text(sent[0]!)).toContain('• *Subject:* deck 1\n');

      // The others wait, visibly, for the group's interval to end.
      const waiting = await h.store.explain(ids[50]!);
      expect(waiting).toMatchObject({ status: 'held' });
      expect(waiting!.deliveryDetails[0]).toMatchObject({
        status: 'held',
        hold: 'group',
        note: 'grouped by rule rate-import-failed (data.credentials.login = rates@carrier.example)',
        group: { label: 'rates@carrier.example', size: 99, flushAt: T0 + 5 * MIN },
      });
      expect((await h.store.events({ status: 'held' })).length).toBe(99);
      expect(await h.tick(T0 + 5 * MIN - 1)).toEqual([]);

      const [digest, ...rest] = await h.tick(T0 + 5 * MIN);
      expect(rest).toEqual([]);
      // Its maximum age counts from when the group let it go.
      expect(digest!.createdAt).toBe(T0 + 5 * MIN);
      expect(text(digest!)).toMatch(/^\*99 × Rate e-mail had no attachments\* · rates@carrier\.example\n• Mailbox: rates@carrier\.example on imap\.example\.net · From: Vendor &lt;v@vendor\.example&gt; · Subject: deck 2 · /);
      expect(subjects(digest!)).toEqual(Array.from({ length: 99 }, (_, i) => `deck ${i + 2}`));

      // Every one of the 100 is accounted for: sent alone, or in the digest.
      for (const id of ids) expect((await h.store.explain(id))!.status, id).toBe('delivered');
      const merged = (await h.store.explain(ids[99]!))!.deliveryDetails[0]!;
      expect(merged).toMatchObject({ status: 'merged', mergedInto: { id: digest!.id, status: 'delivered' } });

      // Quiet for an interval, the group starts again: the next failure goes at once.
      await h.post(T0 + 11 * MIN, failure(101));
      expect((await h.tick(T0 + 11 * MIN)).map(subjectsOfOne)).toEqual([['deck 101']]);
    });

    it('keeps, past the retention period, every event whose digest is not delivered', async () => {
      const h = await harness(RATE_DESK('    group_wait: 0s\n    group_interval: 5m'));
      const [alone] = await h.post(T0, failure(1));
      await h.tick(T0);
      const merged = [...(await h.post(T0 + 10, failure(2))), ...(await h.post(T0 + 20, failure(3)))];
      await h.release(T0 + 5 * MIN);
      const [digest, ...rest] = await h.store.due('desk', T0 + 5 * MIN, 10, new Set());
      expect(rest).toEqual([]);
      await h.store.record([{ deliveryId: digest!.id, at: T0 + 5 * MIN, ok: false, detail: 'Slack error: channel_not_found', status: 'dead' }]);
      for (const id of merged) expect((await h.store.explain(id))!.status, id).toBe('dead');
      // Listed as dead by way of the digest: their own deliveries are merged, not dead.
      expect((await h.store.events({ status: 'dead' })).map((e) => e.id).sort()).toEqual([...merged].sort());

      // The delivered one goes; the two the dead digest carries stay, to be explained and replayed.
      expect(await h.store.prune(T0 + 24 * HOUR)).toBe(1);
      expect((await h.store.events({})).map((e) => e.id).sort()).toEqual([...merged].sort());
      expect(await h.store.explain(alone!)).toBeUndefined();
    });

    it('prunes the event a delivered digest is stored with only after every other event it carries: they stay delivered, not held back', async () => {
      const h = await harness(RATE_DESK('    group_wait: 0s\n    group_interval: 5m'));
      await h.post(T0, failure(1));
      await h.tick(T0);
      const [first] = await h.post(T0 + 10, failure(2));
      const [last] = await h.post(T0 + 4 * MIN, failure(3));
      const [digest] = await h.tick(T0 + 5 * MIN);
      expect(digest).toMatchObject({ eventId: first });
      expect(subjects(digest!)).toEqual(['deck 2', 'deck 3']);

      // The cutoff falls between the digest's first event and its last: only the one sent alone goes.
      expect(await h.store.prune(T0 + MIN)).toBe(1);
      expect(await h.store.explain(last!)).toMatchObject({ status: 'delivered', deliveryDetails: [{ status: 'merged', mergedInto: { id: digest!.id, status: 'delivered' } }] });
      // Past both, the last goes first, and the digest with its first event at the next prune.
      expect(await h.store.prune(T0 + 10 * MIN)).toBe(1);
      expect(await h.store.explain(last!)).toBeUndefined();
      expect(await h.store.prune(T0 + 10 * MIN)).toBe(1);
      expect(await h.store.events({})).toEqual([]);
    });

    it('keeps a group\'s interval through a prune when the retention period is shorter: the next failure still waits it out', async () => {
      const h = await harness(RATE_DESK('    group_wait: 0s\n    group_interval: 2h'));
      await h.post(T0, failure(1));
      expect(await h.tick(T0)).toHaveLength(1);
      expect(await pruneOld(h.store, KEEP_NOTHING, h.config, T0 + HOUR)).toBe(1);
      await h.post(T0 + HOUR, failure(2));
      expect(await h.tick(T0 + HOUR)).toEqual([]);
      const [next, ...rest] = await h.tick(T0 + 2 * HOUR);
      expect(rest).toEqual([]);
      expect(text(next!)).toContain('deck 2');
    });

    it('replays a dead digest from any event it carries, and purges the events it carries with it', async () => {
      const h = await harness(RATE_DESK('    group_wait: 0s\n    group_interval: 5m'));
      const deadDigest = async (at: number, n: number) => {
        await h.post(at, failure(n));
        await h.tick(at);
        const merged = [...(await h.post(at + 10, failure(n + 1))), ...(await h.post(at + 20, failure(n + 2)))];
        await h.release(at + 5 * MIN);
        const [digest] = await h.store.due('desk', at + 5 * MIN, 10, new Set());
        await h.store.record([{ deliveryId: digest!.id, at: at + 5 * MIN, ok: false, detail: 'Slack error: channel_not_found', status: 'dead' }]);
        return { digest: digest!.id, merged };
      };
      const first = await deadDigest(T0, 1);
      // The digest is kept with the first event it carries; the second finds it all the same.
      expect(await h.store.replay(first.merged[1]!, T0 + 6 * MIN)).toEqual([first.digest]);
      for (const id of first.merged) expect((await h.store.explain(id))!.status, id).toBe('pending');
      expect(await h.store.replay(first.merged[1]!, T0 + 6 * MIN)).toEqual([]);
      expect((await h.tick(T0 + 6 * MIN)).map((s) => s.id)).toEqual([first.digest]);

      // Purged, a digest takes the deliveries merged into it, and the events left with nothing.
      const second = await deadDigest(T0 + HOUR, 11);
      expect(await h.store.purgeDead()).toBe(3);
      for (const id of second.merged) expect(await h.store.explain(id), id).toBeUndefined();
      expect(await h.store.events({ status: 'dead' })).toEqual([]);
      const kept = await h.store.events({});
      expect(kept).toHaveLength(4);
      expect(new Set(kept.map((e) => e.status))).toEqual(new Set(['delivered']));
    });

    it('with a group_wait, makes one digest of the whole burst', async () => {
      const h = await harness(RATE_DESK('    group_wait: 30s\n    group_interval: 5m'));
      for (let n = 1; n <= 100; n++) {
        await h.post(T0 + (n - 1) * 10, failure(n));
        expect(await h.tick(T0 + (n - 1) * 10)).toEqual([]);
      }
      const [digest, ...rest] = await h.tick(T0 + 30_000);
      expect(rest).toEqual([]);
      expect(text(digest!)).toMatch(/^\*100 × /);
      expect(subjects(digest!)).toHaveLength(100);
      // All within one minute: one time, not "10:00 EET – 10:00 EET".
      expect(text(digest!)).toMatch(/\n_2026-11-27 10:00 EET · rule rate-import-failed_$/);
    });

    it('never cuts a digest at Slack\'s 40,000 characters: the events that do not fit go in the next digest, at once', async () => {
      const h = await harness(RATE_DESK('    group_wait: 0s\n    group_interval: 5m'));
      await h.post(T0, failure(0));
      expect(await h.tick(T0)).toHaveLength(1);
      // 199 failures whose lines take about 400 characters each: some 80,000 in one digest.
      const long = (n: number) => {
        const f = failure(n);
        return { ...f, data: { ...f.data, message: { ...f.data.message, subject: `deck ${n} (${'price list A-Z '.repeat(20).trim()})` } } };
      };
      await h.post(T0 + 1000, ...Array.from({ length: 199 }, (_, i) => long(i + 1)));
      const digests: Sent[] = [];
      for (let more = await h.tick(T0 + 5 * MIN); more.length > 0; more = await h.tick(T0 + 5 * MIN)) digests.push(...more);
      expect(digests.length).toBeGreaterThan(1);
      for (const d of digests) {
        expect(text(d)).not.toContain('(truncated)');
        expect(text(d).length).toBeLessThanOrEqual(40_000);
        expect(text(d)).toMatch(new RegExp(`^\\*${subjects(d).length} × Rate e-mail had no attachments\\*`));
      }
      expect(digests.flatMap(subjects)).toEqual(Array.from({ length: 199 }, (_, i) => `deck ${i + 1}`));
      // After them the group goes on as before: the next digest an interval after the last one.
      await h.post(T0 + 6 * MIN, failure(300));
      expect(await h.tick(T0 + 6 * MIN)).toEqual([]);
      expect((await h.tick(T0 + 10 * MIN)).map(subjectsOfOne)).toEqual([['deck 300']]);
    });

    it('keeps mailboxes apart: each group has its own message and its own digest', async () => {
      const h = await harness(RATE_DESK('    group_interval: 5m'));
      await h.post(T0, failure(1, 'a@x'), failure(2, 'b@x'), failure(3, 'a@x'), failure(4, 'b@x'), failure(5, 'b@x'));
      // In one routing batch: each group's first flush holds all of it.
      const sent = await h.tick(T0);
      expect(sent.map((s) => text(s).split('\n')[0]).sort()).toEqual(['*2 × Rate e-mail had no attachments* · a@x', '*3 × Rate e-mail had no attachments* · b@x']);
    });

    it('sends exactly one digest per window when events arrive in the same millisecond and two releasers race', async () => {
      const h = await harness(RATE_DESK('    group_wait: 0s\n    group_interval: 5m'));
      await h.post(T0, ...Array.from({ length: 50 }, (_, i) => failure(i + 1)));
      for (let n = 51; n <= 100; n++) await h.post(T0, failure(n));
      // Another process (or isolate) releasing from the same file at the same moment.
      const other = h.another();
      others.push(other);
      const results = await Promise.all([releaseDue(h.store, h.planner, T0, silentLogger), releaseDue(other, h.planner, T0, silentLogger)]);
      expect(results.map((r) => r.deliveries.length).sort()).toEqual([0, 1]);
      const sent = await h.send(T0);
      expect(sent).toHaveLength(1);
      expect(subjects(sent[0]!)).toHaveLength(100);
      expect(await h.tick(T0 + 10 * MIN)).toEqual([]);
    });

    it('picks up after a restart in the middle of a window, and the digest holds what came before and after it', async () => {
      const h = await harness(RATE_DESK('    group_interval: 5m'));
      await h.post(T0, failure(1));
      expect(await h.tick(T0)).toHaveLength(1);
      for (let n = 2; n <= 10; n++) await h.post(T0 + n * 1_000, failure(n));
      await h.restart();
      for (let n = 11; n <= 15; n++) await h.post(T0 + 2 * MIN + n, failure(n));
      expect(await h.tick(T0 + 4 * MIN)).toEqual([]);
      await h.restart();
      const [digest] = await h.tick(T0 + 5 * MIN);
      expect(subjects(digest!)).toEqual(Array.from({ length: 14 }, (_, i) => `deck ${i + 2}`));
    });

    it('renders the rule\'s own digest template with the events and their count', async () => {
      const h = await harness(
        RATE_DESK(`    group_interval: 1m
    digest:
      slack:
        text: "{{count}} failed imports from {{group.label}}: {{#each events}}{{data.message.subject}}{{#unless @last}}, {{/unless}}{{/each}}"`),
      );
      await h.post(T0, failure(1));
      await h.tick(T0);
      await h.post(T0 + 1_000, failure(2));
      await h.post(T0 + 2_000, failure(3));
      expect((await h.tick(T0 + MIN)).map(text)).toEqual(['2 failed imports from rates@carrier.example: deck 2, deck 3']);
    });
  });

  const subjectsOfOne = (s: Sent) => [...text(s).matchAll(/Subject:\* (deck \d+)/g)].map((m) => m[1]);

  const FINANCE = `
  settings: { timezone: Europe/Kyiv, windows: { working_hours: { days: mon-fri, hours: "08:00-19:00" } } }
  destinations:
    finance: { type: email, to: finance@example.com }
    finance_office: { type: email, to: finance@example.com, window: working_hours }
    desk: { type: slack, channel: "#rate-desk", window: working_hours }
  rules:
    - name: zero
      events: clients.balance_zero
      to: finance
      throttle: { key: event.object_id, max: 1, per: 1h }
    - name: deleted
      events: clients.delete
      to: finance_office
    - name: archived
      events: clients.archive
      to: finance_office
      window: always
    - name: rate-import-failed
      events: email_rates_manager.no_attachments
      to: desk
      group_by: data.credentials.login
  `;

  const zero = (client: number) => ({ events_id: 'clients.balance_zero', object_id: client });
  const mail = (s: Sent) => s.message as { subject: string; text: string };

  describe('throttling', () => {
    it('sends at most one balance_zero e-mail per client per hour, and the next one says how many were held back', async () => {
      const h = await harness(FINANCE);
      await h.post(T0, zero(12));
      expect(await h.tick(T0)).toHaveLength(1);
      const [second] = await h.post(T0 + 10 * MIN, zero(12));
      await h.post(T0 + 20 * MIN, zero(12));
      await h.post(T0 + 20 * MIN, zero(13));
      expect((await h.tick(T0 + 20 * MIN)).map((s) => mail(s).text)).toEqual([expect.stringContaining('Client: #13')]);
      expect(await h.store.explain(second!)).toMatchObject({
        status: 'suppressed',
        deliveryDetails: [
          {
            status: 'suppressed',
            hold: 'throttle',
            note: 'held back by throttle: at most 1 per 1 h for 12; counted in the next message (not before 2026-11-27T09:00:00.000Z)',
          },
        ],
      });
      // The counts survive a restart.
      await h.restart();
      await h.post(T0 + 61 * MIN, zero(12));
      const [next] = await h.tick(T0 + 61 * MIN);
      expect(mail(next!).text).toContain('Held back: 2 more like this since 2026-11-27 10:10 EET\n');
      // Counted once: the one after it says nothing of them.
      await h.post(T0 + 3 * HOUR, zero(12));
      expect(mail((await h.tick(T0 + 3 * HOUR))[0]!).text).not.toContain('Held back');
    });

    it('keeps counting through a prune when the retention period is shorter than the throttle\'s period', async () => {
      const h = await harness(FINANCE.replace('per: 1h', 'per: 1d'));
      await h.post(T0, zero(12));
      expect(await h.tick(T0)).toHaveLength(1);
      await h.post(T0 + HOUR, zero(12));
      expect(await pruneOld(h.store, KEEP_NOTHING, h.config, T0 + 2 * HOUR)).toBe(2);
      const [third] = await h.post(T0 + 3 * HOUR, zero(12));
      expect(await h.tick(T0 + 3 * HOUR)).toEqual([]);
      expect(await h.store.explain(third!)).toMatchObject({ status: 'suppressed', deliveryDetails: [{ hold: 'throttle' }] });
      // The day over, the next one goes and counts both held back.
      await h.post(T0 + 25 * HOUR, zero(12));
      expect(mail((await h.tick(T0 + 25 * HOUR))[0]!).text).toContain('Held back: 2 more like this since 2026-11-27 11:00 EET\n');
    });

    it('refuses a decision made on throttle counts that changed meanwhile, and makes it again', async () => {
      const h = await harness(FINANCE);
      const other = h.another();
      others.push(other);
      // Decided on the counts before another writer took the hour's one place.
      const [routing] = await h.prepare(T0, zero(12));
      const decided = await applyHolds([routing!], h.store, h.planner, T0);
      await h.post(T0, zero(12));
      await expect(h.store.route(decided, T0)).rejects.toBeInstanceOf(ConflictError);
      await h.record(T0, routing!);
      expect((await h.store.explain(routing!.id))!.deliveryDetails[0]).toMatchObject({ status: 'suppressed', hold: 'throttle' });
    });
  });

  describe('send windows', () => {
    it('defer a message outside working hours in Kyiv to when they begin, and send it then', async () => {
      const h = await harness(FINANCE);
      // Friday 20:30 in Kyiv.
      const friday = Date.parse('2026-11-27T18:30:00Z');
      const [id] = await h.post(friday, { events_id: 'clients.delete', object_id: 12 });
      expect(await h.tick(friday)).toEqual([]);
      expect(await h.store.explain(id!)).toMatchObject({
        status: 'held',
        deliveryDetails: [
          {
            status: 'held',
            hold: 'window',
            nextAt: Date.parse('2026-11-30T06:00:00Z'),
            note: 'deferred: outside send window working_hours (Mon-Fri 08:00-19:00 Europe/Kyiv) until 2026-11-30 08:00 EET',
          },
        ],
      });
      await h.restart();
      expect(await h.tick(Date.parse('2026-11-28T12:00:00Z'))).toEqual([]);
      expect(await h.tick(Date.parse('2026-11-30T05:59:59Z'))).toEqual([]);
      const [sent] = await h.tick(Date.parse('2026-11-30T06:00:00Z'));
      expect(mail(sent!).text).toContain('Client: #12');
      // Its maximum age counts from when the window opened, not from Friday.
      expect(sent!.createdAt).toBe(Date.parse('2026-11-30T06:00:00Z'));
    });

    it('stay shut on the dates listed: a message on Christmas Day goes on the next working day', async () => {
      const h = await harness(FINANCE.replace('hours: "08:00-19:00" }', 'hours: "08:00-19:00", except: [12-25] }'));
      const christmas = Date.parse('2026-12-25T08:00:00Z'); // Friday 10:00 in Kyiv
      const [id] = await h.post(christmas, { events_id: 'clients.delete', object_id: 12 });
      expect(await h.tick(christmas)).toEqual([]);
      expect((await h.store.explain(id!))!.deliveryDetails[0]).toMatchObject({
        status: 'held',
        note: 'deferred: outside send window working_hours (Mon-Fri 08:00-19:00 Europe/Kyiv, except 12-25) until 2026-12-28 08:00 EET',
      });
      expect(await h.tick(Date.parse('2026-12-28T05:59:59Z'))).toEqual([]);
      const [sent] = await h.tick(Date.parse('2026-12-28T06:00:00Z'));
      expect(mail(sent!).text).toContain('Client: #12');
    });

    it('are ignored by a rule that says window: always', async () => {
      const h = await harness(FINANCE);
      const friday = Date.parse('2026-11-27T18:30:00Z');
      await h.post(friday, { events_id: 'clients.archive', object_id: 12 });
      expect(await h.tick(friday)).toHaveLength(1);
    });

    it('hold a group closed at night and send its digest when they open', async () => {
      const h = await harness(FINANCE);
      const night = Date.parse('2026-11-26T21:00:00Z'); // Thursday 23:00 Kyiv
      for (let n = 1; n <= 3; n++) {
        await h.post(night + n * MIN, failure(n));
        expect(await h.tick(night + n * MIN)).toEqual([]);
      }
      const [id] = await h.post(night + 5 * MIN, failure(4));
      await h.tick(night + 5 * MIN);
      expect((await h.store.explain(id!))!.deliveryDetails[0]!.group).toMatchObject({ size: 4, flushAt: Date.parse('2026-11-27T06:00:00Z') });
      const [digest, ...rest] = await h.tick(Date.parse('2026-11-27T06:00:00Z'));
      expect(rest).toEqual([]);
      expect(text(digest!)).toMatch(/^\*4 × Rate e-mail had no attachments\*/);
    });
  });

  const INCIDENTS = (flap: string) => `
  destinations:
    finance: { type: email, to: finance@example.com }
    desk: { type: slack, channel: "#finance" }
  incidents:
    balance: { opens: clients.balance_zero, closes: clients.balance_notzero, flap: ${flap} }
  rules:
    - { name: zero, events: clients.balance_zero, to: [finance, desk], incident: balance }
    - { name: recovered, events: clients.balance_notzero, to: [finance, desk], incident: balance }
  `;
  const notzero = (client: number) => ({ events_id: 'clients.balance_notzero', object_id: client });

  describe('balance incidents', () => {
    it('answer the first message: the recovery replies to the zero e-mail and Slack message of the same client', async () => {
      const h = await harness(INCIDENTS('10m'));
      await h.post(T0, zero(12), zero(13));
      const opened = await h.tick(T0);
      expect(opened).toHaveLength(4);
      const [recovery] = await h.post(T0 + HOUR, notzero(12));
      expect(await h.store.explain(recovery!)).toMatchObject({
        status: 'held',
        deliveryDetails: [
          { status: 'held', hold: 'flap', nextAt: T0 + HOUR + 10 * MIN, note: `held for flap damping until ${new Date(T0 + HOUR + 10 * MIN).toISOString()}: sent then unless incident balance reopens` },
          { status: 'held', hold: 'flap' },
        ],
      });
      expect(await h.tick(T0 + HOUR + 9 * MIN)).toEqual([]);
      const replies = await h.tick(T0 + HOUR + 10 * MIN);
      expect(replies).toHaveLength(2);
      // Their maximum age counts from now, when they were let go, not from the event.
      for (const r of replies) expect(r.createdAt).toBe(T0 + HOUR + 10 * MIN);
      const root = (destination: string) => opened.find((s) => s.destination === destination && s.eventId !== recovery && JSON.stringify(s.message).includes('#12'))!;
      for (const r of replies) expect(r.replyTo, r.destination).toBe(`ref-${root(r.destination).id}`);
      expect(mail(replies.find((r) => r.destination === 'finance')!).text).toContain('Since: 2026-11-27 08:00 UTC (1 h)\n');
    });

    it('damp a client flapping around zero: one message when it goes, one when it is back for good', async () => {
      const h = await harness(INCIDENTS('10m'));
      await h.post(T0, zero(12));
      expect(await h.tick(T0)).toHaveLength(2);
      const [firstClose] = await h.post(T0 + 1 * MIN, notzero(12));
      const [reopen] = await h.post(T0 + 2 * MIN, zero(12));
      await h.post(T0 + 3 * MIN, notzero(12));
      await h.post(T0 + 4 * MIN, zero(12));
      await h.post(T0 + 5 * MIN, notzero(12));
      expect(await h.tick(T0 + 14 * MIN)).toEqual([]);
      expect((await h.store.explain(firstClose!))!.deliveryDetails[0]).toMatchObject({
        status: 'suppressed',
        hold: 'damped',
        note: 'damped: incident balance reopened within its flap time; this close is not sent',
      });
      expect((await h.store.explain(reopen!))!.deliveryDetails[0]).toMatchObject({
        status: 'suppressed',
        note: 'damped: incident balance (12) reopened within 10 min of closing; neither the close nor the reopening is sent (1 flap so far)',
      });
      const back = await h.tick(T0 + 15 * MIN);
      expect(back).toHaveLength(2);
      expect(mail(back.find((s) => s.destination === 'finance')!).text).toContain('flapped 2 times');
      expect(h.sent).toHaveLength(4);
    });

    it('damp within one routing batch, and keep a held recovery across a restart', async () => {
      const h = await harness(INCIDENTS('10m'));
      await h.post(T0, zero(12), notzero(12), zero(12), notzero(12));
      expect(await h.tick(T0)).toHaveLength(2);
      await h.restart();
      expect(await h.tick(T0 + 10 * MIN)).toHaveLength(2);
      expect(h.sent.filter((s) => s.replyTo)).toHaveLength(2);
    });

    it('answer only the incident\'s own message, not another rule\'s message of the same event to the same place', async () => {
      const h = await harness(`
  destinations:
    desk: { type: slack, channel: "#finance" }
  incidents:
    balance: { opens: clients.balance_zero, closes: clients.balance_notzero }
  rules:
    - { name: audit, events: "clients.*", to: desk, continue: true }
    - { name: zero, events: clients.balance_zero, to: desk, incident: balance }
    - { name: recovered, events: clients.balance_notzero, to: desk, incident: balance }
  `);
      await h.post(T0, zero(12));
      const opened = await h.tick(T0);
      expect(opened.map((s) => s.rule)).toEqual(['audit', 'zero']);
      await h.post(T0 + MIN, notzero(12));
      const closed = await h.tick(T0 + MIN);
      expect(closed.map((s) => [s.rule, s.replyTo ?? null])).toEqual([
        ['audit', null],
        ['recovered', `ref-${opened[1]!.id}`],
      ]);
    });

    it('without flap damping, send the recovery at once, after the message it answers', async () => {
      const h = await harness(INCIDENTS('0s'));
      await h.post(T0, zero(12), notzero(12));
      const sent = await h.tick(T0);
      expect(sent.map((s) => [s.eventId, s.destination, s.replyTo ?? null])).toEqual([
        ['ev00001', 'finance', null],
        ['ev00001', 'desk', null],
        ['ev00002', 'finance', `ref-${sent[0]!.id}`],
        ['ev00002', 'desk', `ref-${sent[1]!.id}`],
      ]);
      // A recovery without a zero before it is a message of its own.
      await h.post(T0 + HOUR, notzero(99));
      expect((await h.tick(T0 + HOUR)).map((s) => s.replyTo ?? null)).toEqual([null, null]);
    });
  });

  describe('the default webhook body', () => {
    const HOOK = `
  destinations:
    hook: { type: webhook, url: "http://127.0.0.1:9/hook" }
  incidents:
    balance: { opens: clients.balance_zero, closes: clients.balance_notzero, flap: 10m }
  rules:
    - { name: zero, events: clients.balance_zero, to: hook, incident: balance }
    - { name: recovered, events: clients.balance_notzero, to: hook, incident: balance }
    - { name: deleted, events: clients.delete, to: hook, throttle: { key: event.object_id, max: 1, per: 1h } }
  `;
    const body = (s: Sent) => (s.message as { body: Record<string, unknown> }).body;
    const deleted = (client: number) => ({ events_id: 'clients.delete', object_id: client });

    it('says how many messages a throttle held back, and since when', async () => {
      const h = await harness(HOOK);
      await h.post(T0, deleted(12));
      const [first] = await h.tick(T0);
      expect(body(first!)).not.toHaveProperty('held');
      await h.post(T0 + 10 * MIN, deleted(12));
      await h.post(T0 + 20 * MIN, deleted(12));
      expect(await h.tick(T0 + 20 * MIN)).toEqual([]);
      await h.post(T0 + 61 * MIN, deleted(12));
      const [next] = await h.tick(T0 + 61 * MIN);
      expect(body(next!)).toMatchObject({ rule: 'deleted', held: { count: 2, since: '2026-11-27T08:10:00.000Z' } });
      expect(body(next!)).not.toHaveProperty('incident');
    });

    it('carries the incident an event opens or closes: since when, how long, how often it flapped', async () => {
      const h = await harness(HOOK);
      await h.post(T0, zero(12));
      const [opened] = await h.tick(T0);
      expect(body(opened!).incident).toEqual({ name: 'balance', key: '12', state: 'open', opened_at: '2026-11-27T08:00:00.000Z', flaps: 0 });
      await h.post(T0 + 1 * MIN, notzero(12));
      await h.post(T0 + 2 * MIN, zero(12));
      await h.post(T0 + HOUR, notzero(12));
      const [closed] = await h.tick(T0 + HOUR + 10 * MIN);
      expect(body(closed!)).toMatchObject({ rule: 'recovered', incident: { name: 'balance', key: '12', state: 'closed', opened_at: '2026-11-27T08:00:00.000Z', flaps: 1, duration: '1 h' } });
      expect(body(closed!)).not.toHaveProperty('held');
    });
  });
});

describe('a digest whose template fails at run time', () => {
  it('sends the plain fallback digest and logs one warning naming the rule, destination and error', async () => {
    const lines: string[] = [];
    const h = holdHarness(RATE_DESK('    digest: { slack: { text: "{{> nope}} {{count}}" } }'), sqliteDriver(), undefined, createLogger((l) => lines.push(l)));
    harnesses.push(h);
    await h.post(T0, failure(1));
    await h.tick(T0);
    await h.post(T0 + MIN, failure(2), failure(3));
    expect(await h.tick(T0 + MIN)).toEqual([]);
    const [digest] = await h.tick(T0 + 5 * MIN);
    expect(text(digest!)).toMatch(/^2 VCS events for rule rate-import-failed \(digest could not be rendered\):/);
    const warned = lines.filter((l) => l.includes(' WARN '));
    expect(warned.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      `WARN digest template failed; the plain fallback digest goes instead event=${digest!.eventId} rule=rate-import-failed destination=desk events=2 error="The partial nope could not be found"`,
    ]);
  });
});
