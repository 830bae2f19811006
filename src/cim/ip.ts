/** IPv4 and IPv6 addresses and networks (Sigma's `cidr`), parsed by hand: no library needed, no regular expression over the value. */

export interface Network {
  bytes: Uint8Array;
  prefix: number;
}

/** `10.0.0.0/8`, `fe80::/10`; a bare address is a /32 or /128 */
export function parseNetwork(text: string): Network | undefined {
  const slash = text.indexOf('/');
  const bytes = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { bytes, prefix };
}

/**
 * A network written in CIDR notation (`10.0.0.0/8`, `fe80::/10`): how Splunk's search tells a
 * value to test IP addresses against from text to compare. A bare address is no CIDR.
 */
export function isCidr(text: string): boolean {
  return text.includes('/') && parseNetwork(text) !== undefined;
}

export function inNetwork(value: string, network: Network): boolean {
  const bytes = parseAddress(value.trim());
  if (!bytes || bytes.length !== network.bytes.length) return false;
  const whole = network.prefix >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== network.bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole] & mask) === (network.bytes[whole] & mask);
}

function parseAddress(text: string): Uint8Array | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  const address = zone < 0 ? text : text.slice(0, zone);
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseAddress(part);
        if (!v4 || v4.length !== 4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** `ipv6` for an address in IPv6 form (it has a `:`), `ipv4` otherwise: the CIM `protocol_version`. */
export function ipVersion(address: string): 'ipv4' | 'ipv6' {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

const loopbackNetworks = ['127.0.0.0/8', '::1/128', '::ffff:127.0.0.0/104'].map((n) => parseNetwork(n)!);

/**
 * 127.0.0.0/8 and ::1 in any spelling (`::1`, Sysmon's `0:0:0:0:0:0:0:1`, IPv4-mapped
 * `::ffff:127.0.0.1`): where a tunnel's local end listens.
 */
export function isLoopback(address: string): boolean {
  return loopbackNetworks.some((network) => inNetwork(address, network));
}
