/**
 * Several Dovecot instances on one shared mail folder: the backends of failover tests. Each
 * has its own port, configuration, base_dir and state_dir; the maildirs with their
 * dovecot-uidlist and index files are shared, so a message has the same UID and a mailbox the
 * same UIDVALIDITY whichever instance serves it, and a change made through one is seen
 * through the others (Dovecot syncs the maildir and its index on every command; IDLE watches
 * the files with inotify, which sees writes by any process).
 */
import { rmSync } from "node:fs";
import { createMailRoot, type DovecotOptions, type DovecotServer, startDovecot } from "./dovecot.js";

export interface DovecotClusterOptions extends Omit<DovecotOptions, "mailRoot" | "sharedStorage"> {
  /** How many instances (default 2). */
  count?: number;
}

export interface DovecotCluster {
  /** The shared mail folder (removed by `stop()`). */
  mailRoot: string;
  /** The instances, in start order. */
  servers: DovecotServer[];
  /** Stop every instance and remove the shared mail folder. */
  stop(): Promise<void>;
}

/** Start `count` Dovecot instances serving the same mail folder with the same users. */
export async function startDovecotCluster(options: DovecotClusterOptions = {}): Promise<DovecotCluster> {
  const count = options.count ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  const mailRoot = createMailRoot();
  const servers: DovecotServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(mailRoot, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) servers.push(await startDovecot({ ...options, mailRoot, sharedStorage: true }));
  } catch (error) {
    await stop();
    throw error;
  }
  return { mailRoot, servers, stop };
}
