import { describe, expect, it } from "vitest";
import { binarySize, extractBinary, parseMessage, TransferDecodeError, UnknownCteError } from "../src/index.js";
import { decodeBase64, decodeQuotedPrintable } from "../src/transfer-decoding.js";

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, "\r\n"), "latin1");
const bin = (m: ReturnType<typeof parseMessage>, s: string) => Buffer.concat(extractBinary(m, s).chunks);

describe("transfer decoding", () => {
  it("decodes base64 ignoring line breaks and whitespace", () => {
    expect(decodeBase64(Buffer.from("aGVs\r\nbG8g d29y\tbGQ="), true).toString()).toBe("hello world");
    expect(decodeBase64(Buffer.from("YQ=="), true).toString()).toBe("a");
    expect(decodeBase64(Buffer.from(""), true).length).toBe(0);
  });
  it("rejects invalid base64 in strict mode and skips it in lenient mode", () => {
    expect(() => decodeBase64(Buffer.from("aGVs*bG8="), true)).toThrow(TransferDecodeError);
    expect(() => decodeBase64(Buffer.from("aGVsb"), true)).toThrow(TransferDecodeError);
    expect(decodeBase64(Buffer.from("aGVs*bG8="), false).toString()).toBe("hello");
  });
  it("decodes quoted-printable: soft breaks, hex in either case, trailing whitespace dropped", () => {
    expect(decodeQuotedPrintable(Buffer.from("a=3Db=3d \r\nsoft=\r\nbreak=20\r\n"), true).toString()).toBe(
      "a=b=\r\nsoftbreak \r\n",
    );
    expect(decodeQuotedPrintable(Buffer.from("caf=C3=A9"), true).toString()).toBe("café");
    expect(() => decodeQuotedPrintable(Buffer.from("bad =ZZ"), true)).toThrow(TransferDecodeError);
    expect(decodeQuotedPrintable(Buffer.from("bad =ZZ"), false).toString()).toBe("bad =ZZ");
  });
});

describe("BINARY", () => {
  const msg = parseMessage(
    crlf(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain
Content-Transfer-Encoding: quoted-printable

caf=C3=A9
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64
Content-ID: <x>

AAEC/w==
--b
Content-Type: text/plain

plain
--b
Content-Type: text/plain
Content-Transfer-Encoding: x-uuencode

begin
--b--
`),
  );
  it("decodes parts and flags literal8", () => {
    expect(bin(msg, "1").toString()).toBe("café");
    expect([...bin(msg, "2")]).toEqual([0, 1, 2, 255]);
    expect(extractBinary(msg, "2").decoded).toBe(true);
    expect(extractBinary(msg, "3").decoded).toBe(false);
    expect(binarySize(msg, "2")).toBe(4);
    expect(binarySize(msg, [1])).toBe(5);
  });
  it("refuses unknown encodings and section texts", () => {
    expect(() => extractBinary(msg, "4")).toThrow(UnknownCteError);
    expect(() => extractBinary(msg, "1.MIME")).toThrow(UnknownCteError);
  });
  it("is empty for parts that do not exist", () => {
    expect(extractBinary(msg, "9")).toEqual({ chunks: [], size: 0, decoded: false, found: false });
  });
  it("decodes parts inside a multipart in place and rewrites their encoding field", () => {
    const m = parseMessage(
      crlf(`Content-Type: multipart/mixed; boundary=o

--o
Content-Type: multipart/alternative; boundary=i

--i
Content-Transfer-Encoding: base64
Content-Type: text/plain

aGk=
--i--
--o--
`),
    );
    expect(bin(m, "1").toString()).toBe(
      "--i\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\r\nhi\r\n--i--\r\n",
    );
  });
  it("decodes with the last Content-Transfer-Encoding field, as Dovecot does", () => {
    const m = parseMessage(
      crlf("Content-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\nContent-Type: text/plain\n\nx\n"),
    );
    expect(bin(m, "1").toString()).toBe("x\r\n");
  });
});
