import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The package's sources as plain JavaScript in `node_modules/<name>` (for child processes
 * of a test, which run without vitest's TypeScript loader). Returns the path of src/index.js.
 */
export async function transpiledSources(name: string): Promise<string> {
  const toDir = join(root, "node_modules", name, "src");
  await mkdir(toDir, { recursive: true });
  const fromDir = join(root, "src");
  for (const file of await readdir(fromDir)) {
    if (!file.endsWith(".ts")) continue;
    const source = await readFile(join(fromDir, file), "utf8");
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(toDir, file.replace(/\.ts$/, ".js")), out.outputText);
  }
  await writeFile(join(root, "node_modules", name, "package.json"), JSON.stringify({ type: "module" }));
  return join(toDir, "index.js");
}
