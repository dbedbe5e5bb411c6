/** `holdfast user add|del|passwd|list`. */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { type GlobalOptions, withStore } from "../context.js";
import { CliError } from "../errors.js";
import { print, table } from "../output.js";

interface PasswordOptions {
  passwordFile?: string;
  passwordStdin?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The password from a file or stdin (first line), or a generated one (then printed once). */
async function password(o: PasswordOptions): Promise<{ value: string; generated: boolean }> {
  let text: string | undefined;
  if (o.passwordFile) {
    try {
      text = await readFile(o.passwordFile, "utf8");
    } catch (error) {
      throw new CliError(
        `cannot read password file ${o.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  } else if (o.passwordStdin) text = await readStdin();
  if (text === undefined) return { value: randomBytes(12).toString("base64url"), generated: true };
  const value = text.split(/\r?\n/)[0] ?? "";
  if (value.length === 0) throw new CliError("the password is empty");
  return { value, generated: false };
}

export function userCommands(program: Command, g: () => GlobalOptions): void {
  const user = program.command("user").description("manage users of the local store");
  const pw = (c: Command) =>
    c
      .option("--password-file <file>", "read the password from the first line of a file")
      .option("--password-stdin", "read the password from standard input");

  pw(user.command("add <name>").description("add a user (prints a generated password when none is given)")).action(
    async (name: string, o: PasswordOptions) => {
      const p = await password(o);
      await withStore(g(), "write", async (store) => {
        await store.users.add(name, p.value);
      });
      print(g().json, { user: name, added: true, ...(p.generated ? { password: p.value } : {}) }, () =>
        p.generated ? `added ${name}; password: ${p.value}` : `added ${name}`,
      );
    },
  );

  user
    .command("del <name>")
    .alias("delete")
    .description("remove a user and all their mail")
    .action(async (name: string) => {
      await withStore(g(), "write", (store) => store.users.remove(name));
      print(g().json, { user: name, removed: true }, () => `removed ${name}`);
    });

  pw(user.command("passwd <name>").description("set a user's password")).action(
    async (name: string, o: PasswordOptions) => {
      const p = await password(o);
      await withStore(g(), "write", (store) => store.users.passwd(name, p.value));
      print(g().json, { user: name, changed: true, ...(p.generated ? { password: p.value } : {}) }, () =>
        p.generated ? `password of ${name} set to: ${p.value}` : `password of ${name} changed`,
      );
    },
  );

  user
    .command("list")
    .description("list users")
    .action(async () => {
      const users = await withStore(g(), "read", async (store) => store.users.list());
      const rows = users.map((u) => ({
        name: u.name,
        folder: u.folder,
        createdAt: new Date(u.createdAt).toISOString(),
      }));
      print(g().json, rows, () =>
        rows.length
          ? table([["USER", "FOLDER", "CREATED"], ...rows.map((r) => [r.name, r.folder, r.createdAt])])
          : "no users",
      );
    });
}
