#!/usr/bin/env bash
# System packages the tests need on Debian (run as root): Chromium for the end-to-end tests and
# Debian's CPU PyTorch for the PyTorch engine's tests, Slurm and munge for the cluster tests (they start
# a one-node cluster). Installs only what is missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing+=(python3-torch)
command -v slurmctld >/dev/null 2>&1 || test -x /usr/sbin/slurmctld || missing+=(slurm-wlm)
command -v munged >/dev/null 2>&1 || test -x /usr/sbin/munged || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
