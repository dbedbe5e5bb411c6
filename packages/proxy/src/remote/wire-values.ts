import type { ImapValue } from "@holdfast/imap-codec";

/*
 * BODY / BODYSTRUCTURE from the backend, put back in wire form. The response parser gives
 * them as a value tree; the front end writes `encoded` bytes as given. The one detail a
 * generic list writer gets wrong: in a multipart body the child bodies follow each other
 * without a space (RFC 9051 body-type-mpart = 1*body SP media-subtype). A list that starts
 * with lists is a multipart body; its leading lists are written back to back.
 */
export function encodeBodyStructure(value: ImapValue[]): Buffer {
  const out: Buffer[] = [];
  const text = (s: string) => out.push(Buffer.from(s, "latin1"));
  const write = (v: ImapValue): void => {
    if (v === null) text("NIL");
    else if (typeof v === "number") text(String(v));
    else if (Array.isArray(v)) {
      text("(");
      let leadingLists = true;
      v.forEach((item, i) => {
        if (!Array.isArray(item)) leadingLists = false;
        if (i > 0 && !(leadingLists && Array.isArray(item))) text(" ");
        write(item);
      });
      text(")");
    } else {
      const bytes = typeof v === "string" ? Buffer.from(v, "utf8") : v;
      if (bytes.length <= 1024 && !bytes.some((b) => b === 0x0d || b === 0x0a || b === 0 || b > 0x7f)) {
        text(`"${bytes.toString("latin1").replace(/[\\"]/g, (c) => `\\${c}`)}"`);
      } else {
        text(`{${bytes.length}}\r\n`);
        out.push(bytes);
      }
    }
  };
  write(value);
  return Buffer.concat(out);
}
