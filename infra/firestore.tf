# Firestore (native mode) with the repo's own rules and indexes: the files the emulator loads
# locally (devstack) are the files deployed here, read from the repository root.
locals {
  repo_root      = abspath("${path.module}/..")
  rules_file     = "${path.module}/../firestore.rules"
  indexes_config = jsondecode(file("${path.module}/../firestore.indexes.json"))

  # Composite indexes, in the Firebase CLI format of firestore.indexes.json.
  firestore_indexes = {
    for index in try(local.indexes_config.indexes, []) :
    join("|", concat([index.collectionGroup, try(index.queryScope, "COLLECTION")], [
      for field in index.fields : "${field.fieldPath}:${try(field.order, try(field.arrayConfig, ""))}"
    ])) => index
  }

  # TTL policies: Firestore deletes a document some time after this timestamp field passes.
  ttl_fields = {
    "oauth_states/expires_at" = { collectionGroup = "oauth_states", fieldPath = "expires_at" }
  }

  # Single-field overrides from firestore.indexes.json plus the TTL fields (one resource per field).
  json_field_overrides = {
    for override in try(local.indexes_config.fieldOverrides, []) :
    "${override.collectionGroup}/${override.fieldPath}" => override
  }
  firestore_fields = merge(
    { for key, ttl in local.ttl_fields : key => { collection = ttl.collectionGroup, field = ttl.fieldPath, ttl = true, indexes = null } },
    {
      for key, override in local.json_field_overrides : key => {
        collection = override.collectionGroup
        field      = override.fieldPath
        ttl        = try(override.ttl, false) || contains(keys(local.ttl_fields), key)
        indexes    = try(override.indexes, null)
      }
    },
  )
}

resource "google_firestore_database" "default" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.api]
}

resource "google_firestore_index" "index" {
  for_each = local.firestore_indexes

  database    = google_firestore_database.default.name
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

resource "google_firestore_field" "field" {
  for_each = local.firestore_fields

  database   = google_firestore_database.default.name
  collection = each.value.collection
  field      = each.value.field

  dynamic "ttl_config" {
    for_each = each.value.ttl ? [true] : []
    content {}
  }

  # Without an override in firestore.indexes.json the field keeps Firestore's automatic indexes.
  dynamic "index_config" {
    for_each = each.value.indexes == null ? [] : [each.value.indexes]
    content {
      dynamic "indexes" {
        for_each = index_config.value
        content {
          query_scope  = try(indexes.value.queryScope, "COLLECTION")
          order        = try(indexes.value.order, null)
          array_config = try(indexes.value.arrayConfig, null)
        }
      }
    }
  }
}

resource "google_firebaserules_ruleset" "firestore" {
  provider = google-beta

  source {
    files {
      name    = "firestore.rules"
      content = file(local.rules_file)
    }
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_firestore_database.default]
}

resource "google_firebaserules_release" "firestore" {
  provider = google-beta

  name         = "cloud.firestore" # the (default) database's rules
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}
