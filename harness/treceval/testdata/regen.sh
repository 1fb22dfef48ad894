#!/bin/sh
# Regenerates cases/*.want from cases/*.args with a trec_eval 9.0.8 binary.
set -eu
cd "$(dirname "$0")"
: "${TREC_EVAL:?set TREC_EVAL to a trec_eval 9.0.8 binary}"
for args in cases/*.args; do
	# shellcheck disable=SC2046 # the .args file is a word list on purpose
	"$TREC_EVAL" $(cat "$args") > "${args%.args}.want"
done
