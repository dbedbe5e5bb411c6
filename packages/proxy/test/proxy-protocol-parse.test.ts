import { describe, expect, it } from "vitest";
import { encodeProxyV2, ProxyProtocolError, parseProxyHeader, TrustedNetworks } from "../src/index.js";

const SIG = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

/** A v2 header from its parts, the way the spec lays it out (byte by byte, not via our encoder). */
function v2(verCmd: number, famProto: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([SIG, Buffer.from([verCmd, famProto]), len, body]);
}

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.from([type, 0, 0]);
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

const INET_BODY = Buffer.from([192, 0, 2, 1, 198, 51, 100, 7, 0xd4, 0x31, 0x00, 0x8f]); // 54321 -> 143

function errorCode(input: Buffer, maxBytes?: number): string {
  try {
    parseProxyHeader(input, { maxBytes });
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyProtocolError);
    return (error as ProxyProtocolError).code;
  }
  throw new Error("no error");
}

/** Every strict prefix of a complete header asks for more bytes. */
function expectEveryTruncationIncomplete(full: Buffer): void {
  for (let i = 0; i < full.length; i++) {
    expect(parseProxyHeader(full.subarray(0, i)), `prefix of ${i} bytes`).toBeNull();
  }
}

describe("PROXY v1", () => {
  it("parses the spec's TCP4 and TCP6 examples, with the bytes that follow left alone", () => {
    const line = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
    const r = parseProxyHeader(Buffer.from(`${line}a1 LOGIN x y\r\n`))!;
    expect(r.length).toBe(line.length);
    expect(r.header).toEqual({
      version: 1,
      command: "PROXY",
      family: "TCP4",
      source: { address: "255.255.255.255", port: 65535 },
      destination: { address: "255.255.255.255", port: 65535 },
      tlvs: [],
    });
    const f = "ffff:f...f:ffff".replace("f...f", Array(6).fill("ffff").join(":"));
    const six = `PROXY TCP6 ${f} ${f} 65535 65535\r\n`;
    expect(six.length).toBe(104);
    const r6 = parseProxyHeader(Buffer.from(six))!;
    expect(r6.header.source).toEqual({ address: f, port: 65535 });
    expect(r6.length).toBe(104);
  });

  it("normalises IPv6 text (one spelling per address for limits and logs)", () => {
    const r = parseProxyHeader(Buffer.from("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 1 2\r\n"))!;
    expect(r.header.source?.address).toBe("2001:db8::1");
    expect(r.header.destination?.address).toBe("::1");
  });

  it("accepts UNKNOWN with or without the rest of the line, up to 107 bytes", () => {
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n"))).toEqual({
      header: { version: 1, command: "PROXY", family: "UNKNOWN", tlvs: [] },
      length: 15,
    });
    const longest = `PROXY UNKNOWN ${"x".repeat(107 - 16)}\r\n`;
    expect(longest.length).toBe(107);
    expect(parseProxyHeader(Buffer.from(longest))?.length).toBe(107);
  });

  it("needs more bytes at every truncation point", () => {
    expectEveryTruncationIncomplete(Buffer.from("PROXY TCP4 192.0.2.1 198.51.100.7 54321 143\r\n"));
    expectEveryTruncationIncomplete(Buffer.from("PROXY UNKNOWN\r\n"));
  });

  it("refuses malformed lines with a typed error", () => {
    const bad = [
      "PROXY TCP4 192.0.2.1 198.51.100.7 54321\r\n", // a field missing
      "PROXY TCP4 192.0.2.1 198.51.100.7 54321 143 9\r\n", // one too many
      "PROXY TCP4  192.0.2.1 198.51.100.7 54321 143\r\n", // double space
      "PROXY TCP4 192.0.2.300 198.51.100.7 54321 143\r\n",
      "PROXY TCP4 ::1 198.51.100.7 54321 143\r\n", // IPv6 under TCP4
      "PROXY TCP6 192.0.2.1 ::1 54321 143\r\n", // IPv4 under TCP6
      "PROXY TCP6 fe80::1%eth0 ::1 54321 143\r\n", // zone ids are not addresses on the wire
      "PROXY TCP4 192.0.2.1 198.51.100.7 65536 143\r\n",
      "PROXY TCP4 192.0.2.1 198.51.100.7 054321 143\r\n",
      "PROXY TCP4 192.0.2.1 198.51.100.7 -1 143\r\n",
      "PROXY UDP4 192.0.2.1 198.51.100.7 54321 143\r\n",
      "PROXY TCP4 192.0.2.1 198.51.100.7 54321 143\n", // LF alone
      "PROXY TCP4 192.0.2.1\r198.51.100.7 54321 143\r\n", // CR alone
      "PROXY TCP4 192.0.2.1 198.51.100.7 54321 143\t\r\n",
    ];
    for (const line of bad) expect(errorCode(Buffer.from(line)), line).toBe("MALFORMED");
  });

  it("refuses a line that has no CRLF within 107 bytes (bounded)", () => {
    expect(errorCode(Buffer.from(`PROXY UNKNOWN ${"x".repeat(200)}`))).toBe("TOO_LARGE");
    expect(parseProxyHeader(Buffer.from(`PROXY UNKNOWN ${"x".repeat(50)}`))).toBeNull();
  });
});

describe("PROXY v2", () => {
  it("parses PROXY over AF_INET (spec layout), the bytes after it left alone", () => {
    const header = v2(0x21, 0x11, INET_BODY);
    const r = parseProxyHeader(Buffer.concat([header, Buffer.from("a1 NOOP\r\n")]))!;
    expect(r.length).toBe(28);
    expect(r.header).toEqual({
      version: 2,
      command: "PROXY",
      family: "TCP4",
      source: { address: "192.0.2.1", port: 54321 },
      destination: { address: "198.51.100.7", port: 143 },
      tlvs: [],
    });
  });

  it("parses AF_INET6, including IPv4-mapped sources", () => {
    const body = Buffer.alloc(36);
    Buffer.from("20010db8000000000000000000000042", "hex").copy(body, 0);
    Buffer.from("00000000000000000000ffffc0000201", "hex").copy(body, 16);
    body.writeUInt16BE(40000, 32);
    body.writeUInt16BE(993, 34);
    const r = parseProxyHeader(v2(0x21, 0x21, body))!;
    expect(r.header.family).toBe("TCP6");
    expect(r.header.source).toEqual({ address: "2001:db8::42", port: 40000 });
    expect(r.header.destination).toEqual({ address: "::ffff:192.0.2.1", port: 993 });
  });

  it("LOCAL (health checks) has no addresses, whatever family it names", () => {
    expect(parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0)))!.header).toEqual({
      version: 2,
      command: "LOCAL",
      family: "UNKNOWN",
      tlvs: [],
    });
    const r = parseProxyHeader(v2(0x20, 0x11, INET_BODY))!;
    expect(r.header.command).toBe("LOCAL");
    expect(r.header.source).toBeUndefined();
  });

  it("AF_UNSPEC and AF_UNIX give no client address", () => {
    expect(parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(0)))!.header.source).toBeUndefined();
    const unix = parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216)))!;
    expect(unix.header.family).toBe("UNIX");
    expect(unix.header.source).toBeUndefined();
    expect(unix.length).toBe(16 + 216);
  });

  it("skips TLVs (kept for inspection), and they must tile the header exactly", () => {
    const tlvs = Buffer.concat([
      tlv(0x05, Buffer.from("unique-id-1")),
      tlv(0x04, Buffer.alloc(0)), // NOOP
      tlv(0x20, Buffer.from([0x01, 0, 0, 0, 0])), // SSL
    ]);
    const r = parseProxyHeader(v2(0x21, 0x11, Buffer.concat([INET_BODY, tlvs])))!;
    expect(r.length).toBe(16 + 12 + tlvs.length);
    expect(r.header.source?.address).toBe("192.0.2.1");
    expect(r.header.tlvs.map((t) => t.type)).toEqual([0x05, 0x04, 0x20]);
    expect(r.header.tlvs[0]!.value.toString()).toBe("unique-id-1");
    // a TLV that runs past the declared length, and a truncated TLV header
    const overrun = Buffer.concat([INET_BODY, Buffer.from([0x05, 0x00, 0x09, 0x41])]);
    expect(errorCode(v2(0x21, 0x11, overrun))).toBe("MALFORMED");
    expect(errorCode(v2(0x21, 0x11, Buffer.concat([INET_BODY, Buffer.from([0x05, 0x00])])))).toBe("MALFORMED");
  });

  it("needs more bytes at every truncation point (with TLVs)", () => {
    expectEveryTruncationIncomplete(v2(0x21, 0x11, Buffer.concat([INET_BODY, tlv(0x05, Buffer.from("abc"))])));
    expectEveryTruncationIncomplete(v2(0x20, 0x00, Buffer.alloc(0)));
  });

  it("refuses wrong versions, commands, families, transports and short address blocks", () => {
    expect(errorCode(v2(0x11, 0x11, INET_BODY))).toBe("UNSUPPORTED"); // version 1 in binary form
    expect(errorCode(v2(0x31, 0x11, INET_BODY))).toBe("UNSUPPORTED");
    expect(errorCode(v2(0x22, 0x11, INET_BODY))).toBe("UNSUPPORTED"); // command 2
    expect(errorCode(v2(0x21, 0x41, INET_BODY))).toBe("UNSUPPORTED"); // family 4
    expect(errorCode(v2(0x21, 0x13, INET_BODY))).toBe("UNSUPPORTED"); // transport 3
    expect(errorCode(v2(0x21, 0x11, INET_BODY.subarray(0, 11)))).toBe("MALFORMED");
    expect(errorCode(v2(0x21, 0x21, Buffer.alloc(20)))).toBe("MALFORMED");
    // a short declared length is refused from the 16 fixed bytes alone, before the body
    const fixed = v2(0x21, 0x21, Buffer.alloc(20)).subarray(0, 16);
    expect(errorCode(fixed)).toBe("MALFORMED");
  });

  it("refuses a header longer than the bound from its length field, without waiting for it", () => {
    const big = v2(0x21, 0x11, Buffer.concat([INET_BODY, tlv(0xe0, Buffer.alloc(5000))]));
    expect(errorCode(big.subarray(0, 16))).toBe("TOO_LARGE");
    expect(parseProxyHeader(big.subarray(0, 16), { maxBytes: 8000 })).toBeNull(); // under a larger bound: wait
  });
});

describe("not a PROXY header", () => {
  it("IMAP, TLS and other garbage is refused as soon as a byte differs from both signatures", () => {
    for (const text of ["a1 LOGIN x y\r\n", "\x16\x03\x01\x02\x00", "PROXX", "\r\n\r\n\0\r\nQUIX", "proxy TCP4"]) {
      expect(errorCode(Buffer.from(text, "latin1")), JSON.stringify(text)).toBe("NOT_PROXY");
    }
  });
  it("a prefix of either signature is not enough to decide", () => {
    expect(parseProxyHeader(Buffer.from("PROX"))).toBeNull();
    expect(parseProxyHeader(SIG.subarray(0, 11))).toBeNull();
    expect(parseProxyHeader(Buffer.alloc(0))).toBeNull();
  });
});

describe("encodeProxyV2", () => {
  it("round-trips IPv4, IPv6, mixed (as IPv6) and LOCAL", () => {
    const four = encodeProxyV2({
      source: { address: "192.0.2.1", port: 54321 },
      destination: { address: "198.51.100.7", port: 143 },
    });
    expect(four.equals(v2(0x21, 0x11, INET_BODY))).toBe(true);
    const mapped = encodeProxyV2({
      source: { address: "::ffff:192.0.2.1", port: 54321 },
      destination: { address: "198.51.100.7", port: 143 },
    });
    expect(mapped.equals(four)).toBe(true); // both IPv4 really: AF_INET
    const mixed = parseProxyHeader(
      encodeProxyV2({ source: { address: "2001:db8::9", port: 1 }, destination: { address: "10.0.0.1", port: 2 } }),
    )!.header;
    expect(mixed.family).toBe("TCP6");
    expect(mixed.source).toEqual({ address: "2001:db8::9", port: 1 });
    expect(mixed.destination).toEqual({ address: "::ffff:10.0.0.1", port: 2 });
    expect(parseProxyHeader(encodeProxyV2({ command: "LOCAL" }))!.header.command).toBe("LOCAL");
    const withTlv = parseProxyHeader(
      encodeProxyV2({
        source: { address: "::1", port: 5 },
        destination: { address: "::2", port: 6 },
        tlvs: [{ type: 5, value: Buffer.from("id") }],
      }),
    )!.header;
    expect(withTlv.tlvs).toEqual([{ type: 5, value: Buffer.from("id") }]);
  });

  it("refuses what it cannot encode with a typed error", () => {
    expect(() =>
      encodeProxyV2({ source: { address: "nope", port: 1 }, destination: { address: "::1", port: 1 } }),
    ).toThrow(ProxyProtocolError);
    expect(() =>
      encodeProxyV2({ source: { address: "::1", port: 70000 }, destination: { address: "::1", port: 1 } }),
    ).toThrow(ProxyProtocolError);
  });
});

describe("TrustedNetworks", () => {
  it("matches IPv4 and IPv6 CIDRs, single hosts and IPv4-mapped peers", () => {
    const t = new TrustedNetworks([
      "10.0.0.0/8",
      "192.0.2.128/25",
      "2001:db8::/32",
      "127.0.0.1",
      "::ffff:172.16.0.0/108",
    ]);
    expect(t.contains("10.200.3.4")).toBe(true);
    expect(t.contains("11.0.0.1")).toBe(false);
    expect(t.contains("192.0.2.200")).toBe(true);
    expect(t.contains("192.0.2.127")).toBe(false);
    expect(t.contains("2001:db8:ffff::1")).toBe(true);
    expect(t.contains("2001:db9::1")).toBe(false);
    expect(t.contains("127.0.0.1")).toBe(true);
    expect(t.contains("127.0.0.2")).toBe(false);
    expect(t.contains("::ffff:10.1.2.3")).toBe(true); // dual-stack listener's view of an IPv4 peer
    expect(t.contains("172.16.9.9")).toBe(true); // IPv4-mapped network, IPv4 peer
    expect(t.contains("172.31.0.1")).toBe(true); // /108 mapped = /12
    expect(t.contains("172.32.0.1")).toBe(false);
    expect(t.contains("::1")).toBe(false);
    expect(t.contains(undefined)).toBe(false);
    expect(new TrustedNetworks(["0.0.0.0/0"]).contains("8.8.8.8")).toBe(true);
    expect(new TrustedNetworks(["::/0"]).contains("8.8.8.8")).toBe(false);
  });

  it("refuses bad CIDRs when configured", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "::/129", "host.example", "10.0.0.0/8/1", "1.2.3.4/-1", ""]) {
      expect(() => new TrustedNetworks([bad]), bad).toThrow(/trusted network/);
    }
  });
});
