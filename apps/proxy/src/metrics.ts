import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { HealthChecker, ImapServer, ServerObserver } from "@holdfast/proxy";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of the daemon (text format on GET /metrics): connections by state,
 * commands by name and result, command latency, bytes in and out, authentication
 * failures, store errors and damage found, plus the process's own metrics.
 */
export class ProxyMetrics implements ServerObserver {
  readonly registry = new Registry();
  private readonly commands = new Counter({
    name: "holdfast_commands_total",
    help: "IMAP commands completed, by command and result",
    labelNames: ["command", "result"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "holdfast_command_duration_seconds",
    help: "IMAP command latency, by command",
    labelNames: ["command"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly bytesInCounter = new Counter({
    name: "holdfast_bytes_received_total",
    help: "Bytes received from clients",
    registers: [this.registry],
  });
  private readonly bytesOutCounter = new Counter({
    name: "holdfast_bytes_sent_total",
    help: "Bytes sent to clients",
    registers: [this.registry],
  });
  private readonly authFailures = new Counter({
    name: "holdfast_auth_failures_total",
    help: "Failed LOGIN/AUTHENTICATE attempts",
    registers: [this.registry],
  });
  private readonly backendErrors = new Counter({
    name: "holdfast_store_errors_total",
    help: "Store/backend errors answered with NO, by response code (CORRUPTION is damage found)",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });

  constructor(server: () => ImapServer | undefined) {
    collectDefaultMetrics({ register: this.registry, prefix: "holdfast_process_" });
    new Gauge({
      name: "holdfast_connections",
      help: "Client connections, by state (not-authenticated, authenticated, selected, idle)",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const s = server();
        if (!s) return;
        for (const [state, n] of Object.entries(s.connectionsByState())) this.set({ state }, n);
      },
    });
  }

  command(name: string, result: string, seconds: number): void {
    this.commands.inc({ command: name, result });
    this.latency.observe({ command: name }, seconds);
  }

  bytesIn(n: number): void {
    this.bytesInCounter.inc(n);
  }

  bytesOut(n: number): void {
    this.bytesOutCounter.inc(n);
  }

  authFailure(): void {
    this.authFailures.inc();
  }

  backendError(code: string): void {
    this.backendErrors.inc({ code });
  }

  /** Backend pool health: `holdfast_backend_up{pool,host}` (1/0) and up/down transitions. */
  watchPool(pool: string, health: HealthChecker | undefined): void {
    const transitions = new Counter({
      name: "holdfast_backend_transitions_total",
      help: "Backend hosts marked down or up by health checks",
      labelNames: ["pool", "host", "state"] as const,
      registers: [this.registry],
    });
    new Gauge({
      name: "holdfast_backend_up",
      help: "Whether health checks consider a backend host usable (1) or down (0)",
      labelNames: ["pool", "host"] as const,
      registers: [this.registry],
      collect() {
        for (const h of health?.status() ?? []) this.set({ pool, host: h.id }, h.up ? 1 : 0);
      },
    });
    health?.onChange((e) => transitions.inc({ pool, host: e.hostId, state: e.up ? "up" : "down" }));
  }

  /**
   * Serve GET /metrics on host:port; resolves with the bound port. `extra` may answer other
   * requests first (the admin endpoints): it returns true when it did.
   */
  async listen(
    host: string,
    port: number,
    extra?: (req: IncomingMessage, res: ServerResponse) => boolean,
  ): Promise<{ server: Server; port: number }> {
    const http = createServer(async (req, res) => {
      if (extra?.(req, res)) return;
      if (req.method !== "GET" || req.url !== "/metrics") {
        res.writeHead(404).end("not found\n");
        return;
      }
      try {
        const body = await this.registry.metrics();
        res.writeHead(200, { "content-type": this.registry.contentType }).end(body);
      } catch (error) {
        res.writeHead(500).end(`${(error as Error).message}\n`);
      }
    });
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => resolve());
    });
    const address = http.address();
    return { server: http, port: typeof address === "object" && address ? address.port : port };
  }
}
