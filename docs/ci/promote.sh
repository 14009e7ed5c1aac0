#!/usr/bin/env bash
# Modelpin from a pipeline: register the new Nyckel model → upload samples →
# compare it with the environment's pin → ask for a promotion with the run as
# evidence → wait for a person to approve (or reject) it. Needs only bash, curl
# and Node 20; no checkout of Modelpin.
#
#   MODELPIN_URL          this Modelpin, e.g. https://modelpin.example.com
#   MODELPIN_TOKEN        an API token of the environment, scopes read,evaluate,request
#   MODELPIN_ENVIRONMENT  that environment's slug, e.g. staging
#   FUNCTION_ID           the Nyckel function, e.g. function_9ir4imph0v4g8hyr
#   MODEL_ID              the model Nyckel just trained (its Model Info panel)
#   SAMPLES               a file of samples: CSV, JSONL, text lines (or images)
#
# Exit: 0 the pin moved (approved and applied); 1 the model failed the
# evidence gate, or people rejected the request; 2 an error.
set -euo pipefail

curl -fsS -o cli.mjs "$MODELPIN_URL/cli.mjs"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)

node cli.mjs register "$FUNCTION_ID" "$MODEL_ID" --nickname "ci ${MODEL_ID: -6}" --notes "Trained before $stamp"

set_id=$(node cli.mjs upload "$FUNCTION_ID" --name "ci $stamp" "$SAMPLES" | cut -f1)

# Progress on stderr; the summary on stdout; exit 1 when the gate is not passed.
if ! summary=$(node cli.mjs compare "$FUNCTION_ID" --samples "$set_id" --a "pinned:$MODELPIN_ENVIRONMENT" --b "$MODEL_ID" --wait); then
  echo "$summary"
  echo "The new model does not pass the evidence gate of $MODELPIN_ENVIRONMENT: no promotion requested." >&2
  exit 1
fi
echo "$summary"
run_id=$(echo "$summary" | sed -n 's/^Comparison \([0-9a-f-]*\):.*/\1/p')

request_id=$(node cli.mjs request "$FUNCTION_ID" --target "$MODEL_ID" --evidence "$run_id" \
  --reason "Nightly retrain $stamp: compared with the pin of $MODELPIN_ENVIRONMENT on $SAMPLES" | cut -f1)
echo "Promotion request: $request_id (waiting for a human decision)" >&2

node cli.mjs status "$request_id" --wait --interval "${POLL_SECONDS:-10}"
