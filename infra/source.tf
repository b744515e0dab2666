# The functions' source: main.py and requirements.txt at the root of one zip with functions/,
# and nothing else of the repository (no tests, sandbox, devstack, bench, infra, node_modules,
# .venv*, caches): the zip is built from this list rather than by excluding, so a stray folder
# in a checkout never ships. Every deployed file is text (file() refuses anything else).
# Uploaded under a name made of its hash, so a change of source redeploys every function.
locals {
  source_root_files = ["main.py", "requirements.txt"]
  source_dirs       = ["functions"]
  source_files = toset(concat(local.source_root_files, flatten([
    for dir in local.source_dirs : [
      for path in fileset(local.repo_root, "${dir}/**") : path
      if !strcontains(path, "__pycache__") && !startswith(basename(path), ".")
    ]
  ])))
}

data "archive_file" "source" {
  type        = "zip"
  output_path = "${path.module}/.build/calbridge-source.zip"

  dynamic "source" {
    for_each = local.source_files
    content {
      filename = source.value
      content  = file("${local.repo_root}/${source.value}")
    }
  }
}

resource "google_storage_bucket" "source" {
  # checkov:skip=CKV_GCP_62: access logs of a bucket holding only build inputs are not worth a second bucket
  name                        = "${var.project_id}-calbridge-source"
  location                    = var.region
  labels                      = var.labels
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 3
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket_object" "source" {
  name   = "calbridge-source-${data.archive_file.source.output_sha256}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

# Function images, written by the build service account only.
resource "google_artifact_registry_repository" "functions" {
  # checkov:skip=CKV_GCP_84: images are built from this public repository's code; Google-managed encryption is enough
  location      = var.region
  repository_id = "calbridge-functions"
  description   = "calbridge function images"
  format        = "DOCKER"
  labels        = var.labels

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  depends_on = [google_project_service.api]
}
