#!/usr/bin/env bash
# LiteLLM's proxy in its own venv, the peer in bench/overhead.py (kept out of pointsman's environment).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m venv .bench-venv/litellm
.bench-venv/litellm/bin/pip install --quiet 'litellm[proxy]'
.bench-venv/litellm/bin/pip show litellm | grep -i '^version'
