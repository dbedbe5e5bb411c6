import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Setup hooks transpile the sources for child processes: slow on a loaded machine.
    hookTimeout: 60_000,
  },
});
