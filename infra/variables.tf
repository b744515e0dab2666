variable "project_id" {
  description = "Google Cloud project id to deploy into (an empty project with billing enabled)."
  type        = string
}

variable "region" {
  description = "Region of the functions, the scheduler jobs and the source bucket."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Location of the Firestore database (a region such as europe-west1, or a multi-region: eur3, nam5). Cannot change later."
  type        = string
  default     = "eur3"
}

variable "public_base_url" {
  description = <<-EOT
    CALBRIDGE_PUBLIC_BASE_URL: the public URL under which every HTTP function is reachable as
    <base>/<function_name>, ending in /. Empty means https://REGION-PROJECT.cloudfunctions.net/,
    which routes by function name for 2nd-gen functions too. Set it when a load balancer or
    Firebase Hosting rewrites /<function_name> to each function (see docs/deploy.md).
  EOT
  type        = string
  default     = ""

  validation {
    condition     = var.public_base_url == "" || can(regex("^https://.+/$", var.public_base_url))
    error_message = "public_base_url must be empty or an https:// URL ending in /."
  }
}

variable "firebase_web_api_key" {
  description = "CALBRIDGE_FIREBASE_WEB_API_KEY for the settings pages' sign-in. Empty: the key of the Firebase web app this configuration creates."
  type        = string
  default     = ""
}

variable "manage_sign_in_config" {
  description = "Let Terraform enable email/password sign-in (google_identity_platform_config). Turn off if Firebase Authentication is already configured by hand."
  type        = bool
  default     = true
}

variable "sync_topic" {
  description = "CALBRIDGE_SYNC_TOPIC: the Pub/Sub topic the scheduled jobs fan out to and sync_worker consumes."
  type        = string
  default     = "calbridge-sync"
}

# Cloud Scheduler (cron, UTC). The defaults are the local ticker's intervals in
# devstack/server.py SCHEDULED_JOBS: 60 s, 300 s, 3600 s (tests/infra checks they agree).
variable "export_schedule" {
  description = "Cron schedule of export_activities."
  type        = string
  default     = "* * * * *"
}

variable "import_schedule" {
  description = "Cron schedule of import_events."
  type        = string
  default     = "*/5 * * * *"
}

variable "renew_channels_schedule" {
  description = "Cron schedule of renew_channels."
  type        = string
  default     = "0 * * * *"
}

variable "generate_encryption_key" {
  description = <<-EOT
    Generate the 32-byte encryption key with Terraform and store it as a secret version (the key
    is then also in the Terraform state: keep the state in a locked-down bucket). Set to false
    to add the version yourself with gcloud and pass its number in encryption_key_version.
  EOT
  type        = bool
  default     = true
}

variable "encryption_key_version" {
  description = "Secret Manager version of calbridge-encryption-key the functions read. Empty: the version Terraform generated. See docs/deploy.md, 'Rotating the encryption key'."
  type        = string
  default     = ""
}

variable "sync_dead_letter_max_attempts" {
  description = "Deliveries of one sync message to sync_worker before it goes to the dead-letter topic (5 to 100)."
  type        = number
  default     = 5

  validation {
    condition     = var.sync_dead_letter_max_attempts >= 5 && var.sync_dead_letter_max_attempts <= 100
    error_message = "Pub/Sub allows 5 to 100 delivery attempts."
  }
}

variable "attach_dead_letter_with_gcloud" {
  description = "Attach the dead-letter topic to the subscription Eventarc creates for sync_worker by running gcloud at apply time (the provider cannot manage that subscription)."
  type        = bool
  default     = true
}

variable "alert_email" {
  description = "Email address alerted on sync errors and users needing to reconnect. Empty: the alert policy exists without a notification channel."
  type        = string
  default     = ""
}

variable "labels" {
  description = "Labels put on the resources that take them."
  type        = map(string)
  default     = { app = "calbridge" }
}
