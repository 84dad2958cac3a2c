#!/usr/bin/env bash
# The speed a package that depends on this one gets, beside this package's own, in one run: a new
# package in a temporary folder names this clone's HEAD by URL (file://, branch main, traits: []), as
# a dependent names the published repository, and trains one epoch of the write-up's recipe
# (batch 64, rate 0.0005, every core) built three ways; `lenet train --schedule 1x0.0005` runs in
# turns with them. Each build takes a minute or two.
#
#   scripts/dependency_speed.sh            # ROUNDS=3 turns
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/one_epoch.sh
rounds=${ROUNDS:-3}
work=$(mktemp -d /tmp/lenet-dependent.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/LeNet5" && git -C "$work/LeNet5" checkout -q -B main
mkdir -p "$work/dependent/Sources/Speed"
cat > "$work/dependent/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(name: "Speed", platforms: [.macOS(.v15)],
    dependencies: [.package(url: "file://$work/LeNet5", branch: "main", traits: [])],
    targets: [.executableTarget(name: "Speed", dependencies: [.product(name: "LeNet", package: "LeNet5"),
                                                              .product(name: "Datasets", package: "LeNet5")])])
SWIFT
cat > "$work/dependent/Sources/Speed/main.swift" <<'SWIFT'
import Datasets
import LeNet
var model = LeNet5(seed: 0)
let summary = Trainer(recipe: Recipe(schedule: [Phase(epochs: 1, learningRate: 0.0005)])).train(&model, on: try MNIST.load(.train))
print(Int(summary.imagesPerSecond))
SWIFT
cd "$work/dependent"
echo "building the dependent: release; release with the CPU's flags; debug..." >&2
swift build -c release >/dev/null
flags=(-Xswiftc -target-cpu -Xswiftc native)
grep -qw fma /proc/cpuinfo && flags+=(-Xswiftc -DFUSED_MULTIPLY_ADD)
swift build -c release --scratch-path .build-native "${flags[@]}" >/dev/null
swift build --scratch-path .build-debug >/dev/null
(cd "$root" && swift build -c release --product lenet >/dev/null)
declare -A rates
for _ in $(seq "$rounds"); do
    rates[root]+=" $(one_epoch "$root/.build/release/lenet" "$work/run" --data "$root/data")"
    rates[dependency]+=" $(.build/release/Speed)"
    rates[native]+=" $(.build-native/release/Speed)"
done
echo "| built | images/s, one epoch ($rounds turns) |"
echo "|---|---|"
echo "| this package, \`swift build -c release\` |${rates[root]} |"
echo "| as a dependency, \`swift build -c release\` |${rates[dependency]} |"
echo "| as a dependency, \`swift build -c release ${flags[*]}\` |${rates[native]} |"
debug=$( (timeout 120 .build-debug/debug/Speed || echo "no epoch in 120 s") 2>/dev/null | tail -1)
echo "| as a dependency, \`swift build\` (debug) | $debug |"
