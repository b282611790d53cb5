/**
 * aws:SourceIp and aws:SecureTransport: the TCP peer, or — when the peer is a configured trusted proxy — the
 * right-most X-Forwarded-For hop that is not a trusted proxy, and the X-Forwarded-Proto the proxy set.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
 */
import { S3Error } from "../errors.js";
import { isIPv4Text, parseCidr, parseIp, type Cidr, type IpAddress } from "../ip.js";
import type { ParsedRequest } from "../request.js";

/**
 * Compiles trusted-proxy CIDRs; throws TypeError naming the problem: a malformed CIDR, a bad prefix, host bits
 * set, or an IPv4-mapped IPv6 block (peers are compared unmapped, so it would never match).
 */
export function compileTrustedProxies(cidrs: readonly string[]): readonly Cidr[] {
  return cidrs.map((text) => {
    const cidr = parseCidr(text);
    if (typeof cidr === "string") throw new TypeError(cidr);
    if (cidr.ipv4Mapped) throw new TypeError(`"${text}" is IPv4-mapped IPv6: write the IPv4 block`);
    return cidr;
  });
}

function isTrusted(addr: IpAddress, trusted: readonly Cidr[]): boolean {
  for (const cidr of trusted) if (cidr.contains(addr)) return true;
  return false;
}

/** The resolved client: aws:SourceIp and aws:SecureTransport. */
export interface Peer {
  /** aws:SourceIp, canonical text form. */
  readonly sourceIp: string;
  /** aws:SecureTransport. */
  readonly secure: boolean;
}

/**
 * Resolves the client address and transport security. Behind a trusted proxy, X-Forwarded-For is read from the
 * right; a malformed hop reached before an untrusted one is an error. aws:SecureTransport then comes from the
 * right-most X-Forwarded-Proto value (`https` → true, anything else → false), or the connection when absent.
 */
export function resolvePeer(req: ParsedRequest, trusted: readonly Cidr[]): Peer {
  if (trusted.length === 0) {
    // The common case, without building address objects: dotted-quad IPv4, plain or IPv4-mapped.
    const text = req.remoteAddress;
    const v4 = text.startsWith("::ffff:") ? text.slice(7) : text;
    if (isIPv4Text(v4)) return { sourceIp: v4, secure: req.secure };
  }
  const peer = parseIp(req.remoteAddress);
  if (peer === undefined) throw new S3Error("InvalidRequest", "The client address could not be determined.");
  if (trusted.length === 0 || !isTrusted(peer, trusted))
    return { sourceIp: peer.toString(), secure: req.secure };
  let source = peer;
  const forwarded = req.headers.get("x-forwarded-for");
  if (forwarded !== undefined) {
    const hops = forwarded.join(",").split(",");
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseIp(hops[i]!.trim());
      if (hop === undefined) throw new S3Error("InvalidRequest", "Malformed X-Forwarded-For header.");
      source = hop;
      if (!isTrusted(hop, trusted)) break;
    }
  }
  let secure = req.secure;
  const proto = req.headers.get("x-forwarded-proto");
  if (proto !== undefined) {
    const values = proto.join(",").split(",");
    secure = values[values.length - 1]!.trim().toLowerCase() === "https";
  }
  return { sourceIp: source.toString(), secure };
}
