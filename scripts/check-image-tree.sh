#!/bin/sh
# Builds the daemon image's /app tree the way the Dockerfile's deps stage does (production dependencies,
# the CDKTF packages removed, the CLI's launcher and drift/ copied), without Docker, and runs the tests that drive the
# CLI and the watch process as child processes against it. Catches a runtime import of a dev dependency
# or of modules/. Usage: npm run test:image-tree
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
# The Dockerfile's prune, word for word: fail rather than test a different tree.
prune="node_modules/cdktf node_modules/@cdktf node_modules/constructs"
grep -q "rm -rf $prune\$" "$repo/Dockerfile" || { echo "the Dockerfile prunes something else than '$prune': update $0" >&2; exit 1; }
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
cp "$repo/package.json" "$repo/package-lock.json" "$tree/"
(cd "$tree" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
(cd "$tree" && rm -rf $prune)
# The Dockerfile's copies, word for word: only the CLI's launcher from bin/ (run-ts.cjs is the synth app's).
grep -q '^COPY bin/pod-identity-drift.js ./bin/$' "$repo/Dockerfile" || { echo "the Dockerfile copies something else from bin/: update $0" >&2; exit 1; }
mkdir "$tree/bin"
cp "$repo/bin/pod-identity-drift.js" "$tree/bin/"
cp -R "$repo/drift" "$tree/"
node "$tree/bin/pod-identity-drift.js" watch --help > /dev/null
cd "$repo"
DRIFT_CLI_BIN="$tree/bin/pod-identity-drift.js" npx vitest run test/drift/cli test/drift/e2e test/drift/faults test/daemon/process.test.ts
