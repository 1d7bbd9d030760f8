// Preloaded (NODE_OPTIONS=--require) into every Node process a benchmark starts, children included: on exit,
// appends this process's peak resident set size (getrusage ru_maxrss, kB on Linux) to $BENCH_RSS_FILE.
"use strict";
const file = process.env.BENCH_RSS_FILE;
if (file) {
  const fs = require("node:fs");
  process.on("exit", () => {
    const line = JSON.stringify({
      pid: process.pid,
      ppid: process.ppid,
      maxRssKb: process.resourceUsage().maxRSS,
      argv: process.argv.slice(1, 3),
    });
    try {
      fs.appendFileSync(file, line + "\n");
    } catch {
      // the benchmark reports the process as unmeasured
    }
  });
}
