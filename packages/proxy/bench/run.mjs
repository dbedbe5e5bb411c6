// Routing benchmark: the cost of Router.route() per login, and how many users move when a
// host is added, against the reference a naive deployment would use (xxh64(user) mod N).
// Run: npm run build -w @holdfast/proxy && npm run bench -w @holdfast/proxy
import { initChecksum, xxh64 } from "@holdfast/checksum";
import { Router } from "../dist/index.js";

await initChecksum();
const USERS = Array.from({ length: 50_000 }, (_, i) => `user${i}@example.org`);
const encoder = new TextEncoder();
const hosts = (n) => Array.from({ length: n }, (_, i) => ({ id: `imap${i + 1}`, host: "10.0.0.1", port: 143 + i }));

async function time(label, fn) {
  await fn(USERS.slice(0, 2000)); // warm-up
  const started = process.hrtime.bigint();
  await fn(USERS);
  const ns = Number(process.hrtime.bigint() - started);
  return { label, usPerCall: ns / USERS.length / 1000 };
}

const modulo = (n) => async (users) => {
  let sink = 0;
  for (const u of users) sink += Number(xxh64(encoder.encode(u)) % BigInt(n));
  return sink;
};
const routed = (router) => async (users) => {
  for (const u of users) await router.route(u);
};

const rows = [
  await time("reference: xxh64(user) mod 5", modulo(5)),
  await time("Router.route, hash, 5 hosts", routed(new Router({ strategy: "hash", hosts: hosts(5) }))),
  await time("Router.route, hash, 20 hosts", routed(new Router({ strategy: "hash", hosts: hosts(20) }))),
  await time(
    "Router.route, static map (hit)",
    routed(
      new Router({
        strategy: "static",
        hosts: hosts(5),
        map: Object.fromEntries(USERS.map((u, i) => [u, `imap${(i % 5) + 1}`])),
      }),
    ),
  ),
];

async function firstChoices(router) {
  const out = [];
  for (const u of USERS) out.push((await router.route(u))[0].id);
  return out;
}
const moved = (a, b) => a.filter((x, i) => x !== b[i]).length / a.length;
const hrw = moved(
  await firstChoices(new Router({ strategy: "hash", hosts: hosts(5) })),
  await firstChoices(new Router({ strategy: "hash", hosts: hosts(6) })),
);
const mod5 = USERS.map((u) => Number(xxh64(encoder.encode(u)) % 5n));
const mod6 = USERS.map((u) => Number(xxh64(encoder.encode(u)) % 6n));
const naive = moved(mod5, mod6);

console.log("\nRouting (50,000 users; machine shared with other work: compare within this run)\n");
console.log("| what | µs per call | vs reference |");
console.log("| --- | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.label} | ${r.usPerCall.toFixed(2)} | ${(r.usPerCall / rows[0].usPerCall).toFixed(1)}x |`);
}
console.log("\n| adding a 6th host to 5 | users moved | ideal |");
console.log("| --- | ---: | ---: |");
console.log(`| weighted rendezvous (Router) | ${(hrw * 100).toFixed(1)}% | ${(100 / 6).toFixed(1)}% |`);
console.log(`| reference: mod N | ${(naive * 100).toFixed(1)}% | ${(100 / 6).toFixed(1)}% |`);
