import ipaddr from 'ipaddr.js';

const encoder = new TextEncoder();

/**
 * Compares a presented secret with the expected one in constant time. Both are hashed first, so
 * neither the content nor the length of the secret shows in the timing.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(presented)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * The tokens a request carries: `?token=`, the path segment after the hook path (a trailing slash
 * allowed), a Bearer header. A request passes only when it carries one and every one is right.
 */
export function presentedTokens(url: URL, hookPath: string, authorization: string | undefined): string[] {
  const tokens: string[] = [];
  // Every `token` parameter: `?token=<t>&token=wrong` carries a wrong one too, and so does
  // `?token=<t>&token=` (an empty one is presented, and wrong, not skipped).
  tokens.push(...url.searchParams.getAll('token'));
  if (url.pathname.startsWith(`${hookPath}/`)) {
    const segment = url.pathname.slice(hookPath.length + 1).replace(/\/$/, '');
    if (segment) tokens.push(segment.includes('/') ? segment : decodeSegment(segment));
  }
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  if (bearer) tokens.push(bearer);
  return tokens;
}

/** A percent-encoded path segment, decoded; one that is not valid percent-encoding is taken as sent. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape (`%zz`) is the client's mistake: it makes a wrong token (401), not a 500.
    return segment;
  }
}

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses a comma-separated allow-list such as "10.0.0.0/8, 192.0.2.7, 2001:db8::/32". */
export function parseAllowList(text: string): { ok: true; value: Cidr[] } | { ok: false; error: string } {
  const out: Cidr[] = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    try {
      out.push(item.includes('/') ? ipaddr.parseCIDR(item) : (() => {
        const addr = ipaddr.parse(item);
        return [addr, addr.kind() === 'ipv4' ? 32 : 128] as Cidr;
      })());
    } catch {
      return { ok: false, error: `"${item}" is not an IP address or CIDR network` };
    }
  }
  return { ok: true, value: out };
}

/** Whether an address is inside any of the networks; IPv4-mapped IPv6 addresses count as IPv4. */
export function allowed(address: string | undefined, networks: readonly Cidr[]): boolean {
  if (!address || !ipaddr.isValid(address)) return false;
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return networks.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}
