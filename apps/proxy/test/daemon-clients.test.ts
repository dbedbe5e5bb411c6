import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { spawnDaemon } from "./helpers/daemon.js";

/*
 * Real clients against the daemon as an operator runs it (the built holdfast-proxy, a config
 * file, a fresh data folder, a free loopback port), not only against the library's server
 * in-process: imapflow (the end-to-end scenarios of @holdfast/proxy's tests), Python's imaplib
 * and curl, and mbsync syncing a Maildir both ways (issue #6). Each group gets a daemon of its
 * own (a fresh `demo` user). The scenarios live with @holdfast/proxy's tests and are loaded from
 * there, so both run the same ones.
 */

const HELPERS = new URL("../../../packages/proxy/test/helpers/", import.meta.url);

interface Target {
  port: number;
  user: string;
  password: string;
}
const { e2eScenarios } = (await import(new URL("e2e-scenarios.ts", HELPERS).href)) as {
  e2eScenarios(target: () => Target): void;
};
const { systemClientScenarios } = (await import(new URL("system-client-scenarios.ts", HELPERS).href)) as {
  systemClientScenarios(target: () => Target & { dir: string }): void;
};
const { mbsyncScenarios } = (await import(new URL("mbsync-scenarios.ts", HELPERS).href)) as {
  mbsyncScenarios(target: () => Target & { dir: string }): void;
};

interface Daemon extends Target {
  dir: string;
  stop(): Promise<void>;
}

/** holdfast-proxy on the embedded local store, one plain listener on 127.0.0.1, port 0. */
async function startDaemon(): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), "holdfast-daemon-clients-"));
  const daemon = await spawnDaemon(join(dir, "holdfast.toml"), [
    `data_dir = "${join(dir, "data")}"`,
    "[[listen]]",
    'host = "127.0.0.1"',
    "port = 0",
    "[log]",
    'level = "warn"',
  ]);
  return {
    dir,
    port: daemon.ports[0]!,
    user: "demo",
    password: /password: (\S+)/.exec(daemon.stderr())?.[1] ?? "",
    stop: async () => {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const SUITES: [string, (target: () => Daemon) => void][] = [
  ["imapflow against the holdfast-proxy daemon", e2eScenarios],
  ["Python imaplib and curl against the holdfast-proxy daemon", systemClientScenarios],
  ["mbsync (isync) against the holdfast-proxy daemon, both ways", mbsyncScenarios],
];

for (const [name, scenarios] of SUITES) {
  describe(name, () => {
    let daemon: Daemon;
    beforeAll(async () => {
      daemon = await startDaemon();
    });
    afterAll(() => daemon?.stop());
    scenarios(() => daemon);
  });
}
