import { type DovecotCluster, startDovecotCluster } from "@holdfast/testkit";
import { afterAll, beforeAll } from "vitest";
import type { RawClient } from "./raw-client.js";
import type { RemoteProxy } from "./remote-proxy.js";

/**
 * Two Dovecot instances on one mail folder for the tests of one file, plus the proxies and
 * raw clients those tests open: registers beforeAll/afterAll, which start the cluster and
 * stop everything. Every session comes from 127.0.0.1, hence the raised per-IP limit.
 */
export class ClusterFixture {
  readonly proxies: RemoteProxy[] = [];
  readonly raws: RawClient[] = [];
  private started: DovecotCluster | undefined;

  constructor(user: string, password: string, available: boolean) {
    beforeAll(async () => {
      if (!available) throw new Error("dovecot-imapd is not installed (CI installs it; apt-get install dovecot-imapd)");
      this.started = await startDovecotCluster({
        users: [{ name: user, password }],
        extraConfig: "protocol imap {\n  mail_max_userip_connections = 1000\n}\n",
      });
    });
    afterAll(async () => {
      for (const r of this.raws) r.close();
      for (const p of this.proxies) await p.stop();
      await this.started?.stop();
    });
  }

  /** False when beforeAll did not get the cluster up (cleanup must then skip it). */
  get isStarted(): boolean {
    return this.started !== undefined;
  }

  get cluster(): DovecotCluster {
    if (!this.started) throw new Error("the Dovecot cluster is not started (beforeAll failed?)");
    return this.started;
  }
}
