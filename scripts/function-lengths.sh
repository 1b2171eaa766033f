#!/usr/bin/env bash
# Lists the functions of C++ files by length in lines (signature to closing brace), longest first;
# lambdas that Universal Ctags sees show as "(lambda)" inside their function. For reviews of
# function size (e.g. `scripts/function-lengths.sh src/app/*.cpp | head -20`).
set -euo pipefail
if [[ $# -eq 0 ]]; then
  echo "usage: $0 FILE..." >&2
  exit 2
fi
ctags --c++-kinds=f --fields=+ne --output-format=u-ctags -f - "$@" 2>/dev/null |
  awk -F'\t' '{
    line = ""; end = ""; scope = ""
    for (i = 4; i <= NF; i++) {
      if ($i ~ /^line:/) line = substr($i, 6)
      if ($i ~ /^end:/) end = substr($i, 5)
      if ($i ~ /^(class|struct|namespace|function):/) { scope = $i; sub(/^[a-z]+:/, "", scope); scope = scope "::" }
    }
    gsub(/hs::app::|hs::|__anon[0-9a-f]+::/, "", scope)
    name = $1
    if (name ~ /^__anon/) name = "(lambda)"
    if (line != "" && end != "") printf "%5d  %s%s  (%s:%s)\n", end - line + 1, scope, name, $2, line
  }' |
  sort -rn
