#!/usr/bin/env bash
# Re-records the examples' cassettes (tests/cassettes/zendesk.json, zendesk-changing.json, hubspot.json,
# salesforce.json) from their fakes:
# each runs the same session its offline replay test runs, against the fake on 127.0.0.1, with the bridge recording
# (redacted), and prints what changed in the fake's answers since the last recording. Review `git diff
# tests/cassettes/`, then run the replay tests: `cargo test --test it _replay::`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --test it -- --ignored --nocapture --test-threads 1 \
  zendesk_replay::record_the_cassette_from_the_fake zendesk_changing_replay::record_the_cassette_from_the_fake \
  hubspot_replay::record_the_cassette_from_the_fake salesforce_replay::record_the_cassette_from_the_fake
