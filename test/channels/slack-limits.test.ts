import { describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../src/channels/slack/index.ts';
import { cut, fitBlocks, fitText40k, LIMITS, MARKER } from '../../src/channels/slack/limits.ts';
import { EVENTS } from '../../src/events/catalog.ts';
import { escapeSlack } from '../../src/template/escape.ts';
import { message, wellFormed } from '../template/support.ts';

type Block = Record<string, unknown>;
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });
const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text } });
const textOf = (block: Block | undefined) => (block?.text as { text: string }).text;

// Every "&" in Slack text starts one of the three entities Slack decodes.
const wholeEntities = (s: string) => /^(?:[^&]|&amp;|&lt;|&gt;)*$/.test(s);

describe('the limits', () => {
  it('are the documented ones', () => {
    expect(LIMITS).toEqual({ text: 40_000, blocks: 50, sectionText: 3_000, headerText: 150, fieldText: 2_000 });
    expect(MARKER).toBe('… (truncated)');
  });
});

describe('message text', () => {
  it('is cut at 40,000 characters with the visible marker', () => {
    const out = fitText40k('x'.repeat(50_000));
    expect(out).toHaveLength(40_000);
    expect(out.endsWith(MARKER)).toBe(true);
    expect(out.startsWith('x'.repeat(40_000 - MARKER.length))).toBe(true);
  });

  it('is cut one over the limit and left alone at it', () => {
    expect(fitText40k('y'.repeat(40_001))).toBe('y'.repeat(40_000 - MARKER.length) + MARKER);
    expect(fitText40k('y'.repeat(40_000))).toBe('y'.repeat(40_000));
  });

  it('is cut by the Slack channel when a template renders more', () => {
    const note = '<&>'.repeat(20_000); // 60,000 characters, 180,000 once escaped
    const sample = EVENTS['clients.create']!.sample as { event: unknown; data: Record<string, unknown> };
    const msg = message<SlackMessage>('slack', 'clients.create', { ...sample, data: { ...sample.data, note } }, { text: '{{data.note}}' });
    expect(msg.text.length).toBeLessThanOrEqual(40_000);
    expect(msg.text.endsWith(MARKER)).toBe(true);
    expect(wholeEntities(msg.text.slice(0, -MARKER.length))).toBe(true);
  });
});

describe('blocks', () => {
  it('cut section text over 3,000 characters', () => {
    const [out] = fitBlocks([section('s'.repeat(3_001))]);
    expect(textOf(out)).toHaveLength(3_000);
    expect(textOf(out).endsWith(MARKER)).toBe(true);
  });

  it('cut header text over 150 characters, with a short marker', () => {
    const [out] = fitBlocks([header('h'.repeat(200))]);
    expect(textOf(out)).toBe(`${'h'.repeat(149)}…`);
  });

  it('cut each section field over 2,000 characters', () => {
    const fields = [
      { type: 'mrkdwn', text: 'f'.repeat(2_500) },
      { type: 'mrkdwn', text: 'short' },
      { type: 'plain_text', text: 'g'.repeat(2_000) },
    ];
    const [out] = fitBlocks([{ type: 'section', fields }]);
    const texts = (out!.fields as { text: string }[]).map((f) => f.text);
    expect(texts[0]).toBe('f'.repeat(2_000 - MARKER.length) + MARKER);
    expect(texts.slice(1)).toEqual(['short', 'g'.repeat(2_000)]);
  });

  it('keep 49 of more than 50 blocks and say how many were dropped', () => {
    const blocks = Array.from({ length: 60 }, (_, i) => section(`block ${i}`));
    const out = fitBlocks(blocks);
    expect(out).toHaveLength(50);
    expect(out.slice(0, 49)).toEqual(blocks.slice(0, 49));
    expect(out[49]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '… 11 more blocks truncated' }] });
  });

  it('are all kept at exactly 50', () => {
    const blocks = Array.from({ length: 50 }, (_, i) => section(`block ${i}`));
    expect(fitBlocks(blocks)).toEqual(blocks);
  });

  it('are fitted by the Slack channel when a Block Kit template renders too much', () => {
    const sample = EVENTS['clients.create']!.sample as { event: unknown; data: Record<string, unknown> };
    const data = { ...sample.data, name: 'N&'.repeat(200), rows: Array.from({ length: 70 }, (_, i) => `row ${i} <x>`) };
    const blocks =
      '[ { "type": "header", "text": { "type": "plain_text", "text": "{{data.name}}" } }' +
      '{{#each data.rows}}, { "type": "section", "text": { "type": "mrkdwn", "text": "{{this}}" } }{{/each}} ]';
    const msg = message<SlackMessage>('slack', 'clients.create', { ...sample, data }, { blocks, text: 'rows' });
    expect(msg.blocks).toHaveLength(50);
    expect(textOf(msg.blocks![0]).length).toBeLessThanOrEqual(150);
    expect(wholeEntities(textOf(msg.blocks![0]).slice(0, -1))).toBe(true);
    expect(textOf(msg.blocks![1])).toBe('row 0 &lt;x&gt;');
    expect(msg.blocks![49]).toMatchObject({ type: 'context', elements: [{ text: '… 22 more blocks truncated' }] });
  });
});

describe('cut', () => {
  it('never splits an entity, wherever the limit falls', () => {
    const text = escapeSlack('a&b<c>d'.repeat(30));
    for (let max = MARKER.length; max < 120; max++) {
      const out = cut(text, max);
      expect(out.length, `max ${max}`).toBeLessThanOrEqual(max);
      expect(out.endsWith(MARKER)).toBe(true);
      expect(wholeEntities(out.slice(0, -MARKER.length)), `max ${max}: ${out}`).toBe(true);
    }
  });

  it('cuts just before an entity it cannot keep whole', () => {
    const text = `${'x'.repeat(10)}&amp;${'y'.repeat(30)}`;
    expect(cut(text, 10 + 4 + MARKER.length)).toBe(`${'x'.repeat(10)}${MARKER}`);
    expect(cut(text, 10 + 5 + MARKER.length)).toBe(`${'x'.repeat(10)}&amp;${MARKER}`);
  });

  it('never splits a mention or a link, wherever the limit falls', () => {
    const text = 'ping <@U123ABC> see <https://example.com/rates|the table> now '.repeat(5);
    for (let max = MARKER.length; max < 200; max++) {
      const kept = cut(text, max).replace(MARKER, '');
      expect(kept.split('<').length, `max ${max}: ${kept}`).toBe(kept.split('>').length);
    }
    expect(cut('ping <@U123ABC> now, with more words after it', 10 + MARKER.length)).toBe(`ping ${MARKER}`);
  });

  it('never splits a surrogate pair, wherever the limit falls', () => {
    const text = 'a😀&lt;😀😀b&amp;🇺🇦'.repeat(10);
    for (let max = MARKER.length; max < 80; max++) {
      const out = cut(text, max);
      expect(out.length, `max ${max}`).toBeLessThanOrEqual(max);
      expect(wellFormed(out), `max ${max}: ${JSON.stringify(out)}`).toBe(true);
      expect(wholeEntities(out.slice(0, -MARKER.length)), `max ${max}: ${out}`).toBe(true);
    }
  });

  it('stays within a limit shorter than its marker', () => {
    expect(cut('x'.repeat(100), 5)).toBe('xxxxx');
    expect(cut('😀😀😀', 3)).toBe('😀');
    expect(cut('abc&amp;', 5)).toBe('abc');
  });
});

describe('a message within the limits', () => {
  it('is unchanged, and its blocks are copied, not edited', () => {
    const text = `${escapeSlack('<!channel> & co 😀')}${'t'.repeat(40_000 - 40)}`;
    expect(fitText40k(text)).toBe(text);
    const blocks: Block[] = [
      header('h'.repeat(150)),
      section('s'.repeat(3_000)),
      { type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2_000) }] },
      { type: 'divider' },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'c'.repeat(5_000) }] },
    ];
    const before = structuredClone(blocks);
    const out = fitBlocks(blocks);
    expect(out).toEqual(before);
    expect(out[0]).not.toBe(blocks[0]);

    const long = [section('s'.repeat(4_000))];
    fitBlocks(long);
    expect(textOf(long[0])).toHaveLength(4_000);
  });
});
