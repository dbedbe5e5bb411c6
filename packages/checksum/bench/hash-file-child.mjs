// Hashes one file with hashFile and reports its own time and peak RSS as JSON.
import { hashFile } from "../dist/index.js";

const start = performance.now();
const { size } = await hashFile(process.argv[2]);
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, size, maxRssKb: process.resourceUsage().maxRSS }));
