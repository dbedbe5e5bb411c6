/** `holdfast mailbox list|create|delete|rename|status USER [NAME]`. */
import type { Command } from "commander";
import { type GlobalOptions, withStore } from "../context.js";
import { print, table } from "../output.js";

export function mailboxCommands(program: Command, g: () => GlobalOptions): void {
  const mailbox = program.command("mailbox").description("manage a user's mailboxes");

  mailbox
    .command("list <user>")
    .description("list mailboxes with their attributes")
    .action(async (user: string) => {
      const list = await withStore(g(), "read", async (store) => (await store.mailboxes(user)).listMailboxes());
      print(g().json, list, () =>
        table([
          ["NAME", "ID", "UIDVALIDITY", "ATTRIBUTES"],
          ...list.map((m) => [
            m.name,
            m.id === null ? "-" : String(m.id),
            String(m.uidValidity),
            m.attributes.join(" "),
          ]),
        ]),
      );
    });

  mailbox
    .command("create <user> <name>")
    .description("create a mailbox (missing parents become \\Noselect)")
    .action(async (user: string, name: string) => {
      const info = await withStore(g(), "write", async (store) => (await store.mailboxes(user)).create(name));
      print(g().json, info, () => `created ${info.name} (UIDVALIDITY ${info.uidValidity})`);
    });

  mailbox
    .command("delete <user> <name>")
    .description("delete a mailbox and its messages (INBOX cannot be deleted)")
    .action(async (user: string, name: string) => {
      await withStore(g(), "write", async (store) => (await store.mailboxes(user)).delete(name));
      print(g().json, { mailbox: name, deleted: true }, () => `deleted ${name}`);
    });

  mailbox
    .command("rename <user> <from> <to>")
    .description("rename a mailbox (children follow; renaming INBOX moves its messages)")
    .action(async (user: string, from: string, to: string) => {
      const info = await withStore(g(), "write", async (store) => (await store.mailboxes(user)).rename(from, to));
      print(g().json, info, () => `renamed ${from} to ${info.name}`);
    });

  mailbox
    .command("status <user> <name>")
    .description("message counts, UIDNEXT, UIDVALIDITY, HIGHESTMODSEQ, size")
    .action(async (user: string, name: string) => {
      const s = await withStore(g(), "read", async (store) => (await store.mailboxes(user)).status(name));
      print(g().json, { mailbox: name, ...s }, () =>
        table(Object.entries(s).map(([k, v]) => [k.toUpperCase(), String(v)])),
      );
    });
}
