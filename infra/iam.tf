# One service account per role, each with only the roles it needs.
# The functions at run time.
resource "google_service_account" "runtime" {
  account_id   = "calbridge-runtime"
  display_name = "calbridge functions (runtime)"
}

# Cloud Scheduler: calls the three scheduled jobs with an OIDC token.
resource "google_service_account" "scheduler" {
  account_id   = "calbridge-scheduler"
  display_name = "calbridge Cloud Scheduler invoker"
}

# Eventarc / Pub/Sub push: delivers events to the event-triggered functions (sync_worker,
# on_activity_write): eventarc.eventReceiver (Firestore source) and run.invoker on those functions only.
resource "google_service_account" "events" {
  account_id   = "calbridge-events"
  display_name = "calbridge Eventarc push invoker"
}

# Cloud Build: builds the function images from the source zip.
resource "google_service_account" "build" {
  account_id   = "calbridge-build"
  display_name = "calbridge function builds"
}

# --- runtime -------------------------------------------------------------------------------
# Firestore read/write (Firestore has no per-collection IAM; firestore.rules govern clients only).
resource "google_project_iam_member" "runtime_datastore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.runtime.member
}

# Firebase Authentication: verify users, read them and set the admin custom claim
# (POST /api/admin/users/{uid}/admin), so the viewer role is not enough.
resource "google_project_iam_member" "runtime_firebase_auth" {
  project = var.project_id
  role    = "roles/firebaseauth.admin"
  member  = google_service_account.runtime.member
}

# Publish to the sync topic only.
resource "google_pubsub_topic_iam_member" "runtime_publish" {
  topic  = google_pubsub_topic.sync.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.runtime.member
}

# Read the encryption key only.
resource "google_secret_manager_secret_iam_member" "runtime_key" {
  secret_id = google_secret_manager_secret.encryption_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

# --- events (Eventarc) -----------------------------------------------------------------------
# Needed by Eventarc triggers on Google sources (on_activity_write, the Firestore-write trigger);
# granted only while such a function exists.
resource "google_project_iam_member" "events_receiver" {
  count = length(local.firestore_functions) > 0 ? 1 : 0

  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.events.member
}

# Pub/Sub mints the push OIDC tokens of the events account (explicit for projects made before 2021).
resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  service  = "pubsub.googleapis.com"
}

resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = google_service_account.events.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# --- build -----------------------------------------------------------------------------------
resource "google_project_iam_member" "build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

resource "google_artifact_registry_repository_iam_member" "build_images" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

# The build reads the source that Cloud Functions copies into its gcf-v2-sources-* bucket (and
# our source bucket); the condition keeps it off every other bucket of the project.
resource "google_project_iam_member" "build_sources" {
  project = var.project_id
  role    = "roles/storage.objectAdmin"
  member  = google_service_account.build.member

  condition {
    title       = "calbridge-function-sources"
    description = "Function source buckets only"
    expression = join(" || ", [
      "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")",
      "resource.name.startsWith(\"projects/_/buckets/gcf-v2-uploads-\")",
      "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.source.name}\")",
    ])
  }
}
