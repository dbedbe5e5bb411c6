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

  const [maj, min, pat] = old.split(".").map(Number);
  const expected = `${maj}.${min}.${pat + 1}`;
  const problems = [];
  if (after.get(target).pkg.version !== expected)
    problems.push(`${target} is ${after.get(target).pkg.version}, expected ${expected}`);
  for (const [name, { pkg }] of before) {
    if (name === target) continue;
    const deps = { ...pkg.dependencies, ...pkg.peerDependencies };
    const now = after.get(name).pkg;
    if (deps[target]) {
      const range = { ...now.dependencies, ...now.peerDependencies }[target];
      if (range !== `^${expected}`) problems.push(`${name} depends on ${target} as ${range}, expected ^${expected}`);
      if (now.version === pkg.version) problems.push(`${name} depends on ${target} but was not bumped`);
    } else if (now.version !== pkg.version) {
      problems.push(`${name} does not depend on ${target} but went from ${pkg.version} to ${now.version}`);
    }
  }
  if (problems.length > 0) {
    console.error(`changeset flow: FAILED\n- ${problems.join("\n- ")}`);
    process.exit(1);
  }
  console.log(`changeset flow: ok (${target} ${old} -> ${expected}; ${before.size - 1} other workspace(s) checked)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
