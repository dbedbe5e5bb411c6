import type { Command, StatusItem } from "@holdfast/imap-codec";
import type { ImapConnection } from "../connection.js";
import { nameFromWire, nameToWire } from "./names.js";

/*
 * Authenticated-state mailbox commands: LIST (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE,
 * CHILDREN), LSUB, NAMESPACE, STATUS, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE.
 */

const DELIMITER = "/";

export async function namespace(conn: ImapConnection, tag: string): Promise<void> {
  await conn.send({
    kind: "untagged",
    data: { type: "NAMESPACE", personal: [{ prefix: "", delimiter: DELIMITER }], other: null, shared: null },
  });
  await conn.tagged(tag, "OK", "NAMESPACE completed.", undefined, { expunge: true });
}

export async function list(conn: ImapConnection, command: Extract<Command, { name: "LIST" }>): Promise<void> {
  const session = conn.session!;
  // LIST "" "": the hierarchy delimiter and root (RFC 9051 §6.3.9).
  if (command.patterns.length === 1 && command.patterns[0] === "" && !command.extended) {
    await conn.send({
      kind: "untagged",
      data: { type: "LIST", attributes: ["\\Noselect"], delimiter: DELIMITER, mailbox: "" },
    });
    await conn.tagged(command.tag, "OK", "LIST completed.", undefined, { expunge: true });
    return;
  }
  const reference = await nameFromWire(conn, command.tag, command.reference);
  if (reference === null) return;
  const patterns: string[] = [];
  for (const p of command.patterns) {
    const name = await nameFromWire(conn, command.tag, p);
    if (name === null) return;
    patterns.push(name);
  }
  const found = await session.list(reference, patterns, {
    selection: command.selection,
    returnOptions: command.returnOptions,
  });
  const statusItems = command.returnOptions.status;
  for (const box of found) {
    const extended: Array<[string, string[]]> = [];
    if (box.childInfo?.length) extended.push(["CHILDINFO", box.childInfo]);
    await conn.send({
      kind: "untagged",
      data: {
        type: "LIST",
        attributes: box.attributes,
        delimiter: DELIMITER,
        mailbox: nameToWire(conn, box.name),
        ...(extended.length ? { extended } : {}),
      },
    });
    if (statusItems && !box.attributes.some((a) => /^\\(noselect|nonexistent)$/i.test(a))) {
      try {
        const attributes = await session.status(box.name, statusItems);
        await conn.send({
          kind: "untagged",
          data: { type: "STATUS", mailbox: nameToWire(conn, box.name), attributes },
        });
      } catch (error) {
        conn.log.debug({ mailbox: box.name, err: (error as Error).message }, "LIST-STATUS skipped a mailbox");
      }
    }
  }
  await conn.tagged(command.tag, "OK", "LIST completed.", undefined, { expunge: true });
}

export async function lsub(conn: ImapConnection, command: Extract<Command, { name: "LSUB" }>): Promise<void> {
  const reference = await nameFromWire(conn, command.tag, command.reference);
  const pattern = reference === null ? null : await nameFromWire(conn, command.tag, command.pattern);
  if (reference === null || pattern === null) return;
  // LSUB shows special-use attributes (as Dovecot does); a LIST (SUBSCRIBED) asks for them.
  const found = await conn.session!.list(reference, [pattern], {
    selection: ["SUBSCRIBED"],
    returnOptions: { specialUse: true },
  });
  for (const box of found) {
    await conn.send({
      kind: "untagged",
      data: {
        type: "LSUB",
        // LSUB shows a subscription whose mailbox is gone as \Noselect (RFC 3501 §6.3.9).
        attributes: box.attributes
          .filter((a) => !/^\\(subscribed|haschildren|hasnochildren)$/i.test(a))
          .map((a) => (/^\\nonexistent$/i.test(a) ? "\\Noselect" : a)),
        delimiter: DELIMITER,
        mailbox: nameToWire(conn, box.name),
      },
    });
  }
  await conn.tagged(command.tag, "OK", "LSUB completed.", undefined, { expunge: true });
}

export async function status(conn: ImapConnection, command: Extract<Command, { name: "STATUS" }>): Promise<void> {
  const name = await nameFromWire(conn, command.tag, command.mailbox);
  if (name === null) return;
  const items: StatusItem[] = command.items;
  const attributes = await conn.session!.status(name, items);
  await conn.send({ kind: "untagged", data: { type: "STATUS", mailbox: command.mailbox, attributes } });
  await conn.tagged(command.tag, "OK", "STATUS completed.", undefined, { expunge: true });
}

type MailboxCommand = Extract<Command, { name: "CREATE" | "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE" | "RENAME" }>;

export async function mailboxChange(conn: ImapConnection, command: MailboxCommand): Promise<void> {
  const session = conn.session!;
  switch (command.name) {
    case "CREATE": {
      const name = await nameFromWire(conn, command.tag, command.mailbox);
      if (name === null) return;
      await session.create(name.endsWith(DELIMITER) ? name.slice(0, -1) : name, command.specialUse);
      break;
    }
    case "DELETE": {
      const name = await nameFromWire(conn, command.tag, command.mailbox);
      if (name === null) return;
      await session.delete(name);
      if (conn.selected?.name === name) {
        // As Dovecot does: the session's mailbox is gone, so is the session.
        await conn.deselect();
        await conn.tagged(command.tag, "OK", "DELETE completed.");
        await conn.bye("Selected mailbox was deleted, have to disconnect.");
        return;
      }
      break;
    }
    case "RENAME": {
      const from = await nameFromWire(conn, command.tag, command.from);
      const to = from === null ? null : await nameFromWire(conn, command.tag, command.to);
      if (from === null || to === null) return;
      await session.rename(from, to);
      break;
    }
    case "SUBSCRIBE":
    case "UNSUBSCRIBE": {
      const name = await nameFromWire(conn, command.tag, command.mailbox);
      if (name === null) return;
      await (command.name === "SUBSCRIBE" ? session.subscribe(name) : session.unsubscribe(name));
      break;
    }
  }
  await conn.tagged(command.tag, "OK", `${command.name} completed.`, undefined, { expunge: true });
}
