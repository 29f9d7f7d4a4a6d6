/**
 * Event patterns: an exact id (`clients.balance_zero`) or a glob where `*` stands for any run of
 * characters (`email_rates_manager.*`, `clients.subscriptions.*`, `*`).
 */
export function isPattern(text: string): boolean {
  return text.includes('*');
}

/** A matcher for one pattern. */
export function compilePattern(pattern: string): (eventId: string) => boolean {
  if (!isPattern(pattern)) return (id) => id === pattern;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`);
  return (id) => re.test(id);
}
