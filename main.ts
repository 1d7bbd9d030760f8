// The cdktf app (`npx cdktf synth`, or `npx tsx main.ts`): modules/synth.ts does the work; a problem in the
// config is printed (all of them) and the process exits 1 before anything is written.
import "./modules/start-up";
import { runSynth } from "./modules/synth";

// tsx maps every stack trace back to TypeScript, and cdktf's provider classes capture one for each computed
// attribute they create: thousands per synth. Problems are reported as messages, never as stacks.
process.setSourceMapsEnabled(false);
process.exitCode = runSynth({ projectRoot: process.cwd(), env: process.env, stderr: (text) => process.stderr.write(text) });
