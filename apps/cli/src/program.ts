/** The `holdfast` command tree (commander). Each group lives in its own file under commands/. */
import { Command } from "commander";
import { exportCommands } from "./commands/export.js";
import { importCommands } from "./commands/import.js";
import { indexCommands } from "./commands/index-cmd.js";
import { mailboxCommands } from "./commands/mailbox.js";
import { userCommands } from "./commands/user.js";
import type { GlobalOptions } from "./context.js";

export function buildProgram(): Command {
  const program = new Command("holdfast")
    .description(
      "Administer a Holdfast local store: users, mailboxes, index dump/verify/repair, import and export.\n" +
        "Exit codes: 0 ok, 1 damage found, 2 error.",
    )
    .option("-c, --config <file>", "configuration file (default: $HOLDFAST_CONFIG or ./holdfast.toml)")
    .option("-d, --data-dir <dir>", "data folder (default: data_dir of the configuration, ./var/data)")
    .option("--json", "machine-readable output")
    .option("--debug", "show stack traces on errors")
    .showHelpAfterError(false)
    .exitOverride();
  const g = () => program.opts<GlobalOptions>();
  userCommands(program, g);
  mailboxCommands(program, g);
  indexCommands(program, g);
  importCommands(program, g);
  exportCommands(program, g);
  // every subcommand: exit through our handler, errors on one line
  const walk = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ outputError: (s, write) => write(`holdfast: ${s.replace(/^error: /, "").trim()}\n`) });
    for (const sub of c.commands) walk(sub);
  };
  walk(program);
  return program;
}
