import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/main.ts", "src/config.ts"],
  format: ["esm"],
  dts: { entry: ["src/config.ts"] },
  clean: true,
  sourcemap: true,
  target: "node20",
  platform: "node",
});
