/**
 * `holdfast export mbox USER MAILBOX [FILE]`: mboxrd — a From_ line with the internal date,
 * the message with LF line ends and every /^>*From / line given one more ">". Flags are not
 * written into the messages (that would change their bytes); `--json` prints them per UID.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { Command } from "commander";
import { type GlobalOptions, withStore } from "../context.js";
import { progressBar } from "../progress.js";

function asctime(ms: number): string {
  const d = new Date(ms);
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, " ")} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

export function mboxEntry(bytes: Uint8Array, internalDate: number): Buffer {
  const text = Buffer.from(bytes).toString("latin1").replace(/\r\n/g, "\n");
  const escaped = text.replace(/^(>*From )/gm, ">$1");
  return Buffer.from(
    `From MAILER-DAEMON ${asctime(internalDate)}\n${escaped}${escaped.endsWith("\n") ? "" : "\n"}\n`,
    "latin1",
  );
}

export function exportCommands(program: Command, g: () => GlobalOptions): void {
  const exp = program.command("export").description("export mail");
  exp
    .command("mbox <user> <mailbox> [file]")
    .description("write a mailbox as mboxrd to FILE (default: standard output)")
    .action(async (user: string, mailbox: string, file: string | undefined) => {
      const out = file ? createWriteStream(file) : process.stdout;
      const bar = progressBar("export mbox", !!file);
      let count = 0;
      await withStore(g(), "read", async (store) => {
        const mail = await store.mailboxes(user);
        const session = await mail.select(mailbox, { readOnly: true });
        try {
          for (const m of session.messages()) {
            const bytes = await session.readMessage(m.uid);
            if (!out.write(mboxEntry(bytes, m.internalDate))) await once(out, "drain");
            count++;
            bar.tick();
          }
        } finally {
          session.close();
        }
      });
      bar.done();
      if (file) {
        await new Promise<void>((resolve, reject) =>
          (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? reject(e) : resolve())),
        );
        process.stderr.write(g().json ? "" : `exported ${count} messages to ${file}\n`);
        if (g().json) process.stdout.write(`${JSON.stringify({ mailbox, messages: count, file })}\n`);
      }
    });
}
