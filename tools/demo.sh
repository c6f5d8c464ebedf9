#!/bin/bash
# The README's first command: set up, build, and run the tool on the shipped example policy.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
"$top/tools/build.sh"
ctl="${BUILDDIR:-$top/build}/vfio-platform-bindctl"
echo "+ vfio-platform-bindctl check conf/50-example.conf"
cd "$top/conf" && "$ctl" check 50-example.conf
