/** `holdfast export mbox`. */
import type { Command } from "commander";
import type { GlobalOptions } from "../context.js";

export function exportCommands(program: Command, _g: () => GlobalOptions): void {
  program.command("export").description("export mail");
}
