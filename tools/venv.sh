#!/usr/bin/env bash
# make deps-python: the project's virtual environment for its Python tools,
# moto's server, cfn-lint and the aws CLI (v1: the deploy tests run the
# README's commands against moto), at the versions the Makefile pins. Usage:
#   tools/venv.sh PYTHON VENV MOTO_VERSION CFNLINT_VERSION AWSCLI_VERSION [SEED]
# PYTHON creates VENV with --system-site-packages, so that tools already
# installed for that interpreter at the pinned versions are used as they are
# and nothing is downloaded; anything else is installed with the venv's own
# pip, never the interpreter's (Debian 12 and Ubuntu 24.04 mark theirs
# externally managed and refuse pip; a venv of such an interpreter, also with
# --system-site-packages, is where installing is meant to happen: "Externally
# Managed Environments",
# https://packaging.python.org/en/latest/specifications/externally-managed-environments/).
# SEED, a site-packages directory, is added to the venv's path by a .pth file
# ("site — Site-specific configuration hook",
# https://docs.python.org/3/library/site.html): pip then finds what it holds
# already satisfied (for machines whose package index is unreachable).
set -euo pipefail
python=$1 venv=$2 moto_version=$3 cfnlint_version=$4 awscli_version=$5 seed=${6:-}
# SEED is made absolute: a relative path in a .pth file is read relative to
# the site-packages directory holding it, not to where make ran.
if [ -n "$seed" ]; then
	[ -d "$seed" ] || { echo "deps-python: PYTHON_SEED=$seed is not a directory" >&2; exit 1; }
	seed=$(cd "$seed" && pwd)
fi
py=$venv/bin/python
# has DIST VERSION MODULE ...: the venv imports each MODULE, of its DIST at its VERSION.
has() {
	"$py" -c 'import importlib, importlib.metadata as m, sys
a = sys.argv[1:]
sys.exit(any(m.version(a[i]) != a[i+1] or not importlib.import_module(a[i+2]) for i in range(0, len(a), 3)))' "$@" 2>/dev/null
}
# found DIST VERSION PACKAGE ...: as has, but each PACKAGE only found, not
# imported (cheap enough for every make target).
found() {
	"$py" -c 'import importlib.util, importlib.metadata as m, sys
a = sys.argv[1:]
sys.exit(any(m.version(a[i]) != a[i+1] or importlib.util.find_spec(a[i+2]) is None for i in range(0, len(a), 3)))' "$@" 2>/dev/null
}
# PYTHON is looked up on PATH without the venv's own bin, which the Makefile
# puts first: the interpreter that makes the venv is never the venv's.
case $python in
*/*) ;;
*)
	found=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$venv/bin" | paste -sd:) command -v "$python") ||
		{ echo "deps-python: $python not found on PATH" >&2; exit 1; }
	python=$found
	;;
esac
# A venv is of one interpreter: the installation it runs on and its minor
# version. One that no longer runs (its interpreter removed, or upgraded to
# another minor version), or that another interpreter made, is made again
# (venv --clear) from PYTHON; a seed given earlier must then be given again.
base='import sys; print(sys.base_prefix, *sys.version_info[:2])'
if [ -e "$venv/pyvenv.cfg" ] && [ "$("$venv/bin/python" -c "$base" 2>/dev/null)" != "$("$python" -c "$base" 2>/dev/null)" ]; then
	clear=--clear
elif [ ! -e "$venv/pyvenv.cfg" ] && [ -e "$venv" ] && [ -n "$(ls -A "$venv")" ]; then
	echo "deps-python: $venv exists and is not a virtual environment: remove it, or name another: make VENV=..." >&2
	exit 1
else
	clear=
fi
# What the venv was last made of: the same again, its tools there, is done.
stamp=$venv/.qbrole-deps made="$python $moto_version $cfnlint_version $awscli_version $seed"
# The tools are imported too: a seed or an interpreter's packages, which the
# venv reuses, may have changed or gone since.
if [ -z "$clear" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$made" ] && [ -x "$venv/bin/moto_server" ] && [ -x "$venv/bin/cfn-lint" ] && [ -x "$venv/bin/aws" ] &&
	found moto "$moto_version" moto cfn-lint "$cfnlint_version" cfnlint awscli "$awscli_version" awscli; then
	exit 0
fi
if [ -n "$clear" ] || [ ! -e "$venv/pyvenv.cfg" ]; then
	if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
		echo "deps-python: $python cannot create a virtual environment (its venv or ensurepip module is missing):" >&2
		echo "  install python3-venv (Debian, Ubuntu: apt-get install python3-venv), or name another interpreter: make PYTHON=..." >&2
		exit 1
	fi
	[ -z "$clear" ] || echo "deps-python: $venv is not of $python (or no longer runs): making it again" >&2
	"$python" -m venv --system-site-packages $clear "$venv" || exit 1
fi
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ -n "$seed" ]; then
	# A seed's compiled modules are of one Python minor version: a site-packages
	# under lib/pythonX.Y of another version would fail later, and obscurely.
	venv_minor=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	seed_minor=$(printf '%s\n' "$seed" | sed -n 's|.*/python\([0-9]*\.[0-9]*\)/.*|\1|p')
	if [ -n "$seed_minor" ] && [ "$seed_minor" != "$venv_minor" ]; then
		echo "deps-python: PYTHON_SEED=$seed is for Python $seed_minor, the venv's is $venv_minor: name a seed of the same minor version" >&2
		exit 1
	fi
	echo "$seed" > "$site/qbrole-seed.pth"
fi
has moto "$moto_version" moto.server || "$py" -m pip install --quiet "moto[server]==$moto_version"
has cfn-lint "$cfnlint_version" cfnlint.runner || "$py" -m pip install --quiet "cfn-lint==$cfnlint_version"
has awscli "$awscli_version" awscli.clidriver || "$py" -m pip install --quiet "awscli==$awscli_version"

# Where pip found a tool satisfied outside the venv it wrote no script into
# the venv's bin: a wrapper runs it with the venv's python (cfn-lint's entry
# point is read from its distribution's entry_points.txt).
if [ ! -e "$venv/bin/moto_server" ]; then
	printf '#!/bin/sh\nexec "$(dirname "$0")/python" -m moto.server "$@"\n' > "$venv/bin/moto_server"
	chmod +x "$venv/bin/moto_server"
fi
if [ ! -e "$venv/bin/cfn-lint" ]; then
	entry=$("$py" -c 'import importlib.metadata as m
e = [e for e in m.distribution("cfn-lint").entry_points if e.group == "console_scripts" and e.name == "cfn-lint"][0]
print(e.module, e.attr)')
	read -r module attr <<<"$entry"
	printf '#!/bin/sh\nexec "$(dirname "$0")/python" -c '\''import sys; sys.argv[0] = "cfn-lint"; from %s import %s as main; sys.exit(main())'\'' "$@"\n' \
		"$module" "$attr" > "$venv/bin/cfn-lint"
	chmod +x "$venv/bin/cfn-lint"
fi
if [ ! -e "$venv/bin/aws" ]; then
	printf '#!/bin/sh\nexec "$(dirname "$0")/python" -m awscli "$@"\n' > "$venv/bin/aws"
	chmod +x "$venv/bin/aws"
fi
"$venv/bin/moto_server" --help >/dev/null
"$venv/bin/aws" --version 2>&1 | grep -q "^aws-cli/$awscli_version " || { echo "deps-python: $venv/bin/aws is not aws-cli $awscli_version" >&2; exit 1; }
"$venv/bin/cfn-lint" --version | grep -qx "cfn-lint $cfnlint_version" || { echo "deps-python: $venv/bin/cfn-lint is not cfn-lint $cfnlint_version" >&2; exit 1; }
echo "$made" > "$stamp"
