/**
 * Exact CIDR blocks for IpAddress / NotIpAddress (IPv4 and IPv6, via ipaddr.js): no host bits, no prefix beyond
 * the address width, IPv4 only in strict dotted-decimal form.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
import ipaddr from "ipaddr.js";
const DOTTED = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const IPV6_CHARS = /^[0-9a-fA-F:.]+$/;
const PREFIX = /^(0|[1-9]\d{0,2})$/;
function parseIPv4(text) {
    const m = DOTTED.exec(text);
    if (m === null)
        return undefined;
    const out = new Uint8Array(4);
    for (let i = 0; i < 4; i++) {
        const n = Number(m[i + 1]);
        if (n > 255)
            return undefined;
        out[i] = n;
    }
    return out;
}
function parseIPv6(text) {
    if (!text.includes(":") || !IPV6_CHARS.test(text) || !ipaddr.IPv6.isValid(text))
        return undefined;
    const tail = text.slice(text.lastIndexOf(":") + 1);
    if (tail.includes(".") && parseIPv4(tail) === undefined)
        return undefined;
    return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}
/**
 * Parses an IP address as received in the context; IPv4-mapped IPv6 becomes IPv4.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
 */
export function parseIp(text) {
    const v4 = parseIPv4(text);
    if (v4 !== undefined)
        return v4;
    const v6 = parseIPv6(text);
    if (v6 === undefined)
        return undefined;
    for (let i = 0; i < 10; i++)
        if (v6[i] !== 0)
            return v6;
    return v6[10] === 0xff && v6[11] === 0xff ? v6.slice(12) : v6;
}
/**
 * Parses an exact CIDR block (a bare address is a /32 or /128); returns the problem as a string otherwise.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
export function parseCidr(text) {
    const slash = text.indexOf("/");
    const addr = slash < 0 ? text : text.slice(0, slash);
    const bytes = parseIPv4(addr) ?? parseIPv6(addr);
    if (bytes === undefined)
        return `"${text}" is not an IPv4 or IPv6 address in canonical form`;
    const width = bytes.length * 8;
    let bits = width;
    if (slash >= 0) {
        const prefix = text.slice(slash + 1);
        if (!PREFIX.test(prefix))
            return `"${text}" has an invalid prefix length`;
        bits = Number(prefix);
        if (bits > width)
            return `"${text}" has a prefix length over /${width}`;
    }
    for (let i = 0; i < bytes.length; i++) {
        const keep = Math.max(0, Math.min(8, bits - i * 8));
        const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
        if ((bytes[i] & ~mask & 0xff) !== 0)
            return `"${text}" has host bits set`;
    }
    return { bytes, bits };
}
/**
 * True when `ip` lies in `cidr` (an IPv4 address never matches an IPv6 block, and the reverse).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
export function cidrContains(cidr, ip) {
    if (cidr.bytes.length !== ip.length)
        return false;
    const full = cidr.bits >> 3;
    for (let i = 0; i < full; i++)
        if (cidr.bytes[i] !== ip[i])
            return false;
    const rest = cidr.bits & 7;
    if (rest === 0)
        return true;
    const mask = (0xff << (8 - rest)) & 0xff;
    return (cidr.bytes[full] & mask) === (ip[full] & mask);
}
//# sourceMappingURL=cidr.js.map