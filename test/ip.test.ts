/** The IP module: strict address and CIDR parsing, IPv4-mapped IPv6, and containment against ipaddr.js. */
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { Cidr, parseCidr, parseIp } from "../src/ip.js";

describe("parseIp", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["2001:DB8:0:0::1", "2001:db8::1"],
    ["::", "::"],
    ["::ffff:198.51.100.7", "198.51.100.7"],
    ["::ffff:c633:6407", "198.51.100.7"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
  ])("reads %s as %s", (text, canonical) => {
    expect(parseIp(text)?.toString()).toBe(canonical);
  });

  it.each([
    "",
    "010.0.0.1",
    "1.2.3",
    "10",
    "0x0a.0.0.1",
    "256.0.0.1",
    "1.2.3.4:80",
    " 1.2.3.4",
    "[::1]",
    "fe80::1%eth0",
    "::ffff:010.0.0.1",
    "::ffff:0x0a.0.0.1",
    "::ffff:1.2.3.04",
    "1::2::3",
    "garbage",
  ])("refuses %j", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["203.0.113.7", "203.0.113.7/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["2001:db8::1", "2001:db8::1/128"],
    ["::/0", "::/0"],
  ])("reads %s as %s", (text, canonical) => {
    const cidr = parseCidr(text);
    expect(cidr).toBeInstanceOf(Cidr);
    expect(String(cidr)).toBe(canonical);
    expect(JSON.stringify({ cidr })).toBe(JSON.stringify({ cidr: canonical }));
  });

  it.each([
    ["10.0.0.0/33", "prefix length over /32"],
    ["2001:db8::/129", "prefix length over /128"],
    ["10.0.0.1/24", "host bits set"],
    ["2001:db8::1/64", "host bits set"],
    ["010.0.0.0/8", "canonical form"],
    ["10/8", "canonical form"],
    ["fe80::1%eth0", "canonical form"],
    ["::ffff:010.0.0.1", "canonical form"],
    ["10.0.0.0 /8", "canonical form"],
    ["", "canonical form"],
    ["10.0.0.0/08", "invalid prefix length"],
    ["10.0.0.0/", "invalid prefix length"],
    ["10.0.0.0/-1", "invalid prefix length"],
  ])("refuses %j: %s", (text, problem) => {
    const cidr = parseCidr(text);
    expect(typeof cidr).toBe("string");
    expect(cidr).toContain(problem);
  });

  it("keeps an IPv4-mapped block as IPv6, which no parsed address lies in", () => {
    const cidr = parseCidr("::ffff:10.0.0.0/104") as Cidr;
    expect(cidr.ipv4Mapped).toBe(true);
    expect(cidr.contains(parseIp("::ffff:10.0.0.1")!)).toBe(false);
    expect(cidr.contains(parseIp("10.0.0.1")!)).toBe(false);
    expect((parseCidr("10.0.0.0/8") as Cidr).ipv4Mapped).toBe(false);
  });
});

describe("Cidr.contains", () => {
  const contains = (cidr: string, ip: string): boolean => (parseCidr(cidr) as Cidr).contains(parseIp(ip)!);

  it("never crosses address families", () => {
    expect(contains("0.0.0.0/0", "::1")).toBe(false);
    expect(contains("::/0", "192.0.2.1")).toBe(false);
    expect(contains("::/0", "::ffff:192.0.2.1")).toBe(false);
    expect(contains("0.0.0.0/0", "::ffff:192.0.2.1")).toBe(true);
  });

  /** The reference: ipaddr.js's own CIDR parse and match, on random blocks without host bits. */
  const reference = (cidr: string, ip: string): boolean => {
    const [network, prefix] = ipaddr.parseCIDR(cidr);
    const addr = ipaddr.process(ip);
    return addr.kind() === network.kind() && addr.match(network, prefix);
  };
  const block = (bytes: Uint8Array, prefix: number): number[] =>
    Array.from(bytes, (b, i) => b & (0xff << (8 - Math.max(0, Math.min(8, prefix - i * 8)))) & 0xff);

  it("agrees with ipaddr.js on random IPv4 blocks", () => {
    const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(v4, v4, fc.integer({ min: 0, max: 32 }), (a, n, prefix) => {
        const cidr = `${block(n, prefix).join(".")}/${prefix}`;
        const ip = Array.from(a).join(".");
        expect(contains(cidr, ip)).toBe(reference(cidr, ip));
      }),
    );
  });

  it("agrees with ipaddr.js on random IPv6 blocks", () => {
    const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const text = (bytes: number[] | Uint8Array): string => ipaddr.fromByteArray(Array.from(bytes)).toString();
    fc.assert(
      fc.property(v6, v6, fc.integer({ min: 0, max: 128 }), (a, n, prefix) => {
        const cidr = `${text(block(n, prefix))}/${prefix}`;
        expect(contains(cidr, text(a))).toBe(reference(cidr, text(a)));
      }),
    );
  });
});
