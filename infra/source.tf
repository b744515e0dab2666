# The functions' source: main.py, functions/ and requirements.txt at the root of one zip,
# uploaded to a bucket; a new object name per content hash redeploys every function.
locals {
  # Every top-level entry of the repository except what the functions run. tests/infra checks
  # that each top-level directory of the repository is either deployed (functions/) or listed here.
  source_excludes = [
    ".ci", ".dev-state", ".git", ".github", ".gitignore", ".pytest_cache", ".ruff_cache",
    ".venv", ".venv-infra", "__pycache__", "bench", "devstack", "docs", "firestore.indexes.json",
    "firestore.rules", "infra", "node_modules", "openapi.yaml", "package-lock.json", "package.json",
    "pyproject.toml", "README.md", "requirements-dev.txt", "requirements-infra.txt", "sandbox",
    "scripts", "test-artifacts", "tests",
  ]
  source_pycache = fileset(local.repo_root, "functions/**/__pycache__/*")
}

data "archive_file" "source" {
  type                        = "zip"
  source_dir                  = local.repo_root
  output_path                 = "${path.module}/.build/calbridge-source.zip"
  excludes                    = concat(local.source_excludes, tolist(local.source_pycache))
  exclude_symlink_directories = true
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
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  depends_on = [google_project_service.api]
}
