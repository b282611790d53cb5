/**
 * IP addresses and CIDR blocks, on ipaddr.js, read strictly: IPv4 only as four decimal parts without leading
 * zeros, IPv6 without zone or brackets (an embedded IPv4 tail in the same strict form). One module for
 * aws:SourceIp, the IpAddress / NotIpAddress operators and the trusted proxies.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
import ipaddr from "ipaddr.js";

/** An IPv4 or IPv6 address. */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
/** Four-part decimal IPv4 without leading zeros. */
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const IPV6_CHARS = /^[0-9a-fA-F:.]+$/;
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

/** True for canonical dotted-quad IPv4 text (no leading zeros, no shorter forms). */
export function isIPv4Text(text: string): boolean {
  return IPV4.test(text);
}

/** The address as written: IPv4-mapped IPv6 stays IPv6. */
function parseExact(text: string): IpAddress | undefined {
  if (IPV4.test(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes(":") || !IPV6_CHARS.test(text)) return undefined;
  const tail = text.slice(text.lastIndexOf(":") + 1);
  if (tail.includes(".") && !IPV4.test(tail)) return undefined;
  return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
}

/**
 * Parses an address as a client or proxy sends it; IPv4-mapped IPv6 (`::ffff:192.0.2.1`) becomes IPv4, as
 * aws:SourceIp compares it. Undefined when the text is not an address in strict form.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
 */
export function parseIp(text: string): IpAddress | undefined {
  const addr = parseExact(text);
  return addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress() ? addr.toIPv4Address() : addr;
}

/** A CIDR block: its network address (no host bits) and prefix length. */
export class Cidr {
  constructor(
    readonly network: IpAddress,
    readonly prefix: number,
  ) {}

  /** True when `ip` lies in the block; an IPv4 address never lies in an IPv6 block, nor the reverse. */
  contains(ip: IpAddress): boolean {
    return ip.kind() === this.network.kind() && ip.match(this.network, this.prefix);
  }

  /** True for a block of IPv4-mapped IPv6 addresses, which no address parsed by parseIp lies in. */
  get ipv4Mapped(): boolean {
    return this.network instanceof ipaddr.IPv6 && this.network.isIPv4MappedAddress();
  }

  toString(): string {
    return `${this.network.toString()}/${this.prefix}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function hostBitsSet(addr: IpAddress, prefix: number): boolean {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const networkBits = Math.max(0, Math.min(8, prefix - i * 8));
    if (((bytes[i] as number) & (0xff >> networkBits)) !== 0) return true;
  }
  return false;
}

/**
 * Parses an exact CIDR block (a bare address is a /32 or /128); returns the problem as a string otherwise.
 * The address is taken as written: an IPv4-mapped IPv6 block stays an IPv6 block.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf("/");
  const network = parseExact(slash < 0 ? text : text.slice(0, slash));
  if (network === undefined) return `"${text}" is not an IPv4 or IPv6 address in canonical form`;
  const width = network.kind() === "ipv4" ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!PREFIX.test(prefixText)) return `"${text}" has an invalid prefix length`;
    prefix = Number(prefixText);
    if (prefix > width) return `"${text}" has a prefix length over /${width}`;
  }
  if (hostBitsSet(network, prefix)) return `"${text}" has host bits set`;
  return new Cidr(network, prefix);
}
