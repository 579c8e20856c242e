#!/usr/bin/env bash
# Real-server system tests: installs NSD, unbound and the ldns/bind tools if missing, builds the CLI
# (one test runs it end to end), then runs the suite under test/system/.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/system/setup.sh
npm run build --silent
npx vitest run --config vitest.system.config.ts "$@"
