# The APIs calbridge needs, enabled in the (empty) project. Left enabled on destroy.
locals {
  apis = toset([
    "artifactregistry.googleapis.com", # function images
    "cloudbuild.googleapis.com",       # function builds
    "cloudfunctions.googleapis.com",   # Cloud Functions 2nd gen
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com", # export, import, channel renewal
    "eventarc.googleapis.com",       # sync_worker's Pub/Sub trigger
    "firebase.googleapis.com",       # Firebase project, web app
    "firebaserules.googleapis.com",  # firestore.rules
    "firestore.googleapis.com",      # the store
    "iam.googleapis.com",
    "identitytoolkit.googleapis.com", # Firebase Authentication
    "logging.googleapis.com",         # log-based metrics
    "monitoring.googleapis.com",      # alert policy
    "pubsub.googleapis.com",          # fan-out
    "run.googleapis.com",             # 2nd-gen functions run on Cloud Run
    "secretmanager.googleapis.com",   # CALBRIDGE_ENCRYPTION_KEY
    "serviceusage.googleapis.com",
    "storage.googleapis.com",       # source bucket
    "apikeys.googleapis.com",       # the Firebase web app's browser key
    "calendar-json.googleapis.com", # Google Calendar API, called with each user's grant
  ])
}

resource "google_project_service" "api" {
  for_each = local.apis

  service            = each.value
  disable_on_destroy = false
}
