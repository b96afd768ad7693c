#!/usr/bin/env bash
# Builds the real Pulumi CLI (and the old Node.js language host) from their Go modules, once per machine, and
# prints the folder that holds them: `PATH="$(scripts/pulumi-cli.sh):$PATH"`.
#
# Why build: the `pulumi` npm package only downloads the CLI at run time and there is no Debian package, but the
# Go module proxy serves github.com/pulumi/pulumi/pkg/v3. A wrapper module of our own (so pkg's replace
# directives do not apply) imports the CLI's main package from a tools.go and builds it with the version stamped
# in by -ldflags. About 13 minutes cold on 2 cores (plus ~1 minute of downloads), seconds when the Go caches are
# warm, and nothing at all once the binary is cached.
#
# The language host: its own module (sdk/nodejs/cmd/pulumi-language-nodejs/v3) is refused by the proxy, but up
# to sdk/v3 v3.68.0 (May 2023) it was a package of the served sdk/v3 module. It is old; the project uses it only
# for the one test that runs the `pulumi` command on a Pulumi.yaml project. Users run their own installed CLI.
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/pulumi-redis-enterprise/pulumi-<version>/bin, keyed by both versions, outside
# the repository. The Go module and build caches are Go's defaults (~/go/pkg/mod, ~/.cache/go-build).
#
# Output: build progress and timings on stderr; the bin folder (and nothing else) on stdout.
# `--cached`: print the folder when the binaries are already built, else exit 3 without building (for tests).
# Environment: PULUMI_CLI_VERSION (default v3.274.1), PULUMI_LANGUAGE_HOST_VERSION (default v3.68.0).
set -euo pipefail

cli_version="${PULUMI_CLI_VERSION:-v3.274.1}"
host_version="${PULUMI_LANGUAGE_HOST_VERSION:-v3.68.0}"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-redis-enterprise"
bin="$cache_root/pulumi-$cli_version-nodejs-$host_version/bin"

say() { printf 'pulumi-cli: %s\n' "$*" >&2; }

# The dynamic-provider launcher goes next to the CLI, as in Pulumi's own distribution: the CLI finds plugins
# there without the "using ... from $PATH" warning on every run. It is a 4-line script that resolves
# @pulumi/pulumi from the folder the engine runs it in, so the copy from this project's install serves any project.
install_launcher() {
  local launcher
  launcher="$(cd "$(dirname "$0")/.." && pwd)/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ -f "$launcher" ]; then install -m 0755 "$launcher" "$bin/pulumi-resource-pulumi-nodejs"; fi
}

if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ]; then
  [ "${1:-}" = "--cached" ] || install_launcher
  say "cached: $bin ($("$bin/pulumi" version 2>/dev/null || echo '?'))"
  echo "$bin"
  exit 0
fi
if [ "${1:-}" = "--cached" ]; then
  say "not built yet: run scripts/pulumi-cli.sh (about 15 minutes once per machine)"
  exit 3
fi

# Go's own install folder, in case the PATH of a non-login shell (CI) lacks it.
PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { say "go is not on PATH: install Go (1.22 or later) to build the Pulumi CLI"; exit 1; }

# One build at a time per cache folder: a second caller waits for the first instead of building again.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  say "another build is running; waiting for it"
  flock 9
  if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ]; then echo "$bin"; exit 0; fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$bin"
started=$SECONDS

# build_tool <folder> <module@version> <package> <output> [ldflags]: a throwaway wrapper module that imports the
# package from tools.go, so `go build` uses the versions that module's go.mod asks for.
build_tool() {
  local dir="$work/$1" module="$2" package="$3" output="$4" ldflags="${5:-}"
  mkdir -p "$dir"
  (
    cd "$dir"
    go mod init wrap >/dev/null 2>&1
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >tools.go
    go get "$module" >&2
    go mod tidy >&2
    go build -ldflags "$ldflags" -o "$output.partial" "$package" >&2
    mv "$output.partial" "$output"
  )
}

step=$SECONDS
say "building the CLI $cli_version (about 13 minutes when Go's build cache is cold)"
build_tool cli "github.com/pulumi/pulumi/pkg/v3@$cli_version" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$bin/pulumi" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
say "CLI built in $((SECONDS - step)) s"

step=$SECONDS
say "building the Node.js language host from sdk/v3 $host_version"
build_tool host "github.com/pulumi/pulumi/sdk/v3@$host_version" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  "$bin/pulumi-language-nodejs" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version"
say "language host built in $((SECONDS - step)) s"

install_launcher
say "built in $((SECONDS - started)) s: $("$bin/pulumi" version)"
echo "$bin"
