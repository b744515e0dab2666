# Log-based metrics over the functions' structured logs (functions/observability.py) and one
# alert policy on them. Cloud Functions 2nd gen logs as resource type cloud_run_revision.
locals {
  function_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for name in keys(local.functions) : "\"${replace(name, "_", "-")}\""])})"
}

# One per sync run that ended with errors (log_run_summary logs those at severity ERROR).
resource "google_logging_metric" "sync_errors" {
  name        = "calbridge/sync_errors"
  description = "calbridge sync runs that ended with errors"
  filter      = "${local.function_logs} AND jsonPayload.event=\"sync_run_summary\" AND severity>=ERROR"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    labels {
      key         = "kind"
      value_type  = "STRING"
      description = "export, import, renew_channels, ..."
    }
  }

  label_extractors = {
    "kind" = "EXTRACT(jsonPayload.kind)"
  }

  depends_on = [google_project_service.api]
}

# One per user whose Google grant was refused (the user must reconnect).
resource "google_logging_metric" "needs_reauth" {
  name        = "calbridge/needs_reauth"
  description = "calbridge users marked needs_reauth (Google refused their grant)"
  filter      = "${local.function_logs} AND (jsonPayload.event=\"needs_reauth\" OR jsonPayload.message:\"needs to reconnect\")"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.api]
}

resource "google_monitoring_notification_channel" "email" {
  count = var.alert_email != "" ? 1 : 0

  display_name = "calbridge alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.api]
}

resource "google_monitoring_alert_policy" "sync" {
  display_name          = "calbridge: sync errors or users needing to reconnect"
  combiner              = "OR"
  notification_channels = google_monitoring_notification_channel.email[*].id
  user_labels           = var.labels

  conditions {
    display_name = "sync runs with errors"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.sync_errors.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "users marked needs_reauth"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.needs_reauth.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "calbridge sync runs failed or a user's Google grant was refused. Logs: `jsonPayload.event=\"sync_run_summary\" AND severity>=ERROR` or `jsonPayload.event=\"needs_reauth\"` in Logs Explorer; the admin page lists users who must reconnect."
  }
}
