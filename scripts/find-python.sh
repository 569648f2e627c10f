#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 runs on 3.10 only).
# Looks on PATH first, then among pyenv's installed versions, then usual places.
set -u
check() { [ -x "$1" ] && "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
root="${PYENV_ROOT:-}"
[ -z "$root" ] && command -v pyenv >/dev/null 2>&1 && root="$(pyenv root 2>/dev/null)"
[ -z "$root" ] && root="$HOME/.pyenv"
for p in "$root"/versions/3.10*/bin/python3.10; do candidates+=("$p"); done
candidates+=(/usr/local/bin/python3.10 /usr/bin/python3.10)
for p in "${candidates[@]}"; do
  if check "$p"; then echo "$p"; exit 0; fi
done
cat >&2 <<MSG
Gongyou needs Python 3.10 (Rasa 3.6.21 supports only 3.10), and none was found.
Looked for: python3.10 on PATH, $root/versions/3.10*/bin/python3.10, /usr/bin/python3.10.
Install it, e.g.:  pyenv install 3.10.13   (or: apt install python3.10 python3.10-venv)
MSG
exit 1
