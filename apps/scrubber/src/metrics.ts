/** Prometheus metrics of the daemon mode (prom-client), served on GET /metrics. */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import type { ScrubReport } from "./report.js";

export class ScrubMetrics {
  readonly registry = new Registry();
  readonly files = new Counter({
    name: "holdfast_scrubber_files_checked_total",
    help: "Files read and verified",
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: "holdfast_scrubber_bytes_checked_total",
    help: "Bytes read and verified",
    registers: [this.registry],
  });
  readonly damageFound = new Counter({
    name: "holdfast_scrubber_damage_found_total",
    help: "Damaged files found, by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly damageRepaired = new Counter({
    name: "holdfast_scrubber_damage_repaired_total",
    help: "Damaged files repaired, by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly unrepaired = new Gauge({
    name: "holdfast_scrubber_damage_unrepaired",
    help: "Damage found by the last pass and not repaired",
    registers: [this.registry],
  });
  readonly lastPass = new Gauge({
    name: "holdfast_scrubber_last_pass_timestamp_seconds",
    help: "End of the last complete pass (Unix time)",
    registers: [this.registry],
  });
  readonly lastDuration = new Gauge({
    name: "holdfast_scrubber_last_pass_duration_seconds",
    help: "Duration of the last complete pass",
    registers: [this.registry],
  });
  readonly running = new Gauge({
    name: "holdfast_scrubber_pass_running",
    help: "1 while a pass runs",
    registers: [this.registry],
  });

  /** Add what a pass (or a resumed part of one) read and found. */
  recordPass(report: ScrubReport): void {
    this.files.inc(report.filesRead);
    this.bytes.inc(report.bytesRead);
    for (const d of report.damage) {
      this.damageFound.inc({ kind: d.kind });
      if (d.repaired) this.damageRepaired.inc({ kind: d.kind });
    }
    this.unrepaired.set(report.damage.filter((d) => !d.repaired).length);
    if (report.complete && report.finishedAt) {
      this.lastPass.set(Date.parse(report.finishedAt) / 1000);
      this.lastDuration.set((report.durationMs ?? 0) / 1000);
    }
  }

  /** Serve /metrics on host:port; resolves with the server once listening. */
  serve(host: string, port: number): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end("not found\n");
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(`${error.message}\n`),
      );
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}
