#!/usr/bin/env bash
# Static checks of the deployment: python-hcl2 property tests and checkov over infra/terraform.
# Creates .venv-infra (kept apart from the application's virtualenv) when missing or outdated.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

venv=".venv-infra"
requirements="infra/requirements-check.txt"
hcl2_target="$venv/python-hcl2"
stamp="$venv/.requirements.sha256"
python_bin="${INFRA_PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null 2>&1 || python_bin="python3"

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "infra-check: preparing $venv" >&2
    [[ -x "$venv/bin/python" ]] || "$python_bin" -m venv "$venv"
    # Everything but python-hcl2 goes into the virtualenv itself (see the note in $requirements).
    grep -v -E '^[[:space:]]*python-hcl2([=<>~! ]|$)' "$requirements" > "$venv/requirements-main.txt"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$venv/requirements-main.txt"
    hcl2_pin="$(grep -E '^[[:space:]]*python-hcl2[=<>~!]' "$requirements" | head -n1 | tr -d '[:space:]')"
    [[ -n "$hcl2_pin" ]] || { echo "infra-check: no python-hcl2 pin in $requirements" >&2; exit 1; }
    rm -rf "$hcl2_target"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$hcl2_target" "$hcl2_pin"
    # --target also drops python-hcl2's console script there; it is not needed.
    rm -rf "$hcl2_target/bin"
    echo "$wanted" > "$stamp"
fi

# Own ini file and conftest cut-off: the project's pytest configuration (pytest-django, the
# application's conftest.py) must not be loaded by this interpreter, which has no Django.
exec "$venv/bin/python" -m pytest -c tests/infra/pytest.ini --rootdir tests/infra \
    --confcutdir tests/infra -p no:django -p no:cacheprovider -q tests/infra "$@"
