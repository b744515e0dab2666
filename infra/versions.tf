# Written for Terraform 1.9+ with the google and google-beta providers 6.x (checked against the
# 6.x provider docs; no Terraform binary ran these files here: tests/infra and checkov are the checks).
terraform {
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.30"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.30"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Keep the state in a bucket of the project (it holds the generated encryption key unless
  # generate_encryption_key = false): see docs/deploy.md, "State".
  # backend "gcs" {
  #   bucket = "PROJECT-tfstate"
  #   prefix = "calbridge"
  # }
}

provider "google" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
}

provider "google-beta" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
}
