import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { waitUntil } from "./line-session.js";

/** The built daemon, as an operator runs it. */
export const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export interface SpawnedDaemon {
  child: ChildProcess;
  /** The config file it was started with. */
  config: string;
  /** Everything it has written to stderr so far (its log and start-up lines). */
  stderr(): string;
  /** The loopback IMAP ports it listens on, in the order of the config's listeners. */
  ports: number[];
  /** SIGTERM, and SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/**
 * Write `lines` as the TOML file `config` and start holdfast-proxy with it; resolves once it
 * says it is listening, throws (with its stderr) if it exits first or takes over 20 s.
 */
export async function spawnDaemon(config: string, lines: string[]): Promise<SpawnedDaemon> {
  await writeFile(config, [...lines, ""].join("\n"));
  const child = spawn(process.execPath, [MAIN, "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => {
    stderr += d;
  });
  await waitUntil(
    () => /listening on/.test(stderr) || child.exitCode !== null,
    20_000,
    () => stderr,
  );
  if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${stderr}`);
  return {
    child,
    config,
    stderr: () => stderr,
    ports: [...stderr.matchAll(/127\.0\.0\.1:(\d+) \(/g)].map((m) => Number(m[1])),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
