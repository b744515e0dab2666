output "public_base_url" {
  description = "CALBRIDGE_PUBLIC_BASE_URL as deployed."
  value       = local.public_base_url
}

output "oauth_redirect_uri" {
  description = "Authorized redirect URI of the OAuth client (Google console) and the redirect URL saved on the admin page."
  value       = "${local.public_base_url}oauth_callback"
}

output "webhook_url" {
  description = "Where Google Calendar push notifications arrive."
  value       = "${local.public_base_url}calendar_webhook"
}

output "pages_url" {
  description = "The settings pages (the admin page is <pages_url>admin)."
  value       = "${local.public_base_url}pages/"
}

output "admin_page_url" {
  description = "The admin settings page."
  value       = "${local.public_base_url}pages/admin"
}

output "function_urls" {
  description = "Each function's own URL (cloudfunctions.net)."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.url }
}

output "runtime_service_account" {
  description = "The functions' runtime service account."
  value       = google_service_account.runtime.email
}

output "encryption_key_secret" {
  description = "Secret Manager secret holding CALBRIDGE_ENCRYPTION_KEY, and the version the functions read."
  value       = "${google_secret_manager_secret.encryption_key.secret_id} version ${local.encryption_key_version}"
}

output "dead_letter_subscription" {
  description = "Pull subscription holding sync messages that sync_worker could not process."
  value       = google_pubsub_subscription.sync_dead_letter.name
}
