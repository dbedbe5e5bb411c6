/** Every part number that names a part of a message, with the part it names. */
import type { MimePart } from "../../src/index.js";

export interface NamedPart {
  path: string;
  part: MimePart;
}

function below(part: MimePart, prefix: string, out: NamedPart[]): void {
  if (part.kind === "multipart") {
    part.children.forEach((c, i) => {
      const path = `${prefix}${prefix ? "." : ""}${i + 1}`;
      out.push({ path, part: c });
      below(c, path, out);
    });
  } else if (part.kind === "message") {
    const inner = part.children[0];
    if (!inner) return;
    if (inner.kind === "multipart") {
      below(inner, prefix, out);
    } else {
      const path = `${prefix}.1`;
      out.push({ path, part: inner });
      below(inner, path, out);
    }
  }
}

export function namedParts(root: MimePart): NamedPart[] {
  const out: NamedPart[] = [];
  if (root.kind === "multipart") {
    below(root, "", out);
  } else {
    out.push({ path: "1", part: root });
    below(root, "1", out);
  }
  return out;
}
