#!/usr/bin/env bash
# Installs the Debian packages a step needs, when run as root; otherwise names them and stops.
# Usage: scripts/system-packages.sh base|test|bench
set -euo pipefail
need=()
case "${1:-base}" in
  base)  pkgs=(python3-venv) ;;
  test)  pkgs=(python3-venv chromium fonts-noto-cjk libzbar0 idzebra-2.0 yaz redis-server tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert libmagic1) ;;
  bench) pkgs=(python3-venv groonga-bin tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert fonts-noto-cjk) ;;
  *) echo "unknown set: $1" >&2; exit 2 ;;
esac
for p in "${pkgs[@]}"; do
  # python3-venv: a Python built outside Debian (pyenv, for one) has venv already.
  if [ "$p" = python3-venv ] && python3 -c 'import ensurepip, venv' 2>/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
