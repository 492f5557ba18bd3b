#!/usr/bin/env bash
# After merging a branch that changed the old long README: list the lines it added to README.md
# that are in neither README.md nor docs/*.md, i.e. text still to port into a docs/ page.
#   scripts/docs-port-check.sh BASE BRANCH     (BASE: the merge base, e.g. $(git merge-base HEAD BRANCH))
# Console output lines will show up here too when the example now differs: make docs regenerates those.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 BASE BRANCH" >&2; exit 2; }
all=$(mktemp); trap 'rm -f "$all"' EXIT
cat README.md docs/*.md > "$all"
git diff "$1" "$2" -- README.md | sed -n 's/^+\([^+]\)/\1/p' | while IFS= read -r line; do
  trimmed=$(printf '%s' "$line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
  [ -z "$trimmed" ] && continue
  grep -qF -- "$trimmed" "$all" || printf 'not in README.md or docs/: %s\n' "$line"
done
