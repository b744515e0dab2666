# CALBRIDGE_ENCRYPTION_KEY: base64 of a 32-byte AES-256-GCM key, in Secret Manager, mounted into
# the functions as a secret environment variable pinned to one version (rotation is explicit:
# docs/deploy.md, "Rotating the encryption key").
resource "google_secret_manager_secret" "encryption_key" {
  secret_id = "calbridge-encryption-key"
  labels    = var.labels

  replication {
    auto {}
  }

  lifecycle {
    precondition {
      condition     = var.generate_encryption_key || var.encryption_key_version != ""
      error_message = "With generate_encryption_key = false, add a secret version yourself and set encryption_key_version."
    }
  }

  depends_on = [google_project_service.api]
}

resource "random_bytes" "encryption_key" {
  count  = var.generate_encryption_key ? 1 : 0
  length = 32
}

resource "google_secret_manager_secret_version" "encryption_key" {
  count = var.generate_encryption_key ? 1 : 0

  secret      = google_secret_manager_secret.encryption_key.id
  secret_data = random_bytes.encryption_key[0].base64

  lifecycle {
    # A new key makes every stored secret unreadable: never replace it by accident.
    prevent_destroy = true
  }
}

locals {
  # one() is null when no version was generated; the precondition above demands a version then.
  encryption_key_version = (
    var.encryption_key_version != "" ? var.encryption_key_version : one(google_secret_manager_secret_version.encryption_key[*].version)
  )
}
