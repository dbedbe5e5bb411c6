// A holdfast front end in front of one Dovecot, for the remote scenario of the benchmark:
// `node remote-server.mjs passthrough|stateful <dovecot port>`. Built from @holdfast/proxy's
// dist (the same library the daemon uses), in its own process so that its RSS is its own.
// Prints `listening <port>` once ready; exits 3 when the mode is not available in this build.
// An optional third argument is the path of another build's dist/index.js (an A/B target).
import { pathToFileURL } from "node:url";

const [mode, dovecotPort, module] = process.argv.slice(2);
const proxy = module ? await import(pathToFileURL(module).href) : await import("@holdfast/proxy");
/** Warnings and errors to stderr (the benchmark shows them); the rest is dropped. */
const logger = {
  debug() {},
  info() {},
  warn: (obj, msg) => console.error(`warn: ${msg} ${JSON.stringify(obj)}`),
  error: (obj, msg) => console.error(`error: ${msg} ${JSON.stringify(obj)}`),
  child: () => logger,
};
const route = async () => [{ id: "dovecot", host: "127.0.0.1", port: Number(dovecotPort) }];
/** More backend options, as JSON (an A/B knob: HOLDFAST_BENCH_STATEFUL_B_ENV=HOLDFAST_BENCH_BACKEND_OPTIONS={"notify":false}). */
const extra = JSON.parse(process.env.HOLDFAST_BENCH_BACKEND_OPTIONS || "{}");
let pair;
if (mode === "passthrough") pair = proxy.createPassthroughBackend({ route, logger, ...extra });
else if (mode === "stateful" && typeof proxy.createRemoteBackend === "function")
  pair = proxy.createRemoteBackend({ route, logger, ...extra });
else {
  console.log(`unavailable: ${mode} (this build of @holdfast/proxy has no ${mode} backend)`);
  process.exit(3);
}
const server = new proxy.ImapServer({
  ...pair,
  plaintextAuth: true,
  maxConnections: 50_000,
  maxConnectionsPerAddress: 50_000,
  throttle: { failureDelayMs: 0 },
  logger,
});
const port = await server.listen({ host: "127.0.0.1", port: 0 });
console.log(`listening ${port}`);
process.on("SIGTERM", () => {
  server.close(500).then(() => process.exit(0));
});
