/**
 * aws:SourceIp and aws:SecureTransport: the TCP peer, or — when the peer is a configured trusted proxy — the
 * right-most X-Forwarded-For hop that is not a trusted proxy, and the X-Forwarded-Proto the proxy set.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
 */
import ipaddr from "ipaddr.js";
import { S3Error } from "../errors.js";
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
/** Canonical dotted-quad IPv4 (no leading zeros). */
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
/** Parses an IP address strictly: four-part decimal IPv4 or IPv6 without zone; IPv4-mapped IPv6 is unmapped. */
export function parseIp(text) {
    if (text.includes(":")) {
        if (text.includes("%") || !ipaddr.IPv6.isValid(text))
            return undefined;
        const v6 = ipaddr.IPv6.parse(text);
        return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
    }
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : undefined;
}
/** Compiles trusted-proxy CIDRs; throws TypeError on a malformed CIDR, a bad prefix or host bits set. */
export function compileCidrs(cidrs) {
    return cidrs.map((text) => {
        const slash = text.indexOf("/");
        const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
        const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
        if (addr === undefined || (prefixText !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefixText))) {
            throw new TypeError(`invalid trusted proxy CIDR: ${text}`);
        }
        const max = addr.kind() === "ipv4" ? 32 : 128;
        const prefix = prefixText === undefined ? max : Number(prefixText);
        if (prefix > max)
            throw new TypeError(`invalid trusted proxy CIDR prefix: ${text}`);
        const network = addr.kind() === "ipv4"
            ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${prefix}`)
            : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${prefix}`);
        if (network.toString() !== addr.toString())
            throw new TypeError(`trusted proxy CIDR has host bits set: ${text}`);
        return [addr, prefix];
    });
}
function isTrusted(addr, trusted) {
    for (const [network, prefix] of trusted) {
        if (network.kind() === addr.kind() && addr.match(network, prefix))
            return true;
    }
    return false;
}
/**
 * Resolves the client address and transport security. Behind a trusted proxy, X-Forwarded-For is read from the
 * right; a malformed hop reached before an untrusted one is an error. aws:SecureTransport then comes from the
 * right-most X-Forwarded-Proto value (`https` → true, anything else → false), or the connection when absent.
 */
export function resolvePeer(req, trusted) {
    if (trusted.length === 0) {
        // The common case, without building address objects: dotted-quad IPv4, plain or IPv4-mapped.
        const text = req.remoteAddress;
        const v4 = text.startsWith("::ffff:") ? text.slice(7) : text;
        if (IPV4.test(v4))
            return { sourceIp: v4, secure: req.secure };
    }
    const peer = parseIp(req.remoteAddress);
    if (peer === undefined)
        throw new S3Error("InvalidRequest", "The client address could not be determined.");
    if (trusted.length === 0 || !isTrusted(peer, trusted))
        return { sourceIp: peer.toString(), secure: req.secure };
    let source = peer;
    const forwarded = req.headers.get("x-forwarded-for");
    if (forwarded !== undefined) {
        const hops = forwarded.join(",").split(",");
        for (let i = hops.length - 1; i >= 0; i--) {
            const hop = parseIp(hops[i].trim());
            if (hop === undefined)
                throw new S3Error("InvalidRequest", "Malformed X-Forwarded-For header.");
            source = hop;
            if (!isTrusted(hop, trusted))
                break;
        }
    }
    let secure = req.secure;
    const proto = req.headers.get("x-forwarded-proto");
    if (proto !== undefined) {
        const values = proto.join(",").split(",");
        secure = values[values.length - 1].trim().toLowerCase() === "https";
    }
    return { sourceIp: source.toString(), secure };
}
//# sourceMappingURL=source-ip.js.map