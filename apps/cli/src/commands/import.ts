/** `holdfast import mbox|maildir|imap`: resumable and idempotent (see import/target.ts). */
import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { type GlobalOptions, withStore } from "../context.js";
import { CliError } from "../errors.js";
import type { ImportCounts } from "../import/target.js";
import { print, table } from "../output.js";
import { progressBar } from "../progress.js";

function summary(json: boolean | undefined, results: ImportCounts[]): void {
  const total = results.reduce((s, r) => ({ imported: s.imported + r.imported, skipped: s.skipped + r.skipped }), {
    imported: 0,
    skipped: 0,
  });
  print(json, { mailboxes: results, ...total }, () =>
    [
      table([
        ["MAILBOX", "SEEN", "IMPORTED", "ALREADY THERE"],
        ...results.map((r) => [r.mailbox, String(r.seen), String(r.imported), String(r.skipped)]),
      ]),
      `imported ${total.imported}, already there ${total.skipped}`,
    ].join("\n"),
  );
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError("must be a port number 1-65535");
  return n;
}

export function importCommands(program: Command, g: () => GlobalOptions): void {
  const imp = program
    .command("import")
    .description("import mail from mbox, maildir or an IMAP server (re-running adds nothing twice)");

  imp
    .command("mbox <file> <user> [mailbox]")
    .description("import an mbox file into a mailbox (default INBOX); flags from Status/X-Status/X-Keywords")
    .action(async (file: string, user: string, mailbox: string | undefined) => {
      const [{ readMbox }, { ImportTarget }, { initChecksum }] = await Promise.all([
        import("../import/mbox.js"),
        import("../import/target.js"),
        import("@holdfast/checksum"),
      ]);
      await initChecksum();
      const bar = progressBar("import mbox", !g().json);
      const counts = await withStore(g(), "write", async (store) => {
        const target = await ImportTarget.open(store, user, mailbox ?? "INBOX");
        try {
          for await (const m of readMbox(file)) {
            await target.add(m);
            bar.tick();
          }
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new CliError(`no such file: ${file}`);
          throw error;
        }
        return target.counts;
      });
      bar.done();
      summary(g().json, [counts]);
    });

  imp
    .command("maildir <dir> <user>")
    .description("import a Dovecot/Courier maildir (every folder); flags from file names and dovecot-keywords")
    .action(async (dir: string, user: string) => {
      const [{ listMaildirFolders, readMaildirFolder }, { ImportTarget }, { initChecksum }] = await Promise.all([
        import("../import/maildir.js"),
        import("../import/target.js"),
        import("@holdfast/checksum"),
      ]);
      await initChecksum();
      let folders: Awaited<ReturnType<typeof listMaildirFolders>>;
      try {
        folders = await listMaildirFolders(dir);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const bar = progressBar("import maildir", !g().json);
      const results = await withStore(g(), "write", async (store) => {
        const out: ImportCounts[] = [];
        for (const folder of folders) {
          const target = await ImportTarget.open(store, user, folder.name);
          for await (const m of readMaildirFolder(folder)) {
            await target.add(m);
            bar.tick();
          }
          out.push(target.counts);
        }
        return out;
      });
      bar.done();
      summary(g().json, results);
    });

  imp
    .command("imap <targetUser>")
    .description("copy every mailbox of a remote IMAP account (flags, keywords, internal dates)")
    .requiredOption("--host <host>", "IMAP server")
    .requiredOption("--user <user>", "login name on the server")
    .option("--password-file <file>", "password (first line); default $HOLDFAST_IMAP_PASSWORD")
    .option("--port <port>", "port (default 993 with --tls, else 143)", port)
    .option("--tls", "implicit TLS")
    .option("--insecure", "accept any TLS certificate")
    .action(
      async (
        targetUser: string,
        o: { host: string; user: string; passwordFile?: string; port?: number; tls?: boolean; insecure?: boolean },
      ) => {
        let password = process.env.HOLDFAST_IMAP_PASSWORD;
        if (o.passwordFile) {
          try {
            password = (await readFile(o.passwordFile, "utf8")).split(/\r?\n/)[0];
          } catch (error) {
            throw new CliError(
              `cannot read password file ${o.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? error}`,
            );
          }
        }
        if (!password) throw new CliError("no password: give --password-file or set HOLDFAST_IMAP_PASSWORD");
        const [{ importImap }, { initChecksum }] = await Promise.all([
          import("../import/imap.js"),
          import("@holdfast/checksum"),
        ]);
        await initChecksum();
        const bar = progressBar("import imap", !g().json);
        const source = {
          host: o.host,
          port: o.port ?? (o.tls ? 993 : 143),
          user: o.user,
          password,
          tls: !!o.tls,
          insecure: o.insecure,
        };
        const results = await withStore(g(), "write", async (store) => {
          try {
            return await importImap(store, targetUser, source, () => bar.tick());
          } catch (error) {
            const e = error as Error & { responseText?: string; authenticationFailed?: boolean; code?: string };
            if (e.authenticationFailed) throw new CliError(`${o.host}: login failed for ${o.user}`);
            if (e.code === "ECONNREFUSED")
              throw new CliError(`cannot connect to ${source.host}:${source.port} (connection refused)`);
            throw new CliError(`${o.host}: ${e.responseText ?? e.message}`);
          }
        });
        bar.done();
        summary(g().json, results);
      },
    );
}
