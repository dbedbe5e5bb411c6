#!/usr/bin/env node
import { CommanderError } from "commander";
import { CliError, EXIT_ERROR } from "./errors.js";
import { buildProgram } from "./program.js";

/** Run the CLI; returns the exit code. Errors are one line unless --debug. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      return error.exitCode === 0 ? 0 : EXIT_ERROR;
    }
    const e = error as Error;
    const message = e instanceof CliError ? e.message : `${e.message || String(e)}`;
    process.stderr.write(`holdfast: ${message.split("\n")[0]}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return e instanceof CliError ? e.exitCode : EXIT_ERROR;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`holdfast: ${error.message}\n`);
    process.exitCode = EXIT_ERROR;
  },
);
