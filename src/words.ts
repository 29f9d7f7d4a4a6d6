/** "1 delivery", "2 deliveries": a count and its noun, as messages and command output say them. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Text from a request (an event id, an object id, a group's label), for a terminal or a log line:
 * control characters (C0, DEL, C1) and line separators escaped as in JSON (`\u001b`), so that it
 * can neither break an output line nor act on the terminal. Everything else is left as it is.
 */
export function printable(text: string): string {
  return text.replace(/[\0-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
