import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, metricsEnabled, plaintextAllowed, validateConfig } from "../src/config.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "holdfast-config-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("configuration", () => {
  it("no file gives the embedded default", async () => {
    const { config, source } = await loadConfig(undefined, { HOLDFAST_CONFIG: undefined });
    expect(source).toBe("defaults");
    expect(config.data_dir).toBe("./var/data");
    expect(config.listen).toEqual([
      { host: "127.0.0.1", port: 1143, tls: false },
      { host: "127.0.0.1", port: 1993, tls: true },
    ]);
    expect(plaintextAllowed(config)).toBe(true);
  });

  it("reads the file named by HOLDFAST_CONFIG and fills in defaults", async () => {
    const file = join(dir, "a.toml");
    await writeFile(file, 'data_dir = "/srv/mail"\n[[listen]]\nhost = "0.0.0.0"\nport = 993\ntls = true\n');
    const { config } = await loadConfig(undefined, { HOLDFAST_CONFIG: file });
    expect(config.data_dir).toBe("/srv/mail");
    expect(config.listen).toEqual([{ host: "0.0.0.0", port: 993, tls: true }]);
    expect(config.auth.plaintext).toBe("loopback");
    expect(plaintextAllowed(config)).toBe(false); // a public listener: TLS required
  });

  it("a misspelled key is an error that names it", () => {
    expect(() => validateConfig({ data_dri: "x" }, "f.toml")).toThrow(/f\.toml: unknown key "data_dri"/);
    expect(() => validateConfig({ listen: [{ port: 1, tsl: true }] })).toThrow(/unknown key "tsl" in listen\[0\]/);
    expect(() => validateConfig({ auth: { plaintext: "sometimes" } })).toThrow(/auth\.plaintext/);
    expect(() => validateConfig({ timeouts: { idle_minutes: 5 } })).toThrow(/timeouts\.idle_minutes/);
    expect(() => validateConfig({ listen: [{ port: 70000 }] })).toThrow(ConfigError);
  });

  it("metrics: on by default on loopback, refused on a public address unless allowed", () => {
    expect(metricsEnabled(validateConfig({}))).toBe(true);
    expect(() => metricsEnabled(validateConfig({ metrics: { host: "0.0.0.0" } }))).toThrow(/allow_remote/);
    expect(metricsEnabled(validateConfig({ metrics: { host: "0.0.0.0", allow_remote: true } }))).toBe(true);
    expect(metricsEnabled(validateConfig({ metrics: { enabled: false, host: "0.0.0.0" } }))).toBe(false);
  });

  it("bad TOML and a missing explicit file are one-line errors", async () => {
    const file = join(dir, "bad.toml");
    await writeFile(file, "data_dir = \n");
    await expect(loadConfig(file)).rejects.toThrow(/bad\.toml: not valid TOML/);
    await expect(loadConfig(join(dir, "missing.toml"))).rejects.toThrow(/cannot read configuration/);
  });
});
