/**
 * Checks a destination's URL before anything uses it. The value often carries a secret (an SMTP
 * password, a Slack webhook's path, a token in a query), and libraries echo what they cannot
 * parse: nodemailer put a malformed SMTP_URL, password and all, into its error. So this says what
 * is wrong with the value, never what the value is. A bad URL is a set-up error: `serve` refuses
 * to start and `check` warns, rather than every delivery failing for a day.
 */
export function checkUrl(value: string, name: string, protocols: readonly string[]): void {
  const expected = `expected ${protocols.map((p) => `${p}//…`).join(' or ')}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} is not a valid URL (${expected})`);
  }
  if (!protocols.includes(url.protocol)) throw new Error(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, not ${url.protocol}//`);
}

export const HTTP_PROTOCOLS = ['https:', 'http:'] as const;
