// Proves the contributor flow of the README: a changeset for one package, then
// `changeset version`, bumps exactly that package and the ranges (and patch versions) of
// the workspace packages that depend on it, and nothing else. Runs on a scratch copy of
// the tracked files so the work tree is never touched.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const target = "@holdfast/checksum";

function workspaces(dir) {
  const found = new Map();
  for (const group of ["packages", "apps"]) {
    let names = [];
    try {
      names = readdirSync(join(dir, group));
    } catch {}
    for (const name of names) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, group, name, "package.json"), "utf8"));
        found.set(pkg.name, { dir: join(group, name), pkg });
      } catch {}
    }
  }
  return found;
}

const scratch = mkdtempSync(join(tmpdir(), "holdfast-changeset-"));
try {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root })
    .toString()
    .split("\0")
    .filter(Boolean);
  for (const file of files) cpSync(join(root, file), join(scratch, file), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"));
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: scratch });

  // Pending changesets of real work would add their own bumps: start from none.
  for (const name of readdirSync(join(scratch, ".changeset"))) {
    if (name.endsWith(".md") && name !== "README.md") rmSync(join(scratch, ".changeset", name));
  }
  const before = workspaces(scratch);
  const old = before.get(target).pkg.version;
  writeFileSync(
    join(scratch, ".changeset", "ci-flow-check.md"),
    `---\n"${target}": patch\n---\n\nCI check of the flow.\n`,
  );
  execFileSync(join(root, "node_modules", ".bin", "changeset"), ["version"], { cwd: scratch, stdio: "pipe" });
  const after = workspaces(scratch);

  // Expected: the target bumped; every package that depends on it, directly or through
  // other workspace packages, bumped too (its dependency's version changed); each of their
  // ranges on a bumped package rewritten to ^<new version>; nothing else touched.
  const runtimeDeps = (pkg) => ({ ...pkg.dependencies, ...pkg.peerDependencies });
  const affected = new Set([target]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, { pkg }] of before) {
      if (affected.has(name)) continue;
      if (Object.keys(runtimeDeps(pkg)).some((d) => affected.has(d))) {
        affected.add(name);
        grew = true;
      }
    }
  }
  const [maj, min, pat] = old.split(".").map(Number);
  const expected = `${maj}.${min}.${pat + 1}`;
  const problems = [];
  if (after.get(target).pkg.version !== expected)
    problems.push(`${target} is ${after.get(target).pkg.version}, expected ${expected}`);
  for (const [name, { pkg }] of before) {
    const now = after.get(name).pkg;
    if (name !== target) {
      const bumped = now.version !== pkg.version;
      if (affected.has(name) && !bumped)
        problems.push(`${name} depends on ${target} (transitively) but was not bumped`);
      if (!affected.has(name) && bumped)
        problems.push(`${name} does not depend on ${target} but went from ${pkg.version} to ${now.version}`);
    }
    for (const dep of Object.keys(runtimeDeps(pkg))) {
      if (!affected.has(dep)) continue;
      const range = runtimeDeps(now)[dep];
      const want = `^${after.get(dep).pkg.version}`;
      if (range !== want) problems.push(`${name} depends on ${dep} as ${range}, expected ${want}`);
    }
  }
  if (problems.length > 0) {
    console.error(`changeset flow: FAILED\n- ${problems.join("\n- ")}`);
    process.exit(1);
  }
  console.log(
    `changeset flow: ok (${target} ${old} -> ${expected}; ${affected.size - 1} dependent(s) bumped with their ranges, ${before.size - affected.size} untouched)`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
