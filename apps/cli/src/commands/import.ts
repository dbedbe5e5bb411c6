/** `holdfast import mbox|maildir|imap`. */
import type { Command } from "commander";
import type { GlobalOptions } from "../context.js";

export function importCommands(program: Command, _g: () => GlobalOptions): void {
  program.command("import").description("import mail from mbox, maildir or an IMAP server");
}
