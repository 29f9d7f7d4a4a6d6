/**
 * Slack's documented limits, met by truncating with a visible marker: a message Slack would reject
 * is a message nobody reads.
 */
export const LIMITS = { text: 40_000, blocks: 50, sectionText: 3_000, headerText: 150, fieldText: 2_000 } as const;

export const MARKER = '… (truncated)';

/** Cuts `text` to at most `max` characters (UTF-16 units, as Slack counts), ending with the marker. */
export function cut(text: string, max: number, marker = MARKER): string {
  if (text.length <= max) return text;
  // A marker that does not fit is dropped: a negative end would make slice() keep nearly everything.
  if (marker.length > max) marker = '';
  let end = max - marker.length;
  // Never split a surrogate pair or an entity such as "&amp;" in half.
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end -= 1;
  const amp = text.lastIndexOf('&', end);
  if (amp !== -1 && end - amp < 6 && !text.slice(amp, end).includes(';')) end = amp;
  // Nor a mention or link such as "<@U123>" or "<https://x|y>": half of one is shown as raw text.
  const open = text.lastIndexOf('<', end - 1);
  if (open !== -1 && !text.slice(open, end).includes('>')) end = open;
  return text.slice(0, end) + marker;
}

type Block = Record<string, unknown>;
type TextObject = { type?: string; text?: string };

function fitText(obj: unknown, max: number, marker: string): void {
  const t = obj as TextObject | undefined;
  if (t && typeof t.text === 'string') t.text = cut(t.text, max, marker);
}

/** Returns a copy of the blocks that Slack accepts: block count, section, field and header text. */
export function fitBlocks(blocks: readonly Block[]): Block[] {
  const out = blocks.map((b) => structuredClone(b));
  for (const block of out) {
    if (block.type === 'header') fitText(block.text, LIMITS.headerText, '…');
    if (block.type === 'section') {
      fitText(block.text, LIMITS.sectionText, MARKER);
      if (Array.isArray(block.fields)) for (const f of block.fields) fitText(f, LIMITS.fieldText, MARKER);
    }
  }
  if (out.length <= LIMITS.blocks) return out;
  const dropped = out.length - (LIMITS.blocks - 1);
  return [
    ...out.slice(0, LIMITS.blocks - 1),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `… ${dropped} more blocks truncated` }] },
  ];
}

/** The message text within Slack's limit. */
export function fitText40k(text: string): string {
  return cut(text, LIMITS.text);
}

const count = (n: number) => n.toLocaleString('en-US');

/** What in a rendered message is over Slack's limits, so would be cut: one description each. */
export function overLimits(text: string, blocks: readonly Block[] | undefined): string[] {
  const over: string[] = [];
  const check = (what: string, length: number, max: number) => {
    if (length > max) over.push(`${what} is ${count(length)} characters; Slack's limit is ${count(max)}`);
  };
  check('the text', text.length, LIMITS.text);
  (blocks ?? []).forEach((block, i) => {
    const t = (block.text as TextObject | undefined)?.text;
    if (block.type === 'header' && typeof t === 'string') check(`header block ${i + 1}'s text`, t.length, LIMITS.headerText);
    if (block.type !== 'section') return;
    if (typeof t === 'string') check(`section block ${i + 1}'s text`, t.length, LIMITS.sectionText);
    if (Array.isArray(block.fields)) {
      block.fields.forEach((f: TextObject, j: number) => typeof f?.text === 'string' && check(`section block ${i + 1}'s field ${j + 1}`, f.text.length, LIMITS.fieldText));
    }
  });
  if (blocks && blocks.length > LIMITS.blocks) over.push(`${blocks.length} blocks; Slack's limit is ${LIMITS.blocks}`);
  return over;
}
