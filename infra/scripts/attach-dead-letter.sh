#!/usr/bin/env bash
# Attach a dead-letter topic to the Pub/Sub subscription that Eventarc made for a trigger.
# Run by Terraform (infra/pubsub.tf) with PROJECT, TRIGGER (projects/P/locations/L/triggers/T),
# DEAD_LETTER_TOPIC (projects/P/topics/T), MAX_ATTEMPTS and PUBSUB_AGENT (the Pub/Sub service
# agent's email). Needs gcloud, logged in as the account running terraform. Idempotent.
set -euo pipefail
: "${PROJECT:?}" "${TRIGGER:?}" "${DEAD_LETTER_TOPIC:?}" "${MAX_ATTEMPTS:?}" "${PUBSUB_AGENT:?}"
command -v gcloud >/dev/null || { echo "attach-dead-letter: gcloud is needed (or set attach_dead_letter_with_gcloud = false)" >&2; exit 1; }

location=$(echo "$TRIGGER" | cut -d/ -f4)
name=$(echo "$TRIGGER" | cut -d/ -f6)
subscription=$(gcloud eventarc triggers describe "$name" --project="$PROJECT" --location="$location" \
  --format='value(transport.pubsub.subscription)')
[ -n "$subscription" ] || { echo "attach-dead-letter: trigger $TRIGGER has no Pub/Sub subscription" >&2; exit 1; }

gcloud pubsub subscriptions add-iam-policy-binding "$subscription" --project="$PROJECT" \
  --member="serviceAccount:$PUBSUB_AGENT" --role=roles/pubsub.subscriber --quiet >/dev/null
gcloud pubsub subscriptions update "$subscription" --project="$PROJECT" \
  --dead-letter-topic="$DEAD_LETTER_TOPIC" --max-delivery-attempts="$MAX_ATTEMPTS" \
  --min-retry-delay=10s --max-retry-delay=600s --quiet
echo "attach-dead-letter: $subscription -> $DEAD_LETTER_TOPIC after $MAX_ATTEMPTS attempts"
