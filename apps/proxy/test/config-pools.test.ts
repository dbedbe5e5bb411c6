import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, validateConfig } from "../src/config.js";
import { resolvePool, selectedPool } from "../src/pools.js";

/*
 * Backend pool configuration: a full `[[pools]]` file read from TOML, defaults, every
 * cross-key rule, and errors that name the key.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "holdfast-config-pools-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const FINGERPRINT = `${"AB:".repeat(31)}CD`;

const POOL_TOML = `
backend = "dovecot"

[[listen]]
host = "127.0.0.1"
port = 1143
proxy_protocol_trusted = ["10.0.0.0/8", "fd00::/8", "192.0.2.1"]

[[pools]]
name = "dovecot"
mode = "stateful"
strategy = "hash"

[[pools.hosts]]
id = "imap1"
host = "10.0.0.1"
weight = 2
tls = "starttls"
ca_file = "ca.pem"

[[pools.hosts]]
id = "imap2"
host = "10.0.0.2"
port = 993
tls = "implicit"
fingerprint = "${FINGERPRINT}"
proxy_protocol = true

[pools.login]
mode = "master"
user = "proxy"
password_file = "master.secret"
verify = "local"

[pools.health]
interval_ms = 2000
fall = 4
check_user = "healthcheck"

[[pools]]
name = "lookup"
mode = "passthrough"
strategy = "lookup"

[pools.lookup]
url = "http://127.0.0.1:8080/route?user={user}"
ttl_seconds = 30
negative_ttl_seconds = 5
host_tls = "implicit"

[[pools]]
name = "static"
strategy = "static"
unmapped = "reject"
hosts = [{ id = "a", host = "127.0.0.1" }, { id = "b", host = "127.0.0.2" }]
map = { alice = "a", "bob@example.org" = "b" }
`;

function pools(extra: object[] = [], backend = "p"): object {
  return { backend, pools: [{ name: "p", hosts: [{ id: "h1", host: "127.0.0.1" }] }, ...extra] };
}

function error(raw: unknown): string {
  try {
    validateConfig(raw, "f.toml");
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("pool configuration", () => {
  it("reads a full file and fills in defaults", async () => {
    const file = join(dir, "pools.toml");
    await writeFile(file, POOL_TOML);
    const { config } = await loadConfig(file);
    expect(config.backend).toBe("dovecot");
    expect(config.listen[0]!.proxy_protocol_trusted).toEqual(["10.0.0.0/8", "fd00::/8", "192.0.2.1"]);
    const [dovecot, lookup, fixed] = config.pools;
    expect(dovecot!.hosts[0]).toEqual({
      id: "imap1",
      host: "10.0.0.1",
      weight: 2,
      tls: "starttls",
      ca_file: "ca.pem",
      insecure: false,
      proxy_protocol: false,
    });
    expect(dovecot!.login).toEqual({
      mode: "master",
      user: "proxy",
      password_file: "master.secret",
      separator: "*",
      verify: "local",
    });
    expect(dovecot!.health).toEqual({
      enabled: true,
      interval_ms: 2000,
      timeout_ms: 3000,
      fall: 4,
      rise: 2,
      check_user: "healthcheck",
    });
    expect(dovecot!.reconnect_budget_ms).toBe(30_000);
    expect(lookup!.mode).toBe("passthrough");
    expect(lookup!.lookup).toMatchObject({
      ttl_seconds: 30,
      negative_ttl_seconds: 5,
      timeout_ms: 2000,
      max_entries: 10_000,
    });
    expect(fixed!.map).toEqual({ alice: "a", "bob@example.org": "b" });
    expect(selectedPool(config)).toBe(dovecot);
    expect(selectedPool(validateConfig({}))).toBeUndefined();
  });

  it("resolves a pool: CA and secret files read, fingerprint normalised, routing and login built", async () => {
    await writeFile(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    await writeFile(join(dir, "master.secret"), "s3cret\n");
    const file = join(dir, "pools.toml");
    await writeFile(file, POOL_TOML);
    const { config } = await loadConfig(file);
    const resolved = await resolvePool(config, config.pools[0]!, dir);
    expect(resolved.routing.hosts).toEqual([
      {
        id: "imap1",
        host: "10.0.0.1",
        port: 143,
        weight: 2,
        tls: "starttls",
        ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
      },
      {
        id: "imap2",
        host: "10.0.0.2",
        port: 993,
        weight: 1,
        tls: "implicit",
        fingerprint: `${"ab".repeat(31)}cd`,
        sendProxyProtocol: true,
      },
    ]);
    expect(resolved.login).toEqual({ mode: "master", user: "proxy", password: "s3cret", separator: "*" });
    expect(resolved.health).toEqual({ intervalMs: 2000, timeoutMs: 3000, fall: 4, rise: 2, checkUser: "healthcheck" });
    const implicit = validateConfig({ pools: [{ name: "t", hosts: [{ id: "h", host: "x", tls: "implicit" }] }] });
    expect((await resolvePool(implicit, implicit.pools[0]!, dir)).routing.hosts[0]!.port).toBe(993);
    const lookup = await resolvePool(config, config.pools[1]!, dir);
    expect(lookup.routing.lookup).toMatchObject({
      url: "http://127.0.0.1:8080/route?user={user}",
      ttlMs: 30_000,
      negativeTtlMs: 5_000,
      hostDefaults: { tls: "implicit" },
    });
    const fixed = await resolvePool(config, config.pools[2]!, dir);
    expect(fixed.routing).toMatchObject({ strategy: "static", unmapped: "reject", map: { alice: "a" } });
  });

  it("a missing CA or secret file is an error naming the key", async () => {
    const raw = pools();
    (raw as { pools: { hosts: object[] }[] }).pools[0]!.hosts[0] = {
      id: "h1",
      host: "127.0.0.1",
      tls: "implicit",
      ca_file: "nope.pem",
    };
    const config = validateConfig(raw);
    await expect(resolvePool(config, config.pools[0]!, dir)).rejects.toThrow(
      /pools\[0\]\.hosts\[0\]\.ca_file: cannot read nope\.pem: ENOENT/,
    );
    const master = validateConfig({
      backend: "p",
      pools: [
        {
          name: "p",
          hosts: [{ id: "h", host: "x" }],
          login: { mode: "master", user: "m", password_file: "none", verify: "local" },
        },
      ],
    });
    await expect(resolvePool(master, master.pools[0]!, dir)).rejects.toThrow(/pools\[0\]\.login\.password_file/);
  });

  it("wrong keys and values are errors that name them", () => {
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x", wieght: 2 }] }] })).toMatch(
      /unknown key "wieght" in pools\[0\]\.hosts\[0\]/,
    );
    expect(error({ pools: [{ name: "p", hosts: [], strategy: "random" }] })).toMatch(/pools\[0\]\.strategy/);
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x", weight: 0 }] }] })).toMatch(
      /pools\[0\]\.hosts\[0\]\.weight/,
    );
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x", tls: true }] }] })).toMatch(
      /pools\[0\]\.hosts\[0\]\.tls/,
    );
    expect(
      error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x", tls: "implicit", fingerprint: "abc" }] }] }),
    ).toMatch(/pools\[0\]\.hosts\[0\]\.fingerprint: 64 hex digits/);
    expect(error({ listen: [{ port: 1, proxy_protocol_trusted: ["10.0.0.0/33"] }] })).toMatch(
      /listen\[0\]\.proxy_protocol_trusted\[0\]: not an IPv4\/IPv6 address or CIDR/,
    );
    expect(error({ listen: [{ port: 1, proxy_protocol_trusted: ["example.org"] }] })).toMatch(/proxy_protocol_trusted/);
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], health: { fal: 2 } }] })).toMatch(
      /unknown key "fal" in pools\[0\]\.health/,
    );
  });

  it("cross-key rules name the key", () => {
    expect(error({ backend: "nope" })).toMatch(/backend: "nope" is neither "local" nor a pool name \("local"\)/);
    expect(error(pools([], "q"))).toMatch(/backend: "q" is neither "local" nor a pool name \("local", "p"\)/);
    expect(error(pools([{ name: "p", hosts: [{ id: "h", host: "x" }] }]))).toMatch(
      /pools\[1\]\.name: duplicate pool name "p"/,
    );
    expect(error({ pools: [{ name: "local", hosts: [{ id: "h", host: "x" }] }] })).toMatch(
      /pools\[0\]\.name: "local" is reserved/,
    );
    expect(
      error({
        pools: [
          {
            name: "p",
            hosts: [
              { id: "h", host: "x" },
              { id: "h", host: "y" },
            ],
          },
        ],
      }),
    ).toMatch(/pools\[0\]\.hosts\[1\]\.id: duplicate host id "h"/);
    expect(error({ pools: [{ name: "p" }] })).toMatch(/pools\[0\]\.hosts: strategy "hash" needs at least one host/);
    expect(error({ pools: [{ name: "p", strategy: "lookup" }] })).toMatch(
      /pools\[0\]\.lookup: strategy "lookup" needs/,
    );
    expect(error({ pools: [{ name: "p", strategy: "lookup", lookup: { url: "http://x/route" } }] })).toMatch(
      /pools\[0\]\.lookup\.url: must contain \{user\}/,
    );
    expect(error({ pools: [{ name: "p", strategy: "lookup", lookup: { url: "ftp://x/{user}" } }] })).toMatch(
      /pools\[0\]\.lookup\.url: must be an http/,
    );
    expect(error({ pools: [{ name: "p", strategy: "static", hosts: [{ id: "h", host: "x" }] }] })).toMatch(
      /pools\[0\]\.map: strategy "static" needs/,
    );
    expect(
      error({ pools: [{ name: "p", strategy: "static", hosts: [{ id: "h", host: "x" }], map: { alice: "g" } }] }),
    ).toMatch(/pools\[0\]\.map\.alice: names unknown host "g"/);
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], map: { alice: "h" } }] })).toMatch(
      /pools\[0\]\.map: only used with strategy = "static"/,
    );
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], login: { mode: "master" } }] })).toMatch(
      /pools\[0\]\.login\.user: mode "master" needs the master user/,
    );
    // Without verify a master/authzid login would let any client password in.
    expect(
      error({
        pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], login: { mode: "master", user: "m", password: "s" } }],
      }),
    ).toMatch(/pools\[0\]\.login\.verify: mode "master" logs in with the pool's credentials/);
    expect(
      error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], login: { mode: "user", verify: "local" } }] }),
    ).toMatch(/pools\[0\]\.login\.verify: only used with mode "master" or "authzid"/);
    expect(
      error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], login: { mode: "authzid", user: "a" } }] }),
    ).toMatch(/pools\[0\]\.login: give exactly one of password, password_file/);
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], login: { password: "x" } }] })).toMatch(
      /pools\[0\]\.login: user\/password need mode "master" or "authzid"/,
    );
    expect(
      error({
        pools: [
          { name: "p", hosts: [{ id: "h", host: "x", tls: "implicit", insecure: true, fingerprint: FINGERPRINT }] },
        ],
      }),
    ).toMatch(/pools\[0\]\.hosts\[0\]\.insecure: insecure = true contradicts/);
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x", insecure: true }] }] })).toMatch(
      /pools\[0\]\.hosts\[0\]\.tls: ca_file\/fingerprint\/insecure need tls/,
    );
    expect(error({ pools: [{ name: "p", hosts: [{ id: "h", host: "x" }], health: { check_user: "hc" } }] })).toMatch(
      /pools\[0\]\.health: check_user needs check_password/,
    );
  });
});
