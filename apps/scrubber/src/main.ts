#!/usr/bin/env node
/**
 * holdfast-scrubber: `--once` walks the whole store and exits; without it, a daemon that runs
 * a pass every `--interval` (never two at once), resuming an interrupted pass from its
 * checkpoint, with Prometheus metrics. Exit codes: 0 clean (or every damage found repaired),
 * 1 damage remains, 2 error.
 */
import { mkdir } from "node:fs/promises";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";
import { IndexLockedError, MailboxLock, nodeFs } from "@holdfast/index";
import { Command, InvalidArgumentError, Option } from "commander";
import { loadConfig, resolvePath } from "holdfast-proxy";
import { readCheckpoint } from "./checkpoint.js";
import { makeGate, parseWindow } from "./gate.js";
import { ScrubMetrics } from "./metrics.js";
import { ttyProgress } from "./progress.js";
import { type ScrubReport, unrepaired } from "./report.js";
import { Scrubber } from "./scrub.js";
import { humanSummary } from "./summary.js";

interface Cli {
  once?: boolean;
  repair?: boolean;
  json?: boolean;
  config?: string;
  dataDir?: string;
  stateDir?: string;
  checkpoint: boolean;
  rate: number;
  filesPerSecond: number;
  interval: number;
  metrics?: string;
  maxLoad?: number;
  window?: { from: number; to: number };
  checkpointInterval: number;
  busyRetryDelay: number;
  progress: boolean;
  nice: number;
  spread?: boolean;
  debug?: boolean;
}

function number(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
    return n;
  };
}

/** "24h", "90m", "30s", "2d" or milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`bad duration "${v}" (e.g. 24h, 90m, 30s)`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "ms"]!;
  return Number(m[1]) * mult;
}

function program(): Command {
  return new Command("holdfast-scrubber")
    .description("Verify every checksum of a Holdfast store; repair what a redundant copy covers; report the rest.")
    .option("--once", "walk everything once and exit (default: daemon, a pass every --interval)")
    .option("--repair", "repair what a redundant copy covers (default: report only)")
    .option("--json", "print the report as JSON on stdout")
    .option("-c, --config <file>", "configuration file (default: $HOLDFAST_CONFIG or ./holdfast.toml)")
    .option("-d, --data-dir <dir>", "data folder (default: data_dir of the configuration, ./var/data)")
    .option("--state-dir <dir>", "where the checkpoint is kept (default: <data>/../scrubber)")
    .option("--no-checkpoint", "do not resume or write a checkpoint")
    .addOption(
      new Option("--rate <MB/s>", "read rate limit in MB/s, 0 = unlimited").default(20).argParser(number("--rate")),
    )
    .addOption(
      new Option("--files-per-second <n>", "files per second limit, 0 = unlimited")
        .default(500)
        .argParser(number("--files-per-second")),
    )
    .addOption(
      new Option("--interval <duration>", "daemon: time between pass starts")
        .default(86_400_000, "24h")
        .argParser(parseDuration),
    )
    .option("--metrics <host:port>", "daemon: serve Prometheus metrics here (default 127.0.0.1:9144)")
    .addOption(
      new Option("--max-load <load>", "pause while the 1-minute load average is above this").argParser(
        number("--max-load"),
      ),
    )
    .addOption(
      new Option("--window <HH:MM-HH:MM>", "only work inside this daily window (local time)").argParser(parseWindow),
    )
    .addOption(
      new Option("--checkpoint-interval <ms>", "minimum time between checkpoint writes")
        .default(1000)
        .argParser(number("--checkpoint-interval")),
    )
    .addOption(
      new Option("--busy-retry-delay <ms>", "wait before re-checking a mailbox being written")
        .default(2000)
        .argParser(number("--busy-retry-delay")),
    )
    .addOption(
      new Option("--nice <n>", "scheduling priority, 0-19 (higher is gentler)").default(10).argParser(number("--nice")),
    )
    .option(
      "--spread",
      "daemon: spread each pass evenly over 90% of --interval (rate = bytes / time, capped by --rate)",
    )
    .option("--no-progress", "no progress bar even on a TTY")
    .option("--debug", "show stack traces")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

async function dataDirOf(opts: Cli): Promise<string> {
  if (opts.dataDir) return resolvePath(process.cwd(), opts.dataDir);
  const { config } = await loadConfig(opts.config);
  return resolvePath(process.cwd(), config.data_dir);
}

function exitCodeOf(r: ScrubReport): number {
  if (r.errors.length) return 2;
  return unrepaired(r).length ? 1 : 0;
}

/** Wait `ms` or until `signal` aborts, leaving no timer behind. */
function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

async function once(scrubber: Scrubber, opts: Cli): Promise<number> {
  const report = await scrubber.run();
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${humanSummary(report)}\n`);
  return exitCodeOf(report);
}

async function daemon(
  make: (signal: AbortSignal) => Scrubber,
  opts: Cli,
  checkpointPath: string | undefined,
): Promise<number> {
  const metrics = new ScrubMetrics();
  const [host, port] = (opts.metrics ?? "127.0.0.1:9144").split(/:(?=[^:]*$)/);
  const server = await metrics.serve(host || "127.0.0.1", Number(port));
  const stop = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => stop.abort());
  const addr = server.address();
  process.stderr.write(
    `holdfast-scrubber: daemon, a pass every ${opts.interval / 1000} s; metrics on ${typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : "?"}\n`,
  );
  try {
    while (!stop.signal.aborted) {
      const cp = checkpointPath ? await readCheckpoint(checkpointPath) : undefined;
      if (cp?.complete && cp.lastPassStart !== undefined) {
        const wait = cp.lastPassStart + opts.interval - Date.now();
        if (wait > 0) {
          await sleepUnlessAborted(Math.min(wait, 2 ** 31 - 1), stop.signal);
          continue;
        }
      }
      metrics.running.set(1);
      const report = await make(stop.signal).run();
      metrics.running.set(0);
      metrics.recordPass(report);
      if (report.complete) process.stderr.write(`${humanSummary(report)}\n`);
      if (!checkpointPath && !stop.signal.aborted)
        await sleepUnlessAborted(Math.min(opts.interval, 2 ** 31 - 1), stop.signal);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const cmd = program();
  try {
    cmd.parse(argv);
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const opts = cmd.opts<Cli>();
  try {
    // low priority: a background job must not compete with the proxy for the CPU
    setPriority(Math.min(19, Math.max(0, Math.round(opts.nice))));
  } catch {
    // not allowed here (containers): run at the current priority
  }
  try {
    const dataDir = await dataDirOf(opts);
    const stateDir = opts.stateDir ? resolvePath(process.cwd(), opts.stateDir) : join(dirname(dataDir), "scrubber");
    const checkpointPath = opts.checkpoint ? join(stateDir, "checkpoint") : undefined;
    let passLock: MailboxLock | undefined;
    if (checkpointPath) {
      await mkdir(stateDir, { recursive: true });
      // never two passes at once over one checkpoint (a cron --once beside the daemon)
      try {
        passLock = await MailboxLock.acquire(nodeFs, stateDir);
      } catch (error) {
        if (error instanceof IndexLockedError)
          throw new Error(
            `another holdfast-scrubber (process ${error.holderPid ?? "?"}) is running with state folder ${stateDir}`,
          );
        throw error;
      }
    }
    const bar =
      opts.progress && !opts.json && process.stderr.isTTY && opts.once ? ttyProgress(process.stderr) : undefined;
    const make = (signal?: AbortSignal) =>
      new Scrubber(dataDir, {
        repair: opts.repair,
        limits: { bytesPerSecond: opts.rate * 1_000_000, filesPerSecond: opts.filesPerSecond },
        checkpointPath,
        checkpointIntervalMs: opts.checkpointInterval,
        busyRetryDelayMs: opts.busyRetryDelay,
        gate: makeGate({ maxLoad: opts.maxLoad, window: opts.window, signal }),
        onProgress: bar?.update,
        spreadOverMs: !opts.once && opts.spread ? opts.interval * 0.9 : undefined,
        signal,
      });
    try {
      if (opts.once) {
        const code = await once(make(), opts);
        bar?.done();
        return code;
      }
      return await daemon(make, opts, checkpointPath);
    } finally {
      await passLock?.release();
    }
  } catch (error) {
    process.stderr.write(`holdfast-scrubber: ${(error as Error).message}\n`);
    if (opts.debug) process.stderr.write(`${(error as Error).stack}\n`);
    return 2;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`holdfast-scrubber: ${error.message}\n`);
    process.exitCode = 2;
  },
);
