# The fan-out topic (scheduled jobs publish one message per user; sync_worker consumes through
# an Eventarc trigger with retries) and its dead-letter topic.
resource "google_pubsub_topic" "sync" {
  # checkov:skip=CKV_GCP_83: messages hold a user id and a job kind only; Google-managed encryption is enough
  name                       = var.sync_topic
  labels                     = var.labels
  message_retention_duration = "86400s"

  depends_on = [google_project_service.api]
}

resource "google_pubsub_topic" "sync_dead_letter" {
  # checkov:skip=CKV_GCP_83: messages hold a user id and a job kind only; Google-managed encryption is enough
  name                       = "${var.sync_topic}-dead-letter"
  labels                     = var.labels
  message_retention_duration = "604800s"

  depends_on = [google_project_service.api]
}

# Keeps dead letters for 7 days, to read with `gcloud pubsub subscriptions pull`.
resource "google_pubsub_subscription" "sync_dead_letter" {
  name                       = "${var.sync_topic}-dead-letter"
  topic                      = google_pubsub_topic.sync_dead_letter.id
  labels                     = var.labels
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = "" # never expires
  }
}

# Pub/Sub forwards undeliverable messages to the dead-letter topic as its service agent.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.sync_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# Eventarc creates and owns the push subscription of sync_worker's trigger, so the provider
# cannot set its dead-letter policy: this runs gcloud once per trigger (idempotent) to attach
# the dead-letter topic and let the Pub/Sub service agent acknowledge from it.
resource "terraform_data" "sync_worker_dead_letter" {
  for_each = { for name, f in local.pubsub_functions : name => f if var.attach_dead_letter_with_gcloud }

  triggers_replace = [
    google_cloudfunctions2_function.function[each.key].event_trigger[0].trigger,
    google_pubsub_topic.sync_dead_letter.id,
    var.sync_dead_letter_max_attempts,
  ]

  provisioner "local-exec" {
    command = "${path.module}/scripts/attach-dead-letter.sh"
    environment = {
      PROJECT           = var.project_id
      TRIGGER           = google_cloudfunctions2_function.function[each.key].event_trigger[0].trigger
      DEAD_LETTER_TOPIC = google_pubsub_topic.sync_dead_letter.id
      MAX_ATTEMPTS      = tostring(var.sync_dead_letter_max_attempts)
      PUBSUB_AGENT      = google_project_service_identity.pubsub.email
    }
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher]
}
