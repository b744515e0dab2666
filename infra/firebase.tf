# Firebase on the project: Authentication (email/password sign-in for the settings pages) and a
# web app whose browser API key the pages use unless var.firebase_web_api_key is set.
resource "google_firebase_project" "default" {
  provider = google-beta

  depends_on = [google_project_service.api]
}

resource "google_firebase_web_app" "pages" {
  provider = google-beta

  display_name    = "calbridge settings pages"
  deletion_policy = "DELETE"

  depends_on = [google_firebase_project.default]
}

data "google_firebase_web_app_config" "pages" {
  provider = google-beta

  web_app_id = google_firebase_web_app.pages.app_id
}

# Enables Firebase Authentication with email/password sign-in (through the Identity Platform
# API, which Firebase Authentication uses; the free tier covers typical CRM user counts).
# Users are created by an admin (Firebase console, Authentication, Add user).
resource "google_identity_platform_config" "auth" {
  count = var.manage_sign_in_config ? 1 : 0

  sign_in {
    allow_duplicate_emails = false

    email {
      enabled           = true
      password_required = true
    }
  }

  depends_on = [google_firebase_project.default]
}

locals {
  firebase_web_api_key = var.firebase_web_api_key != "" ? var.firebase_web_api_key : data.google_firebase_web_app_config.pages.api_key
}
