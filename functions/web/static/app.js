/* calbridge settings pages: sign in with Firebase Auth, call the `api` function, render.
 *
 * Plain JavaScript, no build step. Every piece of data from the API is put into the page with
 * textContent / DOM properties, never as HTML. The page's configuration comes from the
 * <script type="application/json" id="calbridge-config"> block rendered by the server.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("calbridge-config").textContent);
  var page = config.page;

  // ------------------------------------------------------------------ small DOM helpers

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function $all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  /** el("td", {className: "x", dataset: {type: "Meeting"}}, "text", childNode, ...) */
  function el(tag, props) {
    var node = document.createElement(tag);
    var key;
    props = props || {};
    for (key in props) {
      if (!Object.prototype.hasOwnProperty.call(props, key)) continue;
      if (key === "dataset") {
        Object.keys(props.dataset).forEach(function (name) {
          node.dataset[name] = props.dataset[name];
        });
      } else if (key === "attrs") {
        Object.keys(props.attrs).forEach(function (name) {
          node.setAttribute(name, props.attrs[name]);
        });
      } else {
        node[key] = props[key];
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function setText(selector, text) {
    var node = typeof selector === "string" ? $(selector) : selector;
    if (node) node.textContent = text || "";
  }

  function show(selector, visible) {
    var node = typeof selector === "string" ? $(selector) : selector;
    if (node) node.hidden = !visible;
  }

  function setMessage(node, text, kind) {
    if (!node) return;
    node.textContent = text || "";
    node.classList.remove("ok", "error-text");
    if (kind === "ok") node.classList.add("ok");
    if (kind === "error") node.classList.add("error-text");
  }

  function formatTime(value) {
    if (!value) return "";
    var date = new Date(value);
    if (isNaN(date.getTime())) return String(value);
    return date.toLocaleString(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"
    });
  }

  function busy(button, isBusy, busyText) {
    if (!button) return;
    if (isBusy) {
      button.dataset.label = button.textContent;
      button.disabled = true;
      if (busyText) button.textContent = busyText;
    } else {
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
      delete button.dataset.label;
    }
  }

  // ------------------------------------------------------------------ the API

  function ApiError(status, error) {
    this.status = status;
    this.code = (error && error.code) || "error";
    this.message = (error && error.message) || "Something went wrong.";
    this.details = (error && error.details) || {};
    this.fields = (this.details && this.details.fields) || {};
  }

  var auth = null;

  function api(method, path, body, options) {
    options = options || {};
    var user = auth && auth.currentUser;
    if (!user) {
      return Promise.reject(new ApiError(401, { code: "unauthenticated", message: "Please sign in again." }));
    }
    return send(user, false).then(function (response) {
      if (response.status === 401) return send(user, true); // the token may just have expired
      return response;
    }).then(readAnswer);

    function send(currentUser, forceRefresh) {
      return currentUser.getIdToken(forceRefresh).then(function (token) {
        var headers = { Authorization: "Bearer " + token, Accept: "application/json" };
        var init = { method: method, headers: headers, cache: "no-store", credentials: options.credentials || "same-origin" };
        if (body !== undefined) {
          headers["Content-Type"] = "application/json";
          init.body = JSON.stringify(body);
        }
        return fetch((options.base || config.apiBase) + path, init).catch(function () {
          throw new ApiError(0, { code: "network", message: "Could not reach calbridge. Check your connection and try again." });
        });
      });
    }
  }

  function readAnswer(response) {
    if (response.status === 204) return null;
    return response.text().then(function (text) {
      var data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch (e) {
        data = null;
      }
      if (!response.ok) {
        var error = data && data.error ? data.error : { code: "http_" + response.status, message: "The server answered " + response.status + "." };
        throw new ApiError(response.status, error);
      }
      return data;
    });
  }

  function errorText(error) {
    if (error instanceof ApiError) return error.message;
    return (error && error.message) || String(error);
  }

  // ------------------------------------------------------------------ sign in / out

  var AUTH_MESSAGES = {
    "auth/invalid-email": "Enter a valid email address.",
    "auth/missing-password": "Enter your password.",
    "auth/wrong-password": "Wrong email or password.",
    "auth/user-not-found": "Wrong email or password.",
    "auth/invalid-credential": "Wrong email or password.",
    "auth/invalid-login-credentials": "Wrong email or password.",
    "auth/user-disabled": "This account is disabled.",
    "auth/too-many-requests": "Too many attempts. Wait a moment and try again.",
    "auth/network-request-failed": "Could not reach the sign-in service. Check your connection."
  };

  function startAuth(onSignedIn, onSignedOut) {
    firebase.initializeApp({ apiKey: config.firebase.apiKey, projectId: config.firebase.projectId });
    auth = firebase.auth();
    if (config.authEmulatorHost) {
      auth.useEmulator("http://" + config.authEmulatorHost, { disableWarnings: true });
    }

    $("#signin-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var email = $("#email").value.trim();
      var password = $("#password").value;
      var button = $("#sign-in");
      setText("#signin-error", "");
      if (!email || !password) {
        setText("#signin-error", "Enter your email and password.");
        return;
      }
      busy(button, true, "Signing in…");
      auth.signInWithEmailAndPassword(email, password).catch(function (error) {
        setText("#signin-error", AUTH_MESSAGES[error.code] || error.message || "Sign-in failed.");
      }).then(function () {
        busy(button, false);
      });
    });

    $("#sign-out").addEventListener("click", function () {
      auth.signOut();
    });

    auth.onAuthStateChanged(function (user) {
      show("#loading", false);
      if (user) {
        show("#signin-section", false);
        show("#account-bar", true);
        setText("#signed-in-as", user.email || user.uid);
        $("#password").value = "";
        user.getIdTokenResult().then(function (result) {
          var isAdmin = result.claims.admin === true;
          show("#admin-link", isAdmin && page !== "admin");
          show("#user-link", page !== "user");
          show("#calendar-link", page !== "calendar");
          onSignedIn(user, isAdmin);
        });
      } else {
        show("#account-bar", false);
        show("#signin-section", true);
        onSignedOut();
        $("#email").focus();
      }
    });
  }

  // ================================================================== the user's page

  var CONNECTION_TEXT = {
    connected: "Connected",
    needs_reauth: "Reconnect needed",
    disconnected: "Not connected"
  };

  var userState = { me: null, types: [], links: {} };

  function userPage() {
    var banner = $("#connect-banner");
    if (banner) {
      $("#dismiss-banner").addEventListener("click", function () {
        banner.remove();
      });
      // The banner is shown once: a reload of the page should not repeat it.
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", window.location.pathname);
      }
    }
    $("#connect").addEventListener("click", connect);
    $("#disconnect").addEventListener("click", confirmDisconnect);
    $("#refresh-calendars").addEventListener("click", refreshCalendars);
    $("#links-body").addEventListener("click", onLinksClick);
    $("#links-body").addEventListener("change", onLinksChange);

    startAuth(function () {
      show("#app-section", true);
      loadUser();
    }, function () {
      show("#app-section", false);
      userState = { me: null, types: [], links: {} };
      $("#links-body").textContent = "";
    });
  }

  function loadUser() {
    setText("#links-error", "");
    setText("#connection-error", "");
    return Promise.all([api("GET", "me"), api("GET", "activity-types"), api("GET", "status")]).then(function (answers) {
      userState.me = answers[0];
      userState.types = answers[1].activity_types || [];
      userState.links = {};
      (answers[2].links || []).forEach(function (link) {
        userState.links[link.activity_type] = link;
      });
      renderConnection(answers[2].connection || answers[0].connection || {});
      renderNotice(answers[0]);
      renderLinks();
      Object.keys(userState.links).forEach(pollResync);  // a resync still queued or running: follow it
    }).catch(function (error) {
      setText("#connection-error", errorText(error));
    });
  }

  function renderConnection(connection) {
    var status = connection.status || "disconnected";
    var node = $("#connection-status");
    node.dataset.status = status;
    node.className = "status status-" + status;
    var text = CONNECTION_TEXT[status] || status;
    if (status === "connected" && connection.google_email) text += " as " + connection.google_email;
    node.textContent = text;

    var detail;
    if (status === "connected") {
      detail = "calbridge can read and write your Google Calendar" +
        (connection.connected_at ? " (connected " + formatTime(connection.connected_at) + ")" : "") + ".";
    } else if (status === "needs_reauth") {
      detail = "Google no longer accepts calbridge's access" +
        (connection.error_at ? " since " + formatTime(connection.error_at) : "") +
        (connection.error ? " (" + connection.error + ")" : "") +
        ". Sync is paused: you must reconnect. Click Reconnect to authorize again.";
    } else {
      detail = "Click Authorize and Connect to let calbridge sync your Google Calendar.";
    }
    setText("#connection-detail", detail);

    setText("#connect", status === "disconnected" ? "Authorize and Connect" : "Reconnect");
    show("#disconnect", status !== "disconnected");
    show("#refresh-calendars", status === "connected");
    cancelDisconnect();

    // A "connected" landing message must not stay up once the connection says otherwise.
    var banner = $("#connect-banner");
    if (banner && banner.dataset.outcome === "success" && status !== "connected") banner.remove();

    var note = $("#links-note");
    if (status === "connected") {
      show(note, false);
    } else {
      note.textContent = status === "needs_reauth"
        ? "Sync is paused until you reconnect."
        : "Connect Google first; then choose a calendar for each activity type.";
      show(note, true);
    }
  }

  // Issue 14: a calendar list that could not be read, and revocations Google has not confirmed.
  function renderNotice(me) {
    var lines = [];
    if (me.calendars_error) {
      lines.push("calbridge could not read your calendar list from Google (" + me.calendars_error +
        "); links cannot be saved until it can. Reload the page or refresh the calendar list to try again.");
    }
    (me.pending_revocations || []).forEach(function (pending) {
      lines.push("Google has not yet confirmed that calbridge's access" +
        (pending.google_email ? " to " + pending.google_email : "") +
        " is revoked; calbridge keeps trying automatically (next attempt " + formatTime(pending.next_attempt_at) + ").");
    });
    setText("#connection-notice", lines.join(" "));
    show("#connection-notice", lines.length > 0);
  }

  function calendarOptions(select, selectedId) {
    var calendars = (userState.me && userState.me.calendars) || [];
    select.textContent = "";
    select.appendChild(el("option", { value: "" }, "— not linked —"));
    var found = false;
    calendars.forEach(function (calendar) {
      var label = calendar.summary || calendar.id;
      if (calendar.primary) label += " (primary)";
      if (calendar.access_role && calendar.access_role !== "owner" && calendar.access_role !== "writer") {
        label += " (read-only)";
      }
      if (calendar.id === selectedId) found = true;
      select.appendChild(el("option", { value: calendar.id }, label));
    });
    if (selectedId && !found) {
      var link = linkForCalendar(selectedId);
      var name = (link && link.calendar_summary) || selectedId;
      select.appendChild(el("option", { value: selectedId }, name + " (not in your calendar list)"));
    }
    select.value = selectedId || "";
  }

  function linkForCalendar(calendarId) {
    var types = Object.keys(userState.links);
    for (var i = 0; i < types.length; i++) {
      if (userState.links[types[i]].calendar_id === calendarId) return userState.links[types[i]];
    }
    return null;
  }

  function renderLinks() {
    var body = $("#links-body");
    var pending = {};
    // Keep what the user has changed but not saved yet across a re-render (e.g. a calendar refresh).
    $all("tr[data-type]", body).forEach(function (row) {
      if (row.dataset.dirty === "true") pending[row.dataset.type] = readRow(row);
    });
    body.textContent = "";
    var types = userState.types.slice();
    Object.keys(userState.links).forEach(function (type) {
      if (types.indexOf(type) < 0) types.push(type);
    });
    if (!types.length) {
      body.appendChild(el("tr", {}, el("td", { colSpan: 8, className: "muted" }, "No activity types are set up yet.")));
      return;
    }
    types.forEach(function (type, index) {
      body.appendChild(linkRow(type, index, userState.links[type] || null, pending[type] || null));
    });
  }

  function checkboxCell(type, index, name, label, checked, short, disabled) {
    var id = name + "-" + index;
    return el("td", { className: "center flag", dataset: { label: short } },
      el("input", { type: "checkbox", id: id, name: name, checked: !!checked, disabled: !!disabled, dataset: { type: type } }),
      el("label", { htmlFor: id, className: "visually-hidden" }, label + " " + type));
  }

  // "Import existing" means nothing without "Import": the box is off and disabled until Import is on.
  function syncImportExisting(row) {
    var importBox = $("input[name=import]", row);
    var existing = $("input[name=import_existing]", row);
    if (!importBox || !existing) return;
    if (!importBox.checked) existing.checked = false;
    existing.disabled = !importBox.checked;
    existing.title = importBox.checked ? "" : "Turn on Import first";
  }

  // Privacy per link: which details the exported Google events show (issue 13).
  var DETAILS = ["subject", "description", "location", "attendees"];
  var PRIVACY_TEXT = { full: "All details", subset: "Some details", busy: "Busy only" };

  function privacyCell(type, index, privacy) {
    privacy = privacy || { level: "full", fields: DETAILS.slice() };
    var select = el("select", { id: "privacy-" + index, name: "privacy" });
    Object.keys(PRIVACY_TEXT).forEach(function (level) {
      select.appendChild(el("option", { value: level, selected: privacy.level === level }, PRIVACY_TEXT[level]));
    });
    var chosen = privacy.level === "subset" ? privacy.fields : DETAILS;
    var boxes = el("fieldset", { className: "privacy-fields", hidden: privacy.level !== "subset" },
      el("legend", { className: "visually-hidden" }, "Details shown in Google for " + type));
    DETAILS.forEach(function (detail) {
      var id = "privacy-" + index + "-" + detail;
      boxes.appendChild(el("label", { htmlFor: id, className: "small privacy-field" },
        el("input", { type: "checkbox", id: id, name: "privacy_field", value: detail, checked: chosen.indexOf(detail) >= 0 }),
        " " + detail));
    });
    return el("td", { className: "privacy-cell", dataset: { label: "Details in Google" } },
      el("label", { htmlFor: select.id, className: "visually-hidden" }, "Details in Google for " + type),
      select, boxes, fieldError("privacy", "privacy-" + index + "-error"));
  }

  function readPrivacy(row) {
    var level = $("select[name=privacy]", row).value;
    if (level !== "subset") return { level: level };
    return {
      level: level,
      fields: $all("input[name=privacy_field]", row).filter(function (box) {
        return box.checked;
      }).map(function (box) {
        return box.value;
      })
    };
  }

  function linkRow(type, index, link, pending) {
    var known = userState.types.indexOf(type) >= 0;
    var values = pending || {
      calendar_id: link ? link.calendar_id : "",
      export: link ? !!link.export : false,
      import: link ? !!link.import : false,
      import_existing: link ? !!link.import_existing : false,
      privacy: link ? link.privacy : null
    };
    var select = el("select", {
      id: "calendar-" + index, name: "calendar", dataset: { type: type },
      attrs: { "aria-describedby": "calendar-" + index + "-error" }
    });
    calendarOptions(select, values.calendar_id);
    var row = el("tr", { dataset: { type: type } },
      el("th", { scope: "row", className: "type-name" }, type, known ? null : el("div", { className: "muted small" }, "(no longer an activity type)")),
      el("td", { className: "calendar-cell", dataset: { label: "Google calendar" } },
        el("label", { htmlFor: select.id, className: "visually-hidden" }, "Google calendar for " + type),
        select,
        fieldError("calendar_id", "calendar-" + index + "-error")),
      checkboxCell(type, index, "export", "Export activities of type", values.export, "Export"),
      checkboxCell(type, index, "import", "Import events as type", values.import, "Import"),
      checkboxCell(type, index, "import_existing", "Import existing events as type", values.import && values.import_existing,
        "Import existing", !values.import),
      privacyCell(type, index, values.privacy),
      el("td", { className: "nowrap row-actions" },
        el("button", { type: "button", textContent: "Save", dataset: { save: type } }),
        link ? el("button", { type: "button", className: "secondary", textContent: "Resync now", dataset: { resync: type } }) : null,
        link ? el("button", { type: "button", className: "link", textContent: "Unlink", dataset: { unlink: type } }) : null),
      el("td", { className: "row-status", dataset: { statusFor: type, label: "Status" } },
        linkStatus(link),
        el("div", { className: "row-panel", dataset: { panelFor: type }, hidden: true }),
        el("p", { className: "row-message", dataset: { messageFor: type }, attrs: { role: "status", "aria-live": "polite" } })));
    if (pending) row.dataset.dirty = "true";
    syncImportExisting(row);
    return row;
  }

  function fieldError(field, id) {
    return el("p", { id: id, className: "field-error", dataset: { fieldError: field }, attrs: { role: "alert" } });
  }

  function runText(label, run) {
    if (!run || !run.at) return label + ": not yet";
    var text = label + ": " + formatTime(run.at);
    if (typeof run.count === "number") text += " · " + run.count + (run.count === 1 ? " event" : " events");
    return text;
  }

  var STATE_TEXT = { synced: "Synced", syncing: "Syncing…", paused: "Paused", error: "Error" };

  function resyncText(resync) {
    if (!resync) return "";
    if (resync.state === "queued") return "Resync queued…";
    if (resync.state === "running") return "Resync running…";
    var counts = resync.imported + " imported, " + resync.checked + " exported events checked, " +
      resync.missing + " missing in Google" + (resync.recreated ? ", " + resync.recreated + " recreated" : "") +
      (resync.unlinked ? ", " + resync.unlinked + " unlinked" : "");
    if (resync.state === "failed") return "Last resync failed" + (resync.error ? ": " + resync.error : "") + ".";
    return "Last resync " + formatTime(resync.finished_at) + ": " + counts + ".";
  }

  // How Google's changes reach calbridge: push notifications (live), or only the scheduled import.
  function pushLine(link) {
    var push = link.push || { state: "off" };
    var text;
    if (push.state === "live") {
      text = "Push: live · Google's changes arrive within seconds";
    } else if (push.state === "refused") {
      text = "Push: refused" + (push.error ? " · " + push.error : "") + " · changes are imported every 5 minutes";
    } else {
      text = link.import ? "Push: off · changes are imported every 5 minutes" : "Push: off (import is off)";
    }
    var line = el("div", { className: "small push push-" + push.state, dataset: { testid: "link-push", push: push.state } }, text);
    if (push.expires_at) line.title = "This channel is renewed before " + formatTime(push.expires_at) + ".";
    return line;
  }

  function linkStatus(link) {
    var box = el("div", { className: "link-status" });
    if (!link || !link.calendar_id) {
      box.appendChild(el("span", { className: "muted" }, "Not linked"));
      return box;
    }
    var status = link.status || { state: "synced" };
    var badge = el("div", { className: "link-state state-" + status.state, dataset: { state: status.state, testid: "link-state" } },
      el("strong", {}, STATE_TEXT[status.state] || status.state),
      status.message ? " · " + status.message : "");
    box.appendChild(badge);
    if (status.fix) box.appendChild(el("div", { className: "small fix", dataset: { testid: "link-fix" } }, "Fix: " + status.fix));
    if (link.resync) box.appendChild(el("div", { className: "small resync-progress", dataset: { resync: link.resync.state } }, resyncText(link.resync)));
    box.appendChild(el("div", { className: "linked" }, "Linked to " + (link.calendar_summary || link.calendar_id)));
    box.appendChild(pushLine(link));
    box.appendChild(el("div", { className: "small" }, runText("Last export", link.last_export)));
    if (link.last_export && link.last_export.error) {
      box.appendChild(el("div", { className: "small error-text" }, "Export error: " + link.last_export.error));
    }
    box.appendChild(el("div", { className: "small" }, runText("Last import", link.last_import)));
    if (link.last_import && link.last_import.error) {
      box.appendChild(el("div", { className: "small error-text" }, "Import error: " + link.last_import.error));
    }
    if (link.last_error) box.appendChild(el("div", { className: "small error-text" }, "Error: " + link.last_error));
    if (link.paused_reason) {
      box.appendChild(el("div", { className: "small error-text", dataset: { paused: link.paused_reason } },
        link.paused_reason === "calendar_missing"
          ? "Sync paused: this calendar is not in your Google account's calendar list. The link is kept."
          : "Sync paused (" + link.paused_reason + ")."));
    }
    return box;
  }

  function readRow(row) {
    return {
      calendar_id: $("select[name=calendar]", row).value,
      export: $("input[name=export]", row).checked,
      import: $("input[name=import]", row).checked,
      import_existing: $("input[name=import_existing]", row).checked,
      privacy: readPrivacy(row)
    };
  }

  function rowFor(type) {
    return $all("#links-body tr[data-type]").filter(function (row) {
      return row.dataset.type === type;
    })[0];
  }

  function clearRowErrors(row) {
    $all(".field-error", row).forEach(function (node) {
      node.textContent = "";
    });
    setMessage($(".row-message", row), "");
  }

  function showRowError(row, error) {
    var fields = (error && error.fields) || {};
    var unplaced = [];
    Object.keys(fields).forEach(function (field) {
      var target = $('[data-field-error="' + field + '"]', row);
      if (target) target.textContent = fields[field];
      else unplaced.push(fields[field]);
    });
    var text = errorText(error);
    if (unplaced.length) text += " " + unplaced.join(" ");
    setMessage($(".row-message", row), text, "error");
  }

  function onLinksChange(event) {
    var row = event.target.closest("tr[data-type]");
    if (row && event.target.closest(".row-panel")) return;  // the resync / unlink choices are not link fields
    if (row && event.target.name === "privacy") {
      $(".privacy-fields", row).hidden = event.target.value !== "subset";
    }
    if (row) {
      syncImportExisting(row);
      row.dataset.dirty = "true";
      setMessage($(".row-message", row), "Not saved yet.");
    }
  }

  function onLinksClick(event) {
    var button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.save !== undefined) saveLink(button.dataset.save, button);
    else if (button.dataset.remove !== undefined) removeLink(button.dataset.remove, button);
    else if (button.dataset.resync !== undefined) askResync(button.dataset.resync);
    else if (button.dataset.startResync !== undefined) startResync(button.dataset.startResync, button);
    else if (button.dataset.unlink !== undefined) askUnlink(button.dataset.unlink, button);
    else if (button.dataset.confirmUnlink !== undefined) confirmUnlink(button.dataset.confirmUnlink, button);
    else if (button.dataset.cancelPanel !== undefined) closePanel(rowFor(button.dataset.cancelPanel));
  }

  function openPanel(row, children) {
    var panel = $(".row-panel", row);
    panel.textContent = "";
    children.forEach(function (child) {
      if (child) panel.appendChild(child);
    });
    panel.hidden = false;
    var first = $("input, button", panel);
    if (first) first.focus();
    return panel;
  }

  function closePanel(row) {
    var panel = row && $(".row-panel", row);
    if (panel) {
      panel.hidden = true;
      panel.textContent = "";
    }
  }

  function askResync(type) {
    var row = rowFor(type);
    clearRowErrors(row);
    var id = "recreate-" + type.replace(/[^A-Za-z0-9_-]/g, "_");
    openPanel(row, [
      el("p", { className: "small" }, "Scan the calendar again in full and re-check every event exported to it."),
      el("label", { htmlFor: id, className: "small" },
        el("input", { type: "checkbox", id: id, name: "recreate_deleted" }),
        " Recreate exported events that were deleted in Google (otherwise they are unlinked)"),
      el("div", { className: "actions" },
        el("button", { type: "button", textContent: "Start resync", dataset: { startResync: type } }),
        el("button", { type: "button", className: "link", textContent: "Cancel", dataset: { cancelPanel: type } }))
    ]);
  }

  function replaceRow(type, link, message, kind) {
    var row = rowFor(type);
    var index = $all("#links-body tr[data-type]").indexOf(row);
    var fresh = linkRow(type, index, link, null);
    row.replaceWith(fresh);
    if (message) setMessage($(".row-message", fresh), message, kind);
    return fresh;
  }

  var RESYNC_MESSAGE = { queued: "Resync queued.", running: "Resync running.", done: "Resync done.", failed: "Resync failed." };

  function startResync(type, button) {
    var row = rowFor(type);
    var recreate = $("input[name=recreate_deleted]", row).checked;
    busy(button, true, "Starting…");
    api("POST", "links/" + encodeURIComponent(type) + "/resync", { recreate_deleted: recreate }).then(function (link) {
      userState.links[type] = link;
      var state = link.resync ? link.resync.state : "";
      replaceRow(type, link, RESYNC_MESSAGE[state] || "", state === "failed" ? "error" : "ok");
      pollResync(type);
    }).catch(function (error) {
      busy(button, false);
      closePanel(row);
      if (error && error.code === "rate_limited" && error.details && error.details.retry_after) {
        setMessage($(".row-message", row), "A resync was started less than a minute ago; try again in " +
          error.details.retry_after + " s.", "error");
      } else {
        showRowError(row, error);
      }
    });
  }

  // A queued or running resync (the worker does it): the link is read again until it has finished.
  var polling = {};

  function pollResync(type) {
    var link = userState.links[type];
    if (!link || !link.resync || (link.resync.state !== "queued" && link.resync.state !== "running")) return;
    if (polling[type]) return;
    polling[type] = true;
    window.setTimeout(function () {
      polling[type] = false;
      api("GET", "links").then(function (answer) {
        var fresh = (answer.links || []).filter(function (item) {
          return item.activity_type === type;
        })[0];
        if (!fresh) return;
        userState.links[type] = fresh;
        var state = fresh.resync ? fresh.resync.state : "";
        var row = rowFor(type);
        if (row && row.dataset.dirty === "true") {
          $(".link-status", row).replaceWith(linkStatus(fresh));  // keep what the user is editing
        } else {
          replaceRow(type, fresh, RESYNC_MESSAGE[state] || "", state === "failed" ? "error" : "ok");
        }
        pollResync(type);
      }).catch(function () {
        pollResync(type);
      });
    }, 2000);
  }

  function askUnlink(type, button) {
    var row = rowFor(type);
    clearNotices();
    clearRowErrors(row);
    busy(button, true, "Counting…");
    api("GET", "links/" + encodeURIComponent(type) + "/cleanup").then(function (preview) {
      busy(button, false);
      var id = "cleanup-" + type.replace(/[^A-Za-z0-9_-]/g, "_");
      var count = preview.events;
      openPanel(row, [
        el("p", { className: "small" }, "Unlink " + type + " from " + (preview.calendar_summary || preview.calendar_id) + "?"),
        count ? el("label", { htmlFor: id, className: "small" },
          el("input", { type: "checkbox", id: id, name: "cleanup" }),
          " Also delete the " + count + (count === 1 ? " event" : " events") +
          " calbridge exported to this calendar (imported and other events stay)")
          : el("p", { className: "small muted" }, "calbridge has no exported events in this calendar to delete."),
        el("div", { className: "actions" },
          el("button", { type: "button", className: "danger", textContent: "Unlink", dataset: { confirmUnlink: type } }),
          el("button", { type: "button", className: "link", textContent: "Cancel", dataset: { cancelPanel: type } }))
      ]).dataset.count = String(count);
    }).catch(function (error) {
      busy(button, false);
      showRowError(row, error);
    });
  }

  function confirmUnlink(type, button) {
    var row = rowFor(type);
    var box = $("input[name=cleanup]", row);
    var cleanup = !!(box && box.checked);
    busy(button, true, cleanup ? "Deleting events…" : "Unlinking…");
    api("DELETE", "links/" + encodeURIComponent(type) + (cleanup ? "?cleanup=true" : "")).then(function (answer) {
      delete userState.links[type];
      var text = "Unlinked. Nothing was changed in Google.";
      if (cleanup && answer) {
        text = "Unlinked. " + answer.deleted + (answer.deleted === 1 ? " event" : " events") + " deleted from Google" +
          (answer.failed ? "; " + answer.failed + " could not be deleted" : "") + ".";
      }
      replaceRow(type, null, text, "ok");
    }).catch(function (error) {
      busy(button, false);
      showRowError(row, error);
    });
  }

  function saveLink(type, button) {
    var row = rowFor(type);
    clearNotices();
    clearRowErrors(row);
    var values = readRow(row);
    if (!values.calendar_id) {
      if (userState.links[type]) return removeLink(type, button);
      $('[data-field-error="calendar_id"]', row).textContent = "Choose a calendar first.";
      return;
    }
    busy(button, true, "Saving…");
    api("PUT", "links/" + encodeURIComponent(type), values).then(function (link) {
      userState.links[type] = link;
      var index = $all("#links-body tr[data-type]").indexOf(row);
      var fresh = linkRow(type, index, link, null);
      row.replaceWith(fresh);
      setMessage($(".row-message", fresh), "Saved.", "ok");
    }).catch(function (error) {
      busy(button, false);
      showRowError(row, error);
    });
  }

  function removeLink(type, button) {
    var row = rowFor(type);
    clearNotices();
    clearRowErrors(row);
    busy(button, true, "Removing…");
    api("DELETE", "links/" + encodeURIComponent(type)).then(function () {
      delete userState.links[type];
      var index = $all("#links-body tr[data-type]").indexOf(row);
      var fresh = linkRow(type, index, null, null);
      row.replaceWith(fresh);
      setMessage($(".row-message", fresh), "Unlinked.", "ok");
    }).catch(function (error) {
      busy(button, false);
      showRowError(row, error);
    });
  }

  // The landing message (e.g. "Access was denied") and the last outcome describe what happened
  // before; any new action replaces them.
  function clearNotices() {
    var banner = $("#connect-banner");
    if (banner) banner.remove();
    setMessage($("#connection-message"), "");
    setText("#connection-error", "");
  }

  function connect() {
    var button = $("#connect");
    clearNotices();
    busy(button, true, "Opening Google…");
    // The answer sets the HttpOnly calbridge_connect cookie: credentials must be kept.
    api("POST", "connect", {}, { credentials: "include" }).then(function (answer) {
      var url = answer && answer.authorize_url;
      if (!url || !/^https?:\/\//i.test(url)) throw new Error("The server did not answer a Google address.");
      window.location.assign(url);
    }).catch(function (error) {
      busy(button, false);
      var text = errorText(error);
      if (error.code === "not_configured") {
        text = "Your admin has not set up the Google connection yet (" + error.message + ")";
      }
      setText("#connection-error", text);
    });
  }

  function confirmDisconnect() {
    var actions = $("#disconnect").parentNode;
    clearNotices();
    if ($("#disconnect-confirm")) return;
    var box = el("span", { id: "disconnect-confirm-box", className: "confirm" },
      "Stop syncing and remove calbridge's access? Your links are kept. ",
      el("button", { type: "button", id: "disconnect-confirm", className: "danger", textContent: "Yes, disconnect" }),
      el("button", { type: "button", id: "disconnect-cancel", className: "secondary", textContent: "Cancel" }));
    actions.appendChild(box);
    $("#disconnect-confirm").addEventListener("click", disconnect);
    $("#disconnect-cancel").addEventListener("click", cancelDisconnect);
  }

  function cancelDisconnect() {
    var box = $("#disconnect-confirm-box");
    if (box) box.remove();
  }

  function disconnect() {
    var button = $("#disconnect-confirm");
    busy(button, true, "Disconnecting…");
    clearNotices();
    api("POST", "disconnect", {}).then(function (answer) {
      return loadUser().then(function () {
        var text = answer && answer.revoked === false
          ? "Disconnected. Sync has stopped, but Google did not confirm that calbridge's access is gone: " +
            "you can remove it in your Google Account (Security → Third-party access). Your links are kept."
          : "Disconnected. Sync has stopped and calbridge's access to your Google Calendar was removed. " +
            "Your links are kept for when you connect again.";
        setMessage($("#connection-message"), text, "ok");
      });
    }).catch(function (error) {
      busy(button, false);
      setText("#connection-error", errorText(error));
    });
  }

  function refreshCalendars() {
    var button = $("#refresh-calendars");
    busy(button, true, "Refreshing…");
    clearNotices();
    api("POST", "calendars/refresh", {}).then(function () {
      busy(button, false);
      return loadUser();  // the list, its error and the links' pauses may all have changed
    }).catch(function (error) {
      busy(button, false);
      var text = errorText(error);
      // The connection may have changed (e.g. Google revoked access): show its current state,
      // and the error only when that state does not already explain it.
      return loadUser().then(function () {
        if ($("#connection-status").dataset.status === "connected") setText("#connection-error", text);
      });
    });
  }

  // ================================================================== the admin page

  var adminState = { uid: null };

  function adminPage() {
    $("#admin-settings-form").addEventListener("submit", saveSettings);
    $("#admin-types-form").addEventListener("submit", saveTypes);
    $("#admin-users-refresh").addEventListener("click", function () {
      setMessage($("#admin-users-message"), "");
      loadUsers();
    });
    $("#admin-users-attention").addEventListener("change", loadUsers);
    $("#admin-users-body").addEventListener("click", onUsersClick);

    startAuth(function (user, isAdmin) {
      adminState.uid = user.uid;
      if (!isAdmin) {
        show("#admins-only", true);
        show("#admin-section", false);
        return;
      }
      show("#admins-only", false);
      show("#admin-section", true);
      loadAdmin();
    }, function () {
      show("#admins-only", false);
      show("#admin-section", false);
    });
  }

  function forbidden(error) {
    if (error && error.status === 403) {
      show("#admin-section", false);
      show("#admins-only", true);
      return true;
    }
    return false;
  }

  function loadAdmin() {
    api("GET", "admin/settings").then(renderSettings).catch(function (error) {
      if (!forbidden(error)) setMessage($("#admin-settings-message"), errorText(error), "error");
    });
    api("GET", "activity-types").then(function (answer) {
      $("#admin-activity-types").value = (answer.activity_types || []).join("\n");
    }).catch(function (error) {
      if (!forbidden(error)) setMessage($("#admin-activity-types-message"), errorText(error), "error");
    });
    loadUsers();
  }

  function renderSettings(settings) {
    $("#admin-api-key").value = settings.api_key || "";
    $("#admin-client-id").value = settings.client_id || "";
    $("#admin-client-secret").value = "";
    $("#admin-redirect-url").value = settings.redirect_url || settings.expected_redirect_url || "";
    setText("#admin-expected-redirect-url", settings.expected_redirect_url || "");
    var pill = $("#admin-client-secret-state");
    pill.textContent = settings.client_secret_set ? "set" : "not set";
    pill.dataset.state = settings.client_secret_set ? "set" : "not-set";
    $("#admin-client-secret").placeholder = settings.client_secret_set ? "•••••• (saved; leave empty to keep)" : "";
    setText("#admin-settings-updated", settings.updated_at ? "Last saved " + formatTime(settings.updated_at) : "Not saved yet");
  }

  function clearFieldErrors(form) {
    $all("[data-field-error]", form).forEach(function (node) {
      node.textContent = "";
    });
    $all("[aria-invalid]", form).forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
  }

  function showFieldErrors(form, error) {
    var unplaced = [];
    Object.keys(error.fields || {}).forEach(function (field) {
      var target = $('[data-field-error="' + field + '"]', form);
      var input = $('[name="' + field + '"]', form);
      if (input) input.setAttribute("aria-invalid", "true");
      if (target) target.textContent = error.fields[field];
      else unplaced.push(field + ": " + error.fields[field]);
    });
    return unplaced;
  }

  function saveSettings(event) {
    event.preventDefault();
    var form = $("#admin-settings-form");
    var button = $("#admin-save");
    var message = $("#admin-settings-message");
    clearFieldErrors(form);
    setMessage(message, "");
    var body = {
      api_key: $("#admin-api-key").value.trim(),
      client_id: $("#admin-client-id").value.trim(),
      redirect_url: $("#admin-redirect-url").value.trim()
    };
    var secret = $("#admin-client-secret").value;
    if (secret) body.client_secret = secret;
    busy(button, true, "Saving and verifying…");
    api("PUT", "admin/settings", body).then(function (settings) {
      busy(button, false);
      renderSettings(settings);
      setMessage(message, "Saved. Google accepted the client settings.", "ok");
    }).catch(function (error) {
      busy(button, false);
      if (forbidden(error)) return;
      var unplaced = showFieldErrors(form, error);
      var text = errorText(error);
      if (error.code === "client_rejected") text = "Google rejected the client: " + error.message;
      if (unplaced.length) text += " " + unplaced.join("; ");
      setMessage(message, text, "error");
    });
  }

  function saveTypes(event) {
    event.preventDefault();
    var form = $("#admin-types-form");
    var button = $("#admin-activity-types-save");
    var message = $("#admin-activity-types-message");
    clearFieldErrors(form);
    setMessage(message, "");
    var types = $("#admin-activity-types").value.split("\n").map(function (line) {
      return line.trim();
    }).filter(function (line) {
      return line.length > 0;
    });
    busy(button, true, "Saving…");
    api("PUT", "admin/activity-types", { activity_types: types }).then(function (answer) {
      busy(button, false);
      var saved = answer.activity_types || [];
      $("#admin-activity-types").value = saved.join("\n");
      setMessage(message, "Saved: " + saved.join(", ") + ".", "ok");
    }).catch(function (error) {
      busy(button, false);
      if (forbidden(error)) return;
      var unplaced = showFieldErrors(form, error);
      var text = errorText(error);
      if (unplaced.length) text += " " + unplaced.join("; ");
      setMessage(message, text, "error");
    });
  }

  function loadUsers() {
    var button = $("#admin-users-refresh");
    busy(button, true, "Loading…");
    setText("#admin-users-error", "");
    var attention = $("#admin-users-attention").checked;
    api("GET", "admin/status" + (attention ? "?attention=true" : "")).then(function (answer) {
      busy(button, false);
      renderUsers(answer.users || []);
      setText("#admin-users-attention-count", "(" + (answer.attention || 0) + ")");
      var counts = answer.needs_reauth || {};
      var parts = Object.keys(counts).map(function (reason) {
        return counts[reason] + " " + (reason === "client_changed" ? "because the OAuth client changed" : "(" + reason + ")");
      });
      setText("#admin-users-reauth", parts.length ? "Users who must reconnect: " + parts.join(", ") + "." : "");
      show("#admin-users-reauth", parts.length > 0);
    }).catch(function (error) {
      busy(button, false);
      if (!forbidden(error)) setText("#admin-users-error", errorText(error));
    });
  }

  function renderUsers(users) {
    var body = $("#admin-users-body");
    body.textContent = "";
    if (!users.length) {
      body.appendChild(el("tr", {}, el("td", { colSpan: 5, className: "muted" }, "No users yet.")));
      return;
    }
    users.forEach(function (user) {
      var connection = user.connection || {};
      var status = connection.status || "disconnected";
      var connectionCell = el("td", { dataset: { label: "Connection" } },
        el("span", { className: "status status-" + status, dataset: { status: status } }, CONNECTION_TEXT[status] || status));
      if (connection.google_email) {
        connectionCell.appendChild(el("div", { className: "small muted google-account" }, "Google: " + connection.google_email));
      }
      if (connection.error) {
        connectionCell.appendChild(el("div", { className: "small error-text" },
          connection.error + (connection.error_at ? " (" + formatTime(connection.error_at) + ")" : "")));
      }
      var linksCell = el("td", { dataset: { label: "Links" } });
      var links = (user.links || []).filter(function (link) {
        return link.calendar_id;
      });
      if (!links.length) linksCell.appendChild(el("span", { className: "muted" }, "No links"));
      links.forEach(function (link) {
        var flags = [];
        if (link.export) flags.push("export");
        if (link.import) flags.push("import");
        if (link.import_existing) flags.push("import existing");
        var item = el("div", { className: "user-link", dataset: { type: link.activity_type } },
          link.activity_type + " → " + (link.calendar_summary || link.calendar_id) +
          (flags.length ? " (" + flags.join(", ") + ")" : ""));
        linksCell.appendChild(item);
        var runs = [runText("export", link.last_export), runText("import", link.last_import)].join(" · ");
        linksCell.appendChild(el("div", { className: "small muted" }, runs));
        var status = link.status || { state: "synced" };
        if (status.state === "error" || status.state === "paused") {
          linksCell.appendChild(el("div", { className: "small error-text", dataset: { state: status.state } },
            (status.state === "error" ? "Error: " : "Paused: ") + (status.message || status.reason || "")));
        }
      });

      var who = el("th", { scope: "row", className: "user-cell" },
        el("div", { className: "user-name" }, user.display_name || user.email || user.uid || ""),
        user.display_name && user.email ? el("div", { className: "small user-email" }, user.email) : null,
        el("div", { className: "small muted" }, "uid ", el("code", { className: "uid" }, user.uid || "")));
      if (user.attention) {
        who.insertBefore(el("span", { className: "attention-mark", title: "A link is in error or paused",
          dataset: { testid: "attention-mark" }, attrs: { role: "img", "aria-label": "Needs attention" } }, "●"), who.firstChild);
      }
      if (user.disabled) who.appendChild(el("div", { className: "small error-text" }, "Disabled"));
      if (user.deleted) who.appendChild(el("div", { className: "small error-text" }, "Deleted from sign-in (data kept)"));

      var adminCell = el("td", { className: "admin-cell", dataset: { label: "Admin" } },
        el("span", { className: user.admin ? "pill admin-pill" : "muted", dataset: { admin: String(!!user.admin) } },
          user.admin ? "Admin" : "User"));
      var self = user.uid === adminState.uid;
      if (!user.deleted) {
        var button = el("button", {
          type: "button",
          className: user.admin ? "secondary danger-text small-button" : "secondary small-button",
          textContent: user.admin ? "Remove admin" : "Make admin",
          disabled: self && user.admin,
          title: self && user.admin ? "You cannot remove your own admin rights here." : "",
          dataset: { adminUid: user.uid, adminGrant: String(!user.admin), adminName: user.email || user.uid }
        });
        button.setAttribute("aria-label", button.textContent + ": " + (user.email || user.uid));
        adminCell.appendChild(button);
      }

      body.appendChild(el("tr", { dataset: { uid: user.uid || "" } }, who, adminCell, connectionCell, linksCell));
    });
  }

  function onUsersClick(event) {
    var button = event.target.closest("button[data-admin-uid]");
    if (!button) return;
    var grant = button.dataset.adminGrant === "true";
    var name = button.dataset.adminName;
    var message = $("#admin-users-message");
    setMessage(message, "");
    busy(button, true, grant ? "Granting…" : "Removing…");
    api("POST", "admin/users/" + encodeURIComponent(button.dataset.adminUid) + "/admin", { admin: grant }).then(function () {
      setMessage(message, grant
        ? name + " is now an admin (from their next sign-in)."
        : name + " is no longer an admin; their current sign-ins were ended.", "ok");
      loadUsers();
    }).catch(function (error) {
      busy(button, false);
      if (!forbidden(error)) setMessage(message, errorText(error), "error");
    });
  }

  // ------------------------------------------------------------------ start

  function main() {
    if (typeof firebase === "undefined") {
      show("#loading", false);
      var main = $("#main");
      main.insertBefore(el("p", { className: "banner banner-error", attrs: { role: "alert" } },
        "The sign-in library could not be loaded. Reload the page; if it keeps failing, tell your admin."), main.firstChild);
      return;
    }
    if (page === "user") userPage();
    else if (page === "admin") adminPage();
    else if (page === "calendar") calendarPage();
  }

  // The calendar page lives in calendar.js (loaded before this file); it gets the helpers above.
  function calendarPage() {
    var start = window.CalbridgeCalendar && window.CalbridgeCalendar.start;
    if (!start || typeof FullCalendar === "undefined") {
      show("#loading", false);
      $("#main").insertBefore(el("p", { className: "banner banner-error", attrs: { role: "alert" } },
        "The calendar could not be loaded. Reload the page; if it keeps failing, tell your admin."), $("#main").firstChild);
      return;
    }
    start({
      config: config, $: $, $all: $all, el: el, setText: setText, show: show, setMessage: setMessage,
      busy: busy, api: api, errorText: errorText, startAuth: startAuth, formatTime: formatTime
    });
  }

  main();
})();
