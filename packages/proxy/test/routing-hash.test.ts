import { describe, expect, it } from "vitest";
import { HealthChecker, type PoolHost, Router, RoutingConfigError, RoutingError } from "../src/index.js";

/*
 * Consistent hashing: the properties operators rely on (issue #8 "Done when"): every proxy
 * instance sends a user to the same backend, adding a host moves ~1/N of the users (and
 * only to the new host), removing one moves only its users, weights shape the shares.
 */

const USERS = Array.from({ length: 10_000 }, (_, i) => `user${i}@example.org`);

function hosts(n: number, weight = 1): PoolHost[] {
  return Array.from({ length: n }, (_, i) => ({ id: `imap${i + 1}`, host: "127.0.0.1", port: 10_000 + i, weight }));
}

async function firstChoices(router: Router, users: string[] = USERS): Promise<string[]> {
  const out: string[] = [];
  for (const user of users) out.push((await router.route(user))[0]!.id);
  return out;
}

describe("weighted rendezvous hashing", () => {
  it("gives identical full orders on two Router instances built from the same config", async () => {
    const config = { name: "p", strategy: "hash" as const, hosts: hosts(5) };
    const a = new Router(config);
    // A second "proxy instance": a separate copy of the configuration, hosts listed in another order.
    const b = new Router({ ...config, hosts: [...hosts(5)].reverse() });
    let compared = 0;
    for (const user of USERS) {
      const ra = (await a.route(user)).map((h) => h.id);
      const rb = (await b.route(user)).map((h) => h.id);
      expect(rb).toEqual(ra);
      expect(new Set(ra).size).toBe(5);
      compared++;
    }
    expect(compared).toBe(10_000);
  });

  it("spreads users evenly over equal hosts", async () => {
    const choices = await firstChoices(new Router({ strategy: "hash", hosts: hosts(4) }));
    const counts = new Map<string, number>();
    for (const id of choices) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const n of counts.values()) expect(Math.abs(n / 10_000 - 0.25)).toBeLessThan(0.25 * 0.1);
  });

  it("moves about 1/N of the users when a host is added, all of them to the new host", async () => {
    const before = await firstChoices(new Router({ strategy: "hash", hosts: hosts(4) }));
    const after = await firstChoices(new Router({ strategy: "hash", hosts: hosts(5) }));
    let moved = 0;
    for (let i = 0; i < USERS.length; i++) {
      if (before[i] !== after[i]) {
        moved++;
        expect(after[i]).toBe("imap5");
      }
    }
    const fraction = moved / USERS.length;
    // Expected 1/5; tolerance ±30% relative.
    expect(fraction).toBeGreaterThan(0.2 * 0.7);
    expect(fraction).toBeLessThan(0.2 * 1.3);
  });

  it("moves only the removed host's users, each to its previous first fallback", async () => {
    const five = new Router({ strategy: "hash", hosts: hosts(5) });
    const four = new Router({ strategy: "hash", hosts: hosts(5).filter((h) => h.id !== "imap3") });
    for (const user of USERS.slice(0, 3000)) {
      const before = (await five.route(user)).map((h) => h.id);
      const after = (await four.route(user)).map((h) => h.id);
      expect(after).toEqual(before.filter((id) => id !== "imap3"));
    }
  });

  it("respects weights roughly (1:2:3)", async () => {
    const weighted: PoolHost[] = [
      { id: "small", host: "127.0.0.1", port: 1, weight: 1 },
      { id: "medium", host: "127.0.0.1", port: 2, weight: 2 },
      { id: "large", host: "127.0.0.1", port: 3, weight: 3 },
    ];
    const choices = await firstChoices(new Router({ strategy: "hash", hosts: weighted }));
    const share = (id: string) => choices.filter((c) => c === id).length / choices.length;
    expect(share("small")).toBeGreaterThan((1 / 6) * 0.85);
    expect(share("small")).toBeLessThan((1 / 6) * 1.15);
    expect(share("medium")).toBeGreaterThan((2 / 6) * 0.85);
    expect(share("medium")).toBeLessThan((2 / 6) * 1.15);
    expect(share("large")).toBeGreaterThan((3 / 6) * 0.85);
    expect(share("large")).toBeLessThan((3 / 6) * 1.15);
  });

  it("doubling one host's weight moves users only to that host", async () => {
    const base = hosts(4);
    const heavier = base.map((h) => (h.id === "imap2" ? { ...h, weight: 2 } : h));
    const before = await firstChoices(new Router({ strategy: "hash", hosts: base }));
    const after = await firstChoices(new Router({ strategy: "hash", hosts: heavier }));
    let moved = 0;
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== after[i]) {
        moved++;
        expect(after[i]).toBe("imap2");
      }
    }
    // imap2's share goes from 1/4 to 2/5: 15% of all users move.
    expect(moved / before.length).toBeGreaterThan(0.15 * 0.7);
    expect(moved / before.length).toBeLessThan(0.15 * 1.3);
  });

  it("treats user names case-insensitively unless told otherwise", async () => {
    const router = new Router({ strategy: "hash", hosts: hosts(8) });
    const exact = new Router({ strategy: "hash", hosts: hosts(8), userCase: "exact" });
    let differs = 0;
    for (const user of USERS.slice(0, 200)) {
      expect((await router.route(user.toUpperCase())).map((h) => h.id)).toEqual(
        (await router.route(user)).map((h) => h.id),
      );
      if ((await exact.route(user.toUpperCase()))[0]!.id !== (await exact.route(user))[0]!.id) differs++;
    }
    expect(differs).toBeGreaterThan(100); // 7/8 expected
  });

  it("returns copies carrying the connection settings, without the weight", async () => {
    const router = new Router({
      strategy: "hash",
      hosts: [{ id: "a", host: "127.0.0.1", port: 993, tls: "implicit", fingerprint: "ab", weight: 3 }],
    });
    const [only] = await router.route("alice");
    expect(only).toEqual({ id: "a", host: "127.0.0.1", port: 993, tls: "implicit", fingerprint: "ab" });
    only!.port = 1;
    expect((await router.route("alice"))[0]!.port).toBe(993);
  });
});

describe("static map, overrides, health", () => {
  const pool = hosts(3);

  it("puts the mapped host first and the rest in hashing order", async () => {
    const hashed = new Router({ strategy: "hash", hosts: pool });
    const router = new Router({ strategy: "static", hosts: pool, map: { Alice: "imap3" } });
    const route = (await router.route("alice")).map((h) => h.id);
    expect(route[0]).toBe("imap3");
    expect(route.slice(1)).toEqual((await hashed.route("alice")).map((h) => h.id).filter((id) => id !== "imap3"));
    // Unmapped users are hashed by default.
    expect((await router.route("bob")).map((h) => h.id)).toEqual((await hashed.route("bob")).map((h) => h.id));
  });

  it("refuses unmapped users when configured to", async () => {
    const router = new Router({ strategy: "static", hosts: pool, map: { alice: "imap1" }, unmapped: "reject" });
    expect((await router.route("alice"))[0]!.id).toBe("imap1");
    const error = await router.route("mallory").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoutingError);
    expect((error as RoutingError).code).toBe("UNAVAILABLE");
  });

  it("rejects bad pool definitions with a message naming the problem", () => {
    expect(() => new Router({ name: "p", strategy: "static", hosts: pool, map: { a: "imap9" } })).toThrow(
      /map entry "a" names unknown host "imap9"/,
    );
    expect(() => new Router({ strategy: "hash", hosts: [...pool, pool[0]!] })).toThrow(/duplicate host id "imap1"/);
    expect(() => new Router({ strategy: "hash", hosts: [{ ...pool[0]!, weight: 0 }] })).toThrow(RoutingConfigError);
    expect(() => new Router({ strategy: "hash", hosts: [] })).toThrow(/needs at least one host/);
    expect(() => new Router({ strategy: "lookup", hosts: [] })).toThrow(/needs lookup settings/);
  });

  it("move() overrides the choice, keeps the others as fallbacks, and can be undone", async () => {
    const router = new Router({ strategy: "hash", hosts: pool });
    const natural = (await router.route("carol")).map((h) => h.id);
    const target = natural[2]!;
    router.move("Carol", target);
    const moved = (await router.route("carol")).map((h) => h.id);
    expect(moved).toEqual([target, ...natural.filter((id) => id !== target)]);
    expect(router.moves().get("carol")).toBe(target);
    expect(() => router.move("carol", "nope")).toThrow(/has no host "nope"/);
    expect(router.clearMove("carol")).toBe(true);
    expect((await router.route("carol")).map((h) => h.id)).toEqual(natural);
  });

  it("skips hosts marked down, and returns every host when all are down", async () => {
    const down = new Set<string>();
    const health = new HealthChecker(pool, {
      fall: 1,
      rise: 1,
      probe: async (host) => {
        if (down.has(host.id)) throw new Error("refused");
      },
    });
    const router = new Router({ strategy: "hash", hosts: pool }, health);
    const natural = (await router.route("dave")).map((h) => h.id);
    down.add(natural[0]!);
    await health.checkNow();
    expect((await router.route("dave")).map((h) => h.id)).toEqual(natural.slice(1));
    for (const h of pool) down.add(h.id);
    await health.checkNow();
    expect((await router.route("dave")).map((h) => h.id)).toEqual(natural);
    down.clear();
    await health.checkNow();
    expect((await router.route("dave")).map((h) => h.id)).toEqual(natural);
    await health.stop();
  });
});
