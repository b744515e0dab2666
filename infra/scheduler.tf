# Cloud Scheduler jobs: POST {} to each scheduled function with an OIDC token of the scheduler
# account. Keys are function names (tests/infra checks they exist and match devstack's ticker).
locals {
  scheduled_jobs = {
    export_activities = { schedule = var.export_schedule }
    import_events     = { schedule = var.import_schedule }
    renew_channels    = { schedule = var.renew_channels_schedule }
  }
}

resource "google_cloud_scheduler_job" "job" {
  for_each = local.scheduled_jobs

  name             = "calbridge-${replace(each.key, "_", "-")}"
  description      = "Runs ${each.key}"
  region           = var.region
  schedule         = each.value.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 2
    min_backoff_duration = "10s"
    max_backoff_duration = "60s"
    max_doublings        = 2
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.function[each.key].service_config[0].uri
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.function[each.key].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduler]
}
