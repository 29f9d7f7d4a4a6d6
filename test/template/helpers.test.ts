import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS } from '../../src/events/catalog.ts';
import { escapeHtml, escapeSlack } from '../../src/template/escape.ts';
import { run, wellFormed } from './support.ts';

const DT = '2022-01-24T15:44:47.216756+00:00'; // the catalog's samples
const SUMMER = '2022-07-24T15:44:47+00:00';

describe('date', () => {
  it('reads the catalog sample and defaults to UTC', () => {
    const sample = EVENTS['clients.create']!.sample;
    expect(run('{{date event.dt}}', sample)).toBe('2022-01-24 15:44 UTC');
  });

  it('uses tz= in winter (EET, UTC+2) and summer (EEST, UTC+3)', () => {
    expect(run('{{date d tz="Europe/Kyiv"}}', { d: DT })).toBe('2022-01-24 17:44 EET');
    expect(run('{{date d tz="Europe/Kyiv"}}', { d: SUMMER })).toBe('2022-07-24 18:44 EEST');
  });

  it('follows Kyiv across both DST changes of 2022', () => {
    // Spring forward at 01:00 UTC on 27 March: 03:00 local does not exist.
    expect(run('{{date "2022-03-27T00:59:00Z" tz="Europe/Kyiv"}}')).toBe('2022-03-27 02:59 EET');
    expect(run('{{date "2022-03-27T01:00:00Z" tz="Europe/Kyiv"}}')).toBe('2022-03-27 04:00 EEST');
    // Fall back at 01:00 UTC on 30 October: 03:30 local happens twice, the zone tells which.
    expect(run('{{date "2022-10-30T00:30:00Z" tz="Europe/Kyiv"}}')).toBe('2022-10-30 03:30 EEST');
    expect(run('{{date "2022-10-30T01:30:00Z" tz="Europe/Kyiv"}}')).toBe('2022-10-30 03:30 EET');
  });

  it('uses the settings time zone when the template names none, tz= over it', () => {
    expect(run('{{date d}}', { d: DT }, { timeZone: 'Europe/Kyiv' })).toBe('2022-01-24 17:44 EET');
    expect(run('{{date d tz="UTC"}}', { d: DT }, { timeZone: 'Europe/Kyiv' })).toBe('2022-01-24 15:44 UTC');
  });

  it('has the documented formats', () => {
    const out = (format: string) => run(`{{date d tz="Europe/Kyiv" format="${format}"}}`, { d: DT });
    expect(out('datetime')).toBe('2022-01-24 17:44 EET');
    expect(out('date')).toBe('2022-01-24');
    expect(out('time')).toBe('17:44 EET');
    expect(out('seconds')).toBe('2022-01-24 17:44:47 EET');
    expect(out('iso')).toBe('2022-01-24T15:44:47.216Z');
    expect(out('no-such-format')).toBe('2022-01-24 17:44 EET');
  });

  it('gives the local date, which can differ from the UTC one', () => {
    expect(run('{{date "2022-01-24T23:30:00Z" tz="Europe/Kyiv" format="date"}}')).toBe('2022-01-25');
    expect(run('{{date "2022-01-24T00:05:00Z" format="seconds"}}')).toBe('2022-01-24 00:05:00 UTC');
  });

  it('returns unparseable input as it is, and nothing for a missing value', () => {
    expect(run('{{date d}}', { d: 'yesterday' })).toBe('yesterday');
    expect(run('{{date d}}', { d: '' })).toBe('');
    expect(run('{{date d}}', {})).toBe('');
    expect(run('{{date d}}', { d: null })).toBe('');
  });

  it('falls back to UTC, and says so, for an unknown zone', () => {
    expect(run('{{date d tz="Mars/Olympus"}}', { d: DT })).toBe('2022-01-24 15:44 UTC');
  });

  describe('a date-time without an offset', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('is UTC whatever zone the server runs in', () => {
      process.env.TZ = 'Asia/Tokyo';
      expect(run('{{date d}}', { d: '2022-01-24 15:44:47' })).toBe('2022-01-24 15:44 UTC');
      expect(run('{{date d tz="Europe/Kyiv"}}', { d: '2022-01-24T15:44' })).toBe('2022-01-24 17:44 EET');
      expect(run('{{date d format="date"}}', { d: '2022-01-24' })).toBe('2022-01-24');
    });
  });
});

describe('number', () => {
  it('groups thousands and keeps the decimals it has', () => {
    expect(run('{{number 5210}}')).toBe('5,210');
    expect(run('{{number 1234.5}}')).toBe('1,234.5');
    expect(run('{{number "-1234567"}}')).toBe('-1,234,567');
  });

  it('takes decimals as the second argument or decimals=', () => {
    expect(run('{{number 1234.5 2}}')).toBe('1,234.50');
    expect(run('{{number 1234.567 decimals=1}}')).toBe('1,234.6');
    expect(run('{{number 3 0}}')).toBe('3');
  });

  it('returns what is not a number as it is', () => {
    expect(run('{{number "n/a"}}')).toBe('n/a');
    expect(run('{{number " "}}')).toBe(' ');
    expect(run('{{number x}}')).toBe('');
  });
});

describe('money', () => {
  it('puts the currency code after the amount, with two decimals', () => {
    expect(run('{{money 1234.5 "EUR"}}')).toBe('1,234.50 EUR');
    expect(run('{{money b c}}', { b: -12.5, c: 'USD' })).toBe('-12.50 USD');
    expect(run('{{money "0" "UAH"}}')).toBe('0.00 UAH');
    expect(run('{{money 1234.5 currency="EUR"}}')).toBe('1,234.50 EUR');
    expect(run('{{money 0.12345 "USD" decimals=4}}')).toBe('0.1235 USD');
  });

  it('shows the amount alone without a currency', () => {
    expect(run('{{money 1234.5}}')).toBe('1,234.50');
    expect(run('{{money b c}}', { b: 7 })).toBe('7.00');
    expect(run('{{money 7 ""}}')).toBe('7.00');
  });

  it('returns what is not a number as it is', () => {
    expect(run('{{money "unlimited" "USD"}}')).toBe('unlimited');
    expect(run('{{money x "USD"}}')).toBe('');
    expect(run('{{money b c}}', { b: true, c: 'USD' })).toBe('true');
  });
});

describe('default', () => {
  it('gives the first value that is not empty', () => {
    expect(run('{{default name "unknown"}}', {})).toBe('unknown');
    expect(run('{{default name "unknown"}}', { name: '' })).toBe('unknown');
    expect(run('{{default name "unknown"}}', { name: null })).toBe('unknown');
    expect(run('{{default a b "c"}}', { b: 'B' })).toBe('B');
    expect(run('{{default name "unknown"}}', { name: 'ACME' })).toBe('ACME');
  });

  it('keeps 0 and false, which are values', () => {
    expect(run('{{default n 5}}', { n: 0 })).toBe('0');
    expect(run('{{default n 5}}', { n: false })).toBe('false');
  });

  it('is empty when every value is', () => {
    expect(run('[{{default a b}}]', {})).toBe('[]');
  });
});

describe('json', () => {
  const o = { name: 'A & "B"', list: [1, null] };

  it('writes JSON text, escaped for the channel unless tripled', () => {
    expect(run('{{json o}}', { o })).toBe('{"name":"A & \\"B\\"","list":[1,null]}');
    expect(run('{{json o}}', { o }, { escape: escapeHtml })).toBe(
      '{&quot;name&quot;:&quot;A &amp; \\&quot;B\\&quot;&quot;,&quot;list&quot;:[1,null]}',
    );
    expect(run('{{{json o}}}', { o }, { escape: escapeHtml })).toBe(JSON.stringify(o));
  });

  it('indents with indent=', () => {
    expect(run('{{{json o indent=2}}}', { o: { a: 1 } })).toBe('{\n  "a": 1\n}');
  });

  it('writes null for a missing value, so the result is still JSON', () => {
    expect(run('{{json missing}}')).toBe('null');
    expect(run('{{json s}}', { s: 'x' })).toBe('"x"');
  });
});

describe('truncate', () => {
  const s = 'Hello, world';

  it('cuts to the length, marker included, with … by default', () => {
    expect(run('{{truncate s 5}}', { s })).toBe('Hell…');
    expect(Array.from(run('{{truncate s 5}}', { s }))).toHaveLength(5);
  });

  it('takes another marker', () => {
    expect(run('{{truncate s 8 marker="..."}}', { s })).toBe('Hello...');
    expect(run('{{truncate s 5 marker=""}}', { s })).toBe('Hello');
  });

  it('leaves short text alone, and cuts at 100 by default', () => {
    expect(run('{{truncate s 12}}', { s })).toBe(s);
    expect(run('{{truncate s}}', { s: 'x'.repeat(100) })).toBe('x'.repeat(100));
    expect(run('{{truncate s}}', { s: 'x'.repeat(101) })).toBe(`${'x'.repeat(99)}…`);
    expect(run('[{{truncate s 3}}]', {})).toBe('[]');
  });

  it('counts an astral character as one and never splits its surrogate pair', () => {
    const emoji = '😀😀😀😀😀';
    expect(run('{{truncate s 3}}', { s: emoji })).toBe('😀😀…');
    expect(run('{{truncate s 5}}', { s: emoji })).toBe(emoji);
    for (let n = 1; n <= 6; n++) {
      const out = run('{{truncate s n}}', { s: `a${emoji}b`, n });
      expect(wellFormed(out), `length ${n}: ${JSON.stringify(out)}`).toBe(true);
    }
  });

  it('is escaped after cutting, so it never leaves half an entity', () => {
    expect(run('{{truncate s 5}}', { s: 'a <b> c' }, { escape: escapeSlack })).toBe('a &lt;b…');
  });
});

describe('join', () => {
  const tables = EVENTS['email_rates_manager.no_attachments']!.sample.data as Record<string, unknown>;

  it('joins with ", " by default, or the separator given', () => {
    expect(run('{{join l}}', { l: ['a', 'b', 'c'] })).toBe('a, b, c');
    expect(run('{{join l "; "}}', { l: ['a', 'b'] })).toBe('a; b');
    expect(run('{{join l ""}}', { l: ['a', 'b'] })).toBe('ab');
  });

  it('takes one field of each item with key=', () => {
    expect(run('{{join rate_tables key="name"}}', tables)).toBe('Vendor A - Premium, Vendor A - Standard');
    expect(run('{{join rate_tables " | " key="id"}}', tables)).toBe('74 | 7');
  });

  it('writes objects as JSON without key=, and takes a single value or nothing', () => {
    expect(run('{{join l}}', { l: [{ a: 1 }, 2] })).toBe('{"a":1}, 2');
    expect(run('{{join s}}', { s: 'one' })).toBe('one');
    expect(run('[{{join missing}}]', {})).toBe('[]');
  });
});

describe('tally', () => {
  const events = [
    { event: { events_id: 'email_rates_manager.no_attachments', object_id: '1' } },
    { event: { events_id: 'importd.process_failed', object_id: 2 } },
    { event: { events_id: 'importd.process_failed', object_id: '2' } },
    { event: { events_id: 'email_rates_manager.rate_tables_no_match' } },
    { event: { events_id: 'importd.process_failed' } },
  ];
  const each = '{{#each (tally events key="event.events_id")}}{{#unless @first}}, {{/unless}}{{count}} {{value}}{{/each}}';

  it('counts the items by a field (a dotted path), most first, ties in the order first seen', () => {
    expect(run(each, { events })).toBe('3 importd.process_failed, 1 email_rates_manager.no_attachments, 1 email_rates_manager.rate_tables_no_match');
  });

  it('counts values as eq compares them, and items without the field under no value', () => {
    expect(run('{{#each (tally events key="event.object_id")}}{{count}}×[{{value}}] {{/each}}', { events })).toBe('2×[2] 2×[] 1×[1] ');
  });

  it('counts the items themselves without key=, and takes a single value or nothing', () => {
    expect(run('{{#each (tally l)}}{{count}} {{#if value.x}}x={{value.x}}{{else}}{{value}}{{/if}}; {{/each}}', { l: ['b', 'a', 'b', { x: 1 }, { x: 1 }] })).toBe('2 b; 2 x=1; 1 a; ');
    expect(run('{{#each (tally s)}}{{count}} {{value}}{{/each}}', { s: 'one' })).toBe('1 one');
    expect(run('[{{#each (tally missing)}}x{{/each}}]', {})).toBe('[]');
  });

  it('is a list that length and #with can use: how many different values there are', () => {
    expect(run('{{length (tally events key="event.events_id")}}', { events })).toBe('3');
    expect(run('{{#with (tally events key="event.events_id")}}{{this.[0].count}}{{/with}}', { events })).toBe('3');
  });

  it('reads only the items\' own fields', () => {
    expect(run('{{#each (tally l key="constructor.name")}}{{count}}[{{value}}]{{/each}}', { l: [{}, { constructor: { name: 'x' } }] })).toBe('1[]1[x]');
  });
});

describe('upper, lower, length', () => {
  it('changes case', () => {
    expect(run('{{upper s}}|{{lower s}}', { s: 'Vendor A' })).toBe('VENDOR A|vendor a');
    expect(run('[{{upper x}}]', {})).toBe('[]');
  });

  it('counts characters, items and keys', () => {
    expect(run('{{length s}}', { s: 'abc' })).toBe('3');
    expect(run('{{length s}}', { s: 'a😀' })).toBe('2');
    expect(run('{{length l}}', { l: [1, 2, 3] })).toBe('3');
    expect(run('{{length o}}', { o: { a: 1, b: 2 } })).toBe('2');
    expect(run('{{length x}}', {})).toBe('0');
  });
});

describe('comparisons and logic', () => {
  const cases: [string, unknown, boolean][] = [
    ['eq 1 1', {}, true],
    ['eq 12 "12"', {}, true],
    ['eq "active" "active"', {}, true],
    ['eq "007" "7"', {}, false],
    ['eq "x" l', { l: ['x'] }, false],
    ['eq a b', { a: null, b: 0 }, false],
    ['ne 1 2', {}, true],
    ['ne "a" "a"', {}, false],
    ['lt 1 2', {}, true],
    ['lt "9" "10"', {}, true], // numbers as strings compare as numbers
    ['lt b 0', { b: '-12.50' }, true],
    ['lt missing 5', {}, false], // a missing value is not 0
    ['lt n 5', { n: null }, false],
    ['lt "2022-01-24" "2022-02-01"', {}, true],
    ['lte 2 2', {}, true],
    ['lte 3 2', {}, false],
    ['gt "10" 9', {}, true],
    ['gt 1 "a"', {}, false],
    ['gte 2 2', {}, true],
    ['gte 1 2', {}, false],
    ['and 1 "x"', {}, true],
    ['and 1 0', {}, false],
    ['or 0 ""', {}, false],
    ['or 0 1', {}, true],
    ['not 0', {}, true],
    ['not "x"', {}, false],
  ];
  it.each(cases)('{{%s}}', (expr, ctx, expected) => {
    expect(run(`{{${expr}}}`, ctx)).toBe(String(expected));
    expect(run(`{{#if (${expr})}}yes{{else}}no{{/if}}`, ctx)).toBe(expected ? 'yes' : 'no');
  });

  it('works as subexpressions inside each other, as in the README', () => {
    const data = { rates: { increased: 51, decreased: 3 } };
    expect(run('{{#if (gt rates.increased 50)}}many{{/if}}', data)).toBe('many');
    expect(run('{{#if (and (gt rates.increased 50) (not (gt rates.decreased 5)))}}up{{/if}}', data)).toBe('up');
  });
});

describe('built-in block helpers and partials', () => {
  it('#if / else if / else, hiding empty values', () => {
    const t = '{{#if a}}A{{else if b}}B{{else}}none{{/if}}';
    expect(run(t, { a: 1 })).toBe('A');
    expect(run(t, { b: 1 })).toBe('B');
    expect(run(t, { a: [], b: '' })).toBe('none');
    expect(run('{{#if n includeZero=true}}zero shows{{/if}}', { n: 0 })).toBe('zero shows');
    expect(run('{{#unless a}}no a{{/unless}}', {})).toBe('no a');
  });

  it('#each over arrays and objects, with @index, @key, @first, @last and else', () => {
    const errors = ['Line 14: bad', 'Line 15: worse'];
    expect(run('{{#each e}}{{@index}}={{this}}{{#unless @last}}; {{/unless}}{{/each}}', { e: errors })).toBe(
      '0=Line 14: bad; 1=Line 15: worse',
    );
    expect(run('{{#each o}}{{#if @first}}>{{/if}}{{@key}}:{{this}} {{/each}}', { o: { a: 1, b: 2 } })).toBe('>a:1 b:2 ');
    expect(run('{{#each e}}x{{else}}nothing{{/each}}', { e: [] })).toBe('nothing');
  });

  it('#with changes the context, and ../ reaches out of it', () => {
    const sample = EVENTS['email_rates_manager.import']!.sample;
    expect(run('{{#with data.message}}{{subject}} from {{from}} ({{../event.object_id}}){{/with}}', sample)).toBe(
      'Price list update 2022-01-24 from Vendor Rates <rates@vendor.example> (77798)',
    );
    expect(run('{{#with missing}}x{{else}}no message{{/with}}', {})).toBe('no message');
  });

  it('escapes inside blocks with the channel escaper', () => {
    expect(run('{{#each l}}{{this}}{{/each}}|{{#with o}}{{v}}{{/with}}', { l: ['<a>'], o: { v: '"q"' } }, { escape: escapeHtml })).toBe(
      '&lt;a&gt;|&quot;q&quot;',
    );
  });

  it('renders partials with the current context, with hash arguments and with a context argument', () => {
    const partials = { who: '{{name}} (#{{id}})', tag: '[{{label}}: {{value}}]' };
    expect(run('Client {{> who}}', { name: 'ACME', id: 12 }, { partials })).toBe('Client ACME (#12)');
    expect(run('{{> who data}}', { data: { name: 'B', id: 3 } }, { partials })).toBe('B (#3)');
    expect(run('{{> tag label="Status" value=s}}', { s: 'active' }, { partials })).toBe('[Status: active]');
    expect(run('{{#each c}}{{> who}} {{/each}}', { c: [{ name: 'A', id: 1 }, { name: 'B', id: 2 }] }, { partials })).toBe(
      'A (#1) B (#2) ',
    );
  });

  it('renders partials with the escaper and time zone of the message', () => {
    const partials = { when: '{{name}} at {{date d}}' };
    expect(run('{{> when}}', { name: '<!here>', d: DT }, { partials, escape: escapeSlack, timeZone: 'Europe/Kyiv' })).toBe(
      '&lt;!here&gt; at 2022-01-24 17:44 EET',
    );
    expect(run('{{#each l}}{{date this}} {{/each}}', { l: [DT, SUMMER] }, { timeZone: 'Europe/Kyiv' })).toBe(
      '2022-01-24 17:44 EET 2022-07-24 18:44 EEST ',
    );
  });

  it('fails the render when a partial is missing', () => {
    expect(() => run('{{> nowhere}}')).toThrow(/nowhere/);
  });
});
