# Every entry point of main.py (main.SIGNATURES) as one Cloud Functions 2nd-gen function.
# Adding a function is one entry in local.functions (tests/infra checks the two agree):
#   trigger  "http" (HTTP), "pubsub" (Eventarc, topic var.sync_topic) or "firestore"
#            (Eventarc google.cloud.firestore.document.v1.written on `document`)
#   public   true only for functions that must be reached from browsers or Google and check
#            their callers themselves; private ones are invoked by a service account
locals {
  functions = {
    api = {
      trigger     = "http", public = true, document = null, memory = "512M", timeout = 60, max_instances = 20
      description = "JSON API of the settings pages (checks Firebase ID tokens itself)"
    }
    pages = {
      trigger     = "http", public = true, document = null, memory = "256M", timeout = 30, max_instances = 10
      description = "Server-rendered settings pages (sign-in happens in the browser)"
    }
    oauth_callback = {
      trigger     = "http", public = true, document = null, memory = "512M", timeout = 60, max_instances = 10
      description = "Google's OAuth redirect (authenticated by the single-use state)"
    }
    calendar_webhook = {
      trigger     = "http", public = true, document = null, memory = "512M", timeout = 60, max_instances = 20
      description = "Google Calendar push notifications (authenticated by the channel token)"
    }
    activities = {
      trigger     = "http", public = true, document = null, memory = "512M", timeout = 60, max_instances = 20
      description = "CRM activities API (checks Firebase ID tokens itself)"
    }
    export_activities = {
      trigger     = "http", public = false, document = null, memory = "512M", timeout = 300, max_instances = 2
      description = "Scheduled: fan out one export message per connected user"
    }
    import_events = {
      trigger     = "http", public = false, document = null, memory = "512M", timeout = 300, max_instances = 2
      description = "Scheduled: fan out one import message per connected user"
    }
    renew_channels = {
      trigger     = "http", public = false, document = null, memory = "512M", timeout = 300, max_instances = 2
      description = "Scheduled: renew push channels that expire soon"
    }
    sync_worker = {
      trigger     = "pubsub", public = false, document = null, memory = "1G", timeout = 540, max_instances = 20
      description = "Pub/Sub worker: one user's export or import, bounded"
    }
    # Eventarc: every write of activities/{id} (create, edit, delete), as protobuf DocumentEventData.
    # Retried on failure (retry_policy below): the function fails only on a transient Google error.
    on_activity_write = {
      trigger     = "firestore", public = false, document = "activities/{id}", memory = "512M", timeout = 120, max_instances = 20
      description = "Firestore write of an activity: export it when a synced field changed"
    }
  }

  http_functions      = { for name, f in local.functions : name => f if f.trigger == "http" }
  pubsub_functions    = { for name, f in local.functions : name => f if f.trigger == "pubsub" }
  firestore_functions = { for name, f in local.functions : name => f if f.trigger == "firestore" }
  event_functions     = { for name, f in local.functions : name => f if f.trigger != "http" }
  public_functions    = { for name, f in local.functions : name => f if f.public }

  event_types = {
    pubsub    = "google.cloud.pubsub.topic.v1.messagePublished"
    firestore = "google.cloud.firestore.document.v1.written"
  }

  # CALBRIDGE_PUBLIC_BASE_URL: https://REGION-PROJECT.cloudfunctions.net/ routes /<name> to each
  # 2nd-gen function (each also has its own run.app URL).
  public_base_url = var.public_base_url != "" ? var.public_base_url : "https://${var.region}-${var.project_id}.cloudfunctions.net/"

  # Every setting of functions/config.py that production needs (FIREBASE_AUTH_EMULATOR_HOST is
  # local only). The Google URLs are Google's real endpoints, as config.py's defaults.
  function_environment = {
    GOOGLE_CLOUD_PROJECT           = var.project_id
    CALBRIDGE_PUBLIC_BASE_URL      = local.public_base_url
    GOOGLE_API_BASE_URL            = "https://www.googleapis.com/"
    GOOGLE_OAUTH_AUTHORIZE_URL     = "https://accounts.google.com/o/oauth2/v2/auth"
    GOOGLE_OAUTH_TOKEN_URL         = "https://oauth2.googleapis.com/token"
    GOOGLE_OAUTH_REVOKE_URL        = "https://oauth2.googleapis.com/revoke"
    CALBRIDGE_SYNC_TOPIC           = google_pubsub_topic.sync.name
    CALBRIDGE_FIREBASE_WEB_API_KEY = local.firebase_web_api_key
    CALBRIDGE_FIREBASE_JS_URL      = "https://www.gstatic.com/firebasejs/13.2.0/"
    CALBRIDGE_LOG_FORMAT           = "json"
  }
}

resource "google_cloudfunctions2_function" "function" {
  # checkov:skip=CKV_GCP_124: HTTP functions are called from browsers, Google push and Cloud Scheduler (IAM guards the private ones); event-triggered ones are internal-only
  for_each = local.functions

  name        = each.key
  location    = var.region
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = each.key
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    timeout_seconds                  = each.value.timeout
    max_instance_count               = each.value.max_instances
    min_instance_count               = 0
    max_instance_request_concurrency = 1
    service_account_email            = google_service_account.runtime.email
    all_traffic_on_latest_revision   = true
    ingress_settings                 = each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    environment_variables            = local.function_environment

    secret_environment_variables {
      key        = "CALBRIDGE_ENCRYPTION_KEY"
      project_id = var.project_id
      secret     = google_secret_manager_secret.encryption_key.secret_id
      version    = local.encryption_key_version
    }
  }

  dynamic "event_trigger" {
    for_each = each.value.trigger == "http" ? [] : [each.value.trigger]
    content {
      trigger_region        = event_trigger.value == "firestore" ? var.firestore_location : var.region
      event_type            = local.event_types[event_trigger.value]
      pubsub_topic          = event_trigger.value == "pubsub" ? google_pubsub_topic.sync.id : null
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.events.email

      # A list (not a map) so both branches have one type: [] or the Firestore document filters.
      dynamic "event_filters" {
        for_each = event_trigger.value != "firestore" ? [] : [
          { attribute = "database", value = "(default)", operator = null },
          { attribute = "document", value = each.value.document, operator = "match-path-pattern" },
        ]
        content {
          attribute = event_filters.value.attribute
          value     = event_filters.value.value
          operator  = event_filters.value.operator
        }
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_project_iam_member.build_logs,
    google_project_iam_member.build_sources,
    google_artifact_registry_repository_iam_member.build_images,
    google_secret_manager_secret_iam_member.runtime_key,
    google_firestore_database.default,
  ]
}

# Public HTTP functions: anyone may invoke; the function authenticates the caller itself.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = local.public_functions

  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Scheduled jobs: only the scheduler's account may invoke them.
resource "google_cloud_run_v2_service_iam_member" "scheduler" {
  for_each = local.scheduled_jobs

  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

# Event-triggered functions: only the Eventarc push account may invoke them.
resource "google_cloud_run_v2_service_iam_member" "events" {
  for_each = local.event_functions

  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.events.member
}
