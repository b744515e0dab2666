/* calbridge calendar page: the signed-in user's activities in a week / month / list calendar
 * (FullCalendar, vendored in vendor/fullcalendar.min.js), created, edited and deleted in a form
 * that calls the `activities` function. app.js signs in and hands over its helpers (start(kit)).
 *
 * Alongside them, the Google events of a linked calendar that import saw but did not take in
 * (GET google-events, *import existing* off): drawn hatched and labelled "Google, not in CRM", they
 * open a read-only dialog whose *Add into CRM* button makes one a CRM activity (POST .../add).
 *
 * Every value from the API reaches the page through textContent / DOM properties, never as HTML:
 * events are drawn with eventContent's domNodes, never with its html.
 */
(function () {
  "use strict";

  var POLL_MS = 3000;           // while a shown activity waits for Google
  var MAX_INSTANCES = 500;      // drawn per series and range, when a series is expanded here
  var DAY_MS = 86400000;
  var WEEKDAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

  var SYNC_TEXT = {
    pending: "Waiting for Google",
    synced: "In Google",
    error: "Sync error",
    not_exported: "Not exported",
    readonly: "Imported from Google (read-only)"
  };

  var kit, $, el, api, calendar;
  var state = { types: [], activities: {}, googleEvents: {}, shownGoogle: null, editing: null, pollTimer: null, lastError: "" };
  var GOOGLE_LABEL = "Google, not in CRM";

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function localDate(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
  }

  function localTime(date) {
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  /** "YYYY-MM-DD" + n days (calendar arithmetic in UTC, no time zone involved). */
  function addDays(day, n) {
    var parts = day.split("-").map(Number);
    var next = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]) + n * DAY_MS);
    return next.getUTCFullYear() + "-" + pad(next.getUTCMonth() + 1) + "-" + pad(next.getUTCDate());
  }

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    } catch (e) {
      return "UTC";
    }
  }

  // ------------------------------------------------------------------ wall time <-> instants

  var zoneFormats = {};

  /** Minutes east of UTC of `zone` at the instant `ms`. */
  function zoneOffset(ms, zone) {
    var format = zoneFormats[zone];
    if (!format) {
      format = zoneFormats[zone] = new Intl.DateTimeFormat("en-US", {
        timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit"
      });
    }
    var parts = {};
    format.formatToParts(new Date(ms)).forEach(function (part) {
      parts[part.type] = part.value;
    });
    var wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
    return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
  }

  /** The instant (ms) of a wall-clock date ("YYYY-MM-DD") and time ("HH:MM") in `zone`. */
  function wallToInstant(day, time, zone) {
    var d = day.split("-").map(Number);
    var t = time.split(":").map(Number);
    var wall = Date.UTC(d[0], d[1] - 1, d[2], t[0], t[1], t[2] || 0);
    var guess = wall - zoneOffset(wall, zone) * 60000;
    var second = wall - zoneOffset(guess, zone) * 60000;
    return second;
  }

  /** RFC 3339 with the zone's offset at that wall time: what the API wants for `start` / `end`. */
  function wallToRfc3339(day, time, zone) {
    var offset = zoneOffset(wallToInstant(day, time, zone), zone);
    var sign = offset < 0 ? "-" : "+";
    var abs = Math.abs(offset);
    return day + "T" + time + ":00" + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function validZone(zone) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch (e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ activities -> events

  function syncState(activity) {
    if (activity.read_only) return "readonly";
    return (activity.sync && activity.sync.state) || "pending";
  }

  function syncText(activity) {
    var key = syncState(activity);
    var text = SYNC_TEXT[key] || key;
    if (key === "error" && activity.sync && activity.sync.last_error) text += ": " + activity.sync.last_error;
    return text;
  }

  /** The spans of an activity to draw in [rangeStart, rangeEnd): one, or a series' instances. */
  function spans(activity, rangeStart, rangeEnd) {
    var first = activity.all_day
      ? { allDay: true, start: activity.start_date, end: addDays(activity.end_date, 1) }
      : { allDay: false, start: activity.start, end: activity.end };
    var rule = (activity.recurrence || []).filter(function (line) {
      return /^RRULE:/i.test(line);
    });
    if (rule.length !== 1) return [first];
    var instances = expand(activity, rule[0].slice(6), rangeStart, rangeEnd);
    return instances || [first];
  }

  function parseRule(text) {
    var rule = {};
    text.split(";").forEach(function (part) {
      var pair = part.split("=");
      if (pair.length === 2) rule[pair[0].toUpperCase()] = pair[1].toUpperCase();
    });
    return rule;
  }

  /** Instances of a simple RRULE (DAILY / WEEKLY with BYDAY / MONTHLY / YEARLY, INTERVAL, COUNT,
   *  UNTIL), with the activity's exceptions applied; null for a rule this page does not expand
   *  (the series is then shown at its first occurrence). Wall-clock times stay put across DST. */
  function expand(activity, text, rangeStart, rangeEnd) {
    var rule = parseRule(text);
    var supported = { FREQ: 1, INTERVAL: 1, COUNT: 1, UNTIL: 1, BYDAY: 1, WKST: 1 };
    var keys = Object.keys(rule);
    for (var i = 0; i < keys.length; i++) if (!supported[keys[i]]) return null;
    if (["DAILY", "WEEKLY", "MONTHLY", "YEARLY"].indexOf(rule.FREQ) < 0) return null;
    if (rule.BYDAY && (rule.FREQ !== "WEEKLY" || !/^(SU|MO|TU|WE|TH|FR|SA)(,(SU|MO|TU|WE|TH|FR|SA))*$/.test(rule.BYDAY))) {
      return null;
    }
    var interval = Math.max(1, parseInt(rule.INTERVAL || "1", 10) || 1);
    var count = rule.COUNT ? parseInt(rule.COUNT, 10) : Infinity;
    var until = null;
    if (rule.UNTIL) {
      var u = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(rule.UNTIL);
      if (!u) return null;
      until = Date.UTC(+u[1], +u[2] - 1, +u[3], u[4] ? +u[4] : 23, u[5] ? +u[5] : 59, u[6] ? +u[6] : 59);
    }
    var allDay = !!activity.all_day;
    var firstDay = allDay ? activity.start_date : activity.start.slice(0, 10);
    var clock = allDay ? "00:00" : activity.start.slice(11, 16);
    var zone = activity.time_zone || "UTC";
    var lengthMs = allDay
      ? (Date.parse(activity.end_date + "T00:00:00Z") - Date.parse(activity.start_date + "T00:00:00Z"))
      : Date.parse(activity.end) - Date.parse(activity.start);
    var exceptions = {};
    (activity.exceptions || []).forEach(function (exception) {
      var key = exception.original_date || (exception.original_start ? String(Date.parse(exception.original_start)) : "");
      if (key) exceptions[key] = exception;
    });

    var days = dayGenerator(rule, firstDay, interval);
    var out = [];
    var produced = 0;
    for (var guard = 0; guard < 20000 && produced < count; guard++) {
      var day = days();
      var startMs = allDay ? Date.parse(day + "T00:00:00Z") : wallToInstant(day, clock, zone);
      if (until !== null && startMs > until) break;
      produced++;
      if (!allDay && startMs >= rangeEnd.getTime()) break;
      if (allDay && Date.parse(day + "T00:00:00Z") - DAY_MS >= rangeEnd.getTime()) break;
      var exception = exceptions[allDay ? day : String(startMs)];
      if (exception && exception.cancelled) continue;
      var span;
      if (allDay) {
        var lastDay = addDays(day, Math.round(lengthMs / DAY_MS));
        span = { allDay: true, start: day, end: addDays(lastDay, 1) };
        if (exception && exception.start_date) span = { allDay: true, start: exception.start_date, end: addDays(exception.end_date, 1) };
      } else {
        span = { allDay: false, start: new Date(startMs).toISOString(), end: new Date(startMs + lengthMs).toISOString() };
        if (exception && exception.start) span = { allDay: false, start: exception.start, end: exception.end };
      }
      if (Date.parse(span.end) <= rangeStart.getTime() - (span.allDay ? DAY_MS : 0)) continue;  // before the range
      if (exception && exception.subject) span.subject = exception.subject;
      span.instance = produced;
      out.push(span);
      if (out.length >= MAX_INSTANCES) break;
    }
    return out;
  }

  /** A function answering the series' days one by one, from its first day. */
  function dayGenerator(rule, firstDay, interval) {
    var step = 0;
    var f = firstDay.split("-").map(Number);
    if (rule.FREQ === "WEEKLY" && rule.BYDAY) {
      var wanted = rule.BYDAY.split(",").map(function (code) {
        return (WEEKDAYS.indexOf(code) + 6) % 7;  // Monday 0 ... Sunday 6
      }).sort();
      var firstWeekday = (new Date(Date.UTC(f[0], f[1] - 1, f[2])).getUTCDay() + 6) % 7;
      var monday = addDays(firstDay, -firstWeekday);
      var queue = [];
      var week = 0;
      return function () {
        while (!queue.length) {
          var weekStart = addDays(monday, 7 * interval * week);
          week++;
          queue = wanted.map(function (offset) {
            return addDays(weekStart, offset);
          }).filter(function (day) {
            return day >= firstDay;
          });
        }
        return queue.shift();
      };
    }
    return function () {
      for (;;) {
        var n = step++;
        if (rule.FREQ === "DAILY") return addDays(firstDay, n * interval);
        if (rule.FREQ === "WEEKLY") return addDays(firstDay, 7 * n * interval);
        var months = rule.FREQ === "MONTHLY" ? n * interval : 12 * n * interval;
        var date = new Date(Date.UTC(f[0], f[1] - 1 + months, f[2]));
        if (date.getUTCDate() !== f[2]) continue;  // no 31st that month: no instance (RFC 5545)
        return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" + pad(date.getUTCDate());
      }
    };
  }

  function toEvents(activities, rangeStart, rangeEnd) {
    var events = [];
    activities.forEach(function (activity) {
      spans(activity, rangeStart, rangeEnd).forEach(function (span, index) {
        events.push({
          id: activity.id + (span.instance ? "#" + span.instance : index ? "#" + index : ""),
          title: span.subject || activity.subject,
          start: span.start,
          end: span.end,
          allDay: span.allDay,
          classNames: ["sync-" + syncState(activity)],
          extendedProps: { activityId: activity.id }
        });
      });
    });
    return events;
  }

  /** A Google event not in the CRM -> one FullCalendar event (all-day rows end inclusive). */
  function googleToEvent(row) {
    return {
      id: "google:" + row.id,
      title: row.summary || "(no title)",
      start: row.all_day ? row.start_date : row.start,
      end: row.all_day ? addDays(row.end_date || row.start_date, 1) : row.end,
      allDay: !!row.all_day,
      classNames: ["gevent"],
      extendedProps: { googleId: row.id }
    };
  }

  function loadEvents(info, success, failure) {
    var path = "?start=" + encodeURIComponent(info.start.toISOString()) + "&end=" + encodeURIComponent(info.end.toISOString());
    var base = { base: kit.config.activitiesBase };
    // The Google events are fetched alongside; if that fails, the activities are still shown.
    var google = api("GET", "google-events" + path, undefined, base).then(function (answer) {
      return { rows: (answer && answer.google_events) || [] };
    }, function (error) {
      return { rows: [], error: error };
    });
    Promise.all([api("GET", path, undefined, base), google]).then(function (answers) {
      var list = (answers[0] && answers[0].activities) || [];
      var rows = answers[1].rows;
      state.activities = {};
      list.forEach(function (activity) {
        state.activities[activity.id] = activity;
      });
      state.googleEvents = {};
      rows.forEach(function (row) {
        state.googleEvents[row.id] = row;
      });
      kit.setText("#calendar-error", answers[1].error
        ? "Could not load the Google events not in the CRM: " + kit.errorText(answers[1].error) : "");
      renderStatus(list, rows.length);
      success(toEvents(list, info.start, info.end).concat(rows.map(googleToEvent)));
    }).catch(function (error) {
      kit.setText("#calendar-error", "Could not load your activities: " + kit.errorText(error));
      failure(error);
    });
  }

  function renderStatus(list, googleCount) {
    var pending = list.filter(function (a) { return syncState(a) === "pending"; }).length;
    var errors = list.filter(function (a) { return syncState(a) === "error"; }).length;
    var parts = [];
    if (pending) parts.push(pending + (pending === 1 ? " activity is" : " activities are") + " waiting for Google…");
    if (errors) parts.push(errors + (errors === 1 ? " activity has" : " activities have") + " a sync error.");
    if (!parts.length) parts.push(list.length ? "Everything shown is in step with Google." : "No activities in this period.");
    if (googleCount) {
      parts.push(googleCount + (googleCount === 1 ? " Google event is" : " Google events are") + " not in the CRM; open one to add it.");
    }
    kit.setText("#calendar-status", parts.join(" "));
    var status = $("#calendar-status");
    status.dataset.pending = String(pending);
    clearTimeout(state.pollTimer);
    state.pollTimer = pending ? setTimeout(function () {
      if (calendar) calendar.refetchEvents();
    }, POLL_MS) : null;
  }

  function googleContent(arg) {
    // The label first: a short event in the week view shows its first line or two only.
    var wrap = el("div", { className: "ev ev-google" });
    wrap.appendChild(el("span", { className: "ev-tag ev-tag-google" }, GOOGLE_LABEL));
    if (arg.timeText) wrap.appendChild(el("span", { className: "ev-time" }, arg.timeText));
    wrap.appendChild(el("span", { className: "ev-title" }, arg.event.title));
    return { domNodes: [wrap] };
  }

  function googleDidMount(arg) {
    var node = arg.el;
    node.dataset.googleEventId = arg.event.extendedProps.googleId;
    node.dataset.kind = "google";
    var when = arg.event.allDay ? "all day" : arg.event.start ? kit.formatTime(arg.event.start.toISOString()) : "";
    var label = arg.event.title + ", " + when + ". " + GOOGLE_LABEL + ": open to add it into the CRM.";
    node.setAttribute("aria-label", label);
    node.title = label;
  }

  function eventContent(arg) {
    if (arg.event.extendedProps.googleId) return googleContent(arg);
    var activity = state.activities[arg.event.extendedProps.activityId] || {};
    var key = syncState(activity);
    var nodes = [el("span", { className: "sync-dot sync-" + key, attrs: { "aria-hidden": "true" } })];
    if (arg.timeText) nodes.push(el("span", { className: "ev-time" }, arg.timeText));
    nodes.push(el("span", { className: "ev-title" }, arg.event.title));
    if (activity.read_only) nodes.push(el("span", { className: "ev-tag" }, "Google"));
    if (key === "error") nodes.push(el("span", { className: "ev-tag ev-tag-error" }, "Error"));
    var wrap = el("div", { className: "ev" });
    nodes.forEach(function (node) {
      wrap.appendChild(node);
    });
    return { domNodes: [wrap] };
  }

  /** The list view makes an event keyboard-reachable only through its default title link, which our
   *  own content replaces: its row gets the focus and Enter / Space instead (a click, as the mouse's). */
  function keyboardRow(node) {
    if (!node.classList.contains("fc-list-event") || node.dataset.keyboard) return;
    node.dataset.keyboard = "1";
    node.tabIndex = 0;
    node.addEventListener("keydown", function (event) {
      if (event.target !== node || (event.key !== "Enter" && event.key !== " ")) return;
      event.preventDefault();
      node.click();
    });
  }

  function eventDidMount(arg) {
    keyboardRow(arg.el);
    if (arg.event.extendedProps.googleId) return googleDidMount(arg);
    var activity = state.activities[arg.event.extendedProps.activityId] || {};
    var node = arg.el;
    node.dataset.activityId = activity.id || "";
    node.dataset.syncState = syncState(activity);
    var when = arg.event.allDay ? "all day" : arg.event.start ? kit.formatTime(arg.event.start.toISOString()) : "";
    var label = arg.event.title + ", " + when + ". " + syncText(activity) + ".";
    node.setAttribute("aria-label", label);
    node.title = label;
  }

  // ------------------------------------------------------------------ the form

  function fill(id, value) {
    $("#" + id).value = value === null || value === undefined ? "" : value;
  }

  function typeOptions(selected) {
    var select = $("#activity-type");
    select.textContent = "";
    var types = state.types.slice();
    if (selected && types.indexOf(selected) < 0) types.push(selected);
    types.forEach(function (type) {
      select.appendChild(el("option", { value: type }, type));
    });
    select.value = selected || types[0] || "";
  }

  function clearErrors() {
    kit.$all("[data-field-error]").forEach(function (node) {
      node.textContent = "";
    });
    kit.$all("#activity-form [aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
    kit.setText("#activity-error", "");
  }

  function setAllDay(allDay) {
    $("#activity-all-day").checked = allDay;
    kit.$all(".time-field").forEach(function (node) {
      node.hidden = allDay;
    });
  }

  function openForm(activity, preset) {
    var form = $("#activity-form");
    var readOnly = !!(activity && activity.read_only);
    state.editing = activity || null;
    clearErrors();
    cancelDelete();
    form.dataset.mode = activity ? (readOnly ? "readonly" : "edit") : "new";
    kit.setText("#activity-title", activity ? (readOnly ? "Imported activity" : "Edit activity") : "New activity");
    typeOptions(activity ? activity.activity_type : preset.type);
    fill("activity-subject", activity ? activity.subject : "");
    fill("activity-status", activity ? activity.status || "Planned" : "Planned");
    fill("activity-location", activity ? activity.location : "");
    fill("activity-description", activity ? activity.description : "");
    var zone = (activity && activity.time_zone) || browserZone();
    fill("activity-time-zone", zone);
    if (activity && activity.all_day) {
      setAllDay(true);
      fill("activity-start-date", activity.start_date);
      fill("activity-end-date", activity.end_date);
      fill("activity-start-time", "09:00");
      fill("activity-end-time", "10:00");
    } else if (activity) {
      // The API answers a timed activity in its own zone: the wall time is in the string.
      setAllDay(false);
      fill("activity-start-date", activity.start.slice(0, 10));
      fill("activity-start-time", activity.start.slice(11, 16));
      fill("activity-end-date", activity.end.slice(0, 10));
      fill("activity-end-time", activity.end.slice(11, 16));
    } else {
      setAllDay(preset.allDay);
      fill("activity-start-date", preset.startDate);
      fill("activity-start-time", preset.startTime);
      fill("activity-end-date", preset.endDate);
      fill("activity-end-time", preset.endTime);
    }

    var sync = $("#activity-sync");
    if (activity) {
      var key = syncState(activity);
      sync.dataset.state = key;
      sync.className = "sync-line sync-line-" + key;
      var text = syncText(activity);
      if (key === "synced" && activity.sync && activity.sync.synced_at) text += " (since " + kit.formatTime(activity.sync.synced_at) + ")";
      if (key === "pending" && activity.sync && activity.sync.last_error) text += " (last try: " + activity.sync.last_error + ")";
      if (key === "not_exported") text += ": no calendar with Export on is linked to this activity type.";
      sync.textContent = text;
    }
    kit.show(sync, !!activity);
    var repeats = activity && (activity.recurrence || []).length;
    kit.setText("#activity-recurrence", repeats
      ? "Repeats (" + activity.recurrence.join("; ") + "). Changes here apply to the whole series; the times are its first occurrence's."
      : "");
    kit.show("#activity-recurrence", !!repeats);

    kit.show("#activity-readonly-note", readOnly);
    $("#activity-fields").disabled = readOnly;
    kit.show("#activity-save", !readOnly);
    kit.show("#activity-delete", !!activity && !readOnly);
    kit.setText("#activity-cancel", readOnly ? "Close" : "Cancel");

    var dialog = $("#activity-dialog");
    if (!dialog.open) dialog.showModal();
    (readOnly ? $("#activity-close") : $("#activity-subject")).focus();
  }

  function closeForm() {
    var dialog = $("#activity-dialog");
    if (dialog.open) dialog.close();
    state.editing = null;
  }

  function readForm() {
    var body = {
      activity_type: $("#activity-type").value,
      subject: $("#activity-subject").value.trim(),
      status: $("#activity-status").value,
      location: $("#activity-location").value.trim(),
      description: $("#activity-description").value
    };
    var startDate = $("#activity-start-date").value;
    var endDate = $("#activity-end-date").value;
    var local = {};
    if (!body.subject) local.subject = "Enter a subject.";
    if (!startDate) local.start = "Choose a start date.";
    if (!endDate) local.end = "Choose an end date.";
    if ($("#activity-all-day").checked) {
      body.all_day = true;
      body.start_date = startDate;
      body.end_date = endDate;
      if (startDate && endDate && endDate < startDate) local.end = "The end date cannot be before the start date.";
    } else {
      var zone = $("#activity-time-zone").value.trim();
      var startTime = $("#activity-start-time").value;
      var endTime = $("#activity-end-time").value;
      if (!zone || !validZone(zone)) local.time_zone = "Choose a time zone from the list (e.g. Europe/Madrid).";
      if (!startTime) local.start = "Choose a start time.";
      if (!endTime) local.end = "Choose an end time.";
      body.all_day = false;
      body.time_zone = zone;
      if (!local.start && !local.end && !local.time_zone) {
        body.start = wallToRfc3339(startDate, startTime, zone);
        body.end = wallToRfc3339(endDate, endTime, zone);
        if (Date.parse(body.end) <= Date.parse(body.start)) local.end = "The end must be after the start.";
      }
    }
    return { body: body, errors: local };
  }

  var FIELD_TARGETS = { start_date: "start", end_date: "end", all_day: "start" };
  var FIELD_INPUTS = {
    subject: "activity-subject", activity_type: "activity-type", status: "activity-status",
    start: "activity-start-date", end: "activity-end-date", time_zone: "activity-time-zone",
    location: "activity-location", description: "activity-description"
  };

  function showErrors(fields) {
    var unplaced = [];
    Object.keys(fields).forEach(function (field) {
      var name = FIELD_TARGETS[field] || field;
      var target = $('[data-field-error="' + name + '"]');
      if (FIELD_INPUTS[name]) $("#" + FIELD_INPUTS[name]).setAttribute("aria-invalid", "true");
      if (target) target.textContent = target.textContent ? target.textContent + " " + fields[field] : fields[field];
      else unplaced.push(field + ": " + fields[field]);
    });
    return unplaced;
  }

  function save(event) {
    event.preventDefault();
    var editing = state.editing;
    if (editing && editing.read_only) return;
    clearErrors();
    var read = readForm();
    if (Object.keys(read.errors).length) {
      showErrors(read.errors);
      kit.setText("#activity-error", "Check the marked fields.");
      return;
    }
    var button = $("#activity-save");
    kit.busy(button, true, "Saving…");
    var request = editing
      ? api("PATCH", encodeURIComponent(editing.id), read.body, { base: kit.config.activitiesBase })
      : api("POST", "", read.body, { base: kit.config.activitiesBase });
    request.then(function (saved) {
      kit.busy(button, false);
      closeForm();
      announce((editing ? "Saved “" : "Created “") + saved.subject + "”. " + syncText(saved) + ".");
      if (!editing && calendar) calendar.gotoDate(saved.all_day ? saved.start_date : saved.start);
      if (calendar) calendar.refetchEvents();
    }).catch(function (error) {
      kit.busy(button, false);
      var unplaced = showErrors(error.fields || {});
      var text = kit.errorText(error);
      if (unplaced.length) text += " " + unplaced.join("; ");
      kit.setText("#activity-error", text);
    });
  }

  function askDelete() {
    kit.show("#activity-delete", false);
    kit.show("#activity-delete-confirm-box", true);
    $("#activity-delete-confirm").focus();
  }

  function cancelDelete() {
    kit.show("#activity-delete-confirm-box", false);
  }

  function remove() {
    var editing = state.editing;
    if (!editing) return;
    var button = $("#activity-delete-confirm");
    kit.busy(button, true, "Deleting…");
    api("DELETE", encodeURIComponent(editing.id), undefined, { base: kit.config.activitiesBase }).then(function (answer) {
      kit.busy(button, false);
      closeForm();
      announce(answer
        ? "Deleted “" + editing.subject + "”; Google's copy is removed as soon as Google answers."
        : "Deleted “" + editing.subject + "”, also from Google.");
      if (calendar) calendar.refetchEvents();
    }).catch(function (error) {
      kit.busy(button, false);
      kit.setText("#activity-error", kit.errorText(error));
    });
  }

  function announce(text) {
    kit.setMessage($("#calendar-message"), text, "ok");
  }

  // ------------------------------------------------------------------ a Google event not in the CRM

  /** "Dec 9, 2026, 11:00 AM – 12:00 PM (Europe/Madrid)": in the event's own zone, as Google shows it. */
  function googleWhen(row) {
    if (row.all_day) {
      return row.end_date && row.end_date !== row.start_date
        ? row.start_date + " – " + row.end_date + " (all day)" : row.start_date + " (all day)";
    }
    var zone = row.time_zone && validZone(row.time_zone) ? row.time_zone : undefined;
    var day = { year: "numeric", month: "short", day: "numeric", timeZone: zone };
    var time = { hour: "2-digit", minute: "2-digit", timeZone: zone };
    var start = new Date(row.start);
    var end = new Date(row.end);
    if (isNaN(start.getTime()) || isNaN(end.getTime())) return String(row.start) + " – " + String(row.end);
    var sameDay = start.toLocaleDateString(undefined, day) === end.toLocaleDateString(undefined, day);
    var text = start.toLocaleDateString(undefined, day) + ", " + start.toLocaleTimeString(undefined, time) + " – " +
      (sameDay ? "" : end.toLocaleDateString(undefined, day) + ", ") + end.toLocaleTimeString(undefined, time);
    return zone ? text + " (" + zone + ")" : text;
  }

  function openGoogle(row) {
    state.shownGoogle = row;
    kit.setText("#google-title", row.summary || "(no title)");
    kit.setText("#google-when", googleWhen(row));
    kit.setText("#google-location", row.location || "");
    kit.$all(".google-location-row").forEach(function (node) {
      node.hidden = !row.location;
    });
    kit.setText("#google-type", row.activity_type || "");
    kit.show("#google-recurring", !!row.recurring);
    kit.setText("#google-note", "This event is in your Google calendar but not in the CRM" +
      (row.reason ? " (" + row.reason + ")" : "") +
      ". Add into CRM makes it a CRM activity linked to this same Google event: no copy is made in Google, and later edits here reach it.");
    var link = $("#google-link");
    var safe = typeof row.html_link === "string" && /^https:\/\//i.test(row.html_link);
    link.href = safe ? row.html_link : "#";
    link.hidden = !safe;
    kit.setText("#google-error", "");
    var add = $("#google-add");
    add.disabled = false;
    add.hidden = false;
    kit.setText("#google-cancel", "Close");
    var dialog = $("#google-dialog");
    if (!dialog.open) dialog.showModal();
    add.focus();
  }

  function closeGoogle() {
    var dialog = $("#google-dialog");
    if (dialog.open) dialog.close();
    state.shownGoogle = null;
  }

  var ADD_ERRORS = {
    already_added: "This Google event is already in the CRM (added earlier, perhaps in another tab). The calendar now shows it as a CRM activity.",
    unknown_google_event: "This Google event is no longer offered: it was deleted in Google or imported meanwhile. The calendar is refreshed."
  };

  function addGoogle() {
    var row = state.shownGoogle;
    if (!row) return;
    var button = $("#google-add");
    kit.setText("#google-error", "");
    kit.busy(button, true, "Adding…");
    api("POST", "google-events/" + encodeURIComponent(row.id) + "/add", undefined, { base: kit.config.activitiesBase })
      .then(function (added) {
        kit.busy(button, false);
        closeGoogle();
        announce("Added “" + added.subject + "” into the CRM. " + syncText(added) + ".");
        if (calendar) calendar.refetchEvents();
      }).catch(function (error) {
        kit.busy(button, false);
        var known = ADD_ERRORS[error.code];
        kit.setText("#google-error", known || "Could not add it: " + kit.errorText(error));
        if (known) {
          button.hidden = true;  // nothing more to do with this one
          $("#google-cancel").focus();
          if (calendar) calendar.refetchEvents();
        }
      });
  }

  // ------------------------------------------------------------------ presets for a new activity

  function nextHourPreset() {
    var start = new Date();
    start.setMinutes(0, 0, 0);
    start.setHours(start.getHours() + 1);
    var end = new Date(start.getTime() + 3600000);
    return {
      allDay: false, startDate: localDate(start), startTime: localTime(start),
      endDate: localDate(end), endTime: localTime(end), type: null
    };
  }

  function selectionPreset(info) {
    if (info.allDay) {
      var last = new Date(info.end.getTime() - 1);
      return { allDay: true, startDate: localDate(info.start), endDate: localDate(last), startTime: "09:00", endTime: "10:00" };
    }
    return {
      allDay: false, startDate: localDate(info.start), startTime: localTime(info.start),
      endDate: localDate(info.end), endTime: localTime(info.end)
    };
  }

  // ------------------------------------------------------------------ start

  function narrow() {
    return window.matchMedia("(max-width: 760px)").matches;
  }

  /** ``?date=YYYY-MM-DD`` opens the calendar on that day's week (a link to a given week). */
  function initialDate() {
    var match = /^\d{4}-\d{2}-\d{2}$/.exec(new URLSearchParams(window.location.search).get("date") || "");
    return match ? match[0] : undefined;
  }

  function buildCalendar() {
    calendar = new FullCalendar.Calendar($("#calendar"), {
      initialDate: initialDate(),
      timeZone: "local",
      initialView: narrow() ? "listWeek" : "timeGridWeek",
      headerToolbar: narrow()
        ? { left: "title", center: "", right: "prev,next today timeGridWeek,dayGridMonth,listWeek" }
        : { left: "prev,next today", center: "title", right: "timeGridWeek,dayGridMonth,listWeek" },
      buttonText: { today: "Today", week: "Week", month: "Month", list: "List" },
      buttonHints: { prev: "Previous $0", next: "Next $0", today: "This $0" },
      firstDay: 1,
      height: "auto",
      datesSet: function (info) {
        // The week: the whole day in a scrolling box, opened at the morning; month and list: as tall as they are.
        var height = info.view.type === "timeGridWeek" ? (narrow() ? 620 : 760) : "auto";
        if (calendar && calendar.getOption("height") !== height) calendar.setOption("height", height);
      },
      scrollTime: "07:00:00",
      nowIndicator: true,
      dayMaxEvents: true,
      eventInteractive: true,
      selectable: true,
      selectMirror: true,
      longPressDelay: 400,
      noEventsText: "No activities this week.",
      events: loadEvents,
      eventContent: eventContent,
      eventDidMount: eventDidMount,
      eventClick: function (info) {
        info.jsEvent.preventDefault();
        var googleId = info.event.extendedProps.googleId;
        if (googleId) {
          if (state.googleEvents[googleId]) openGoogle(state.googleEvents[googleId]);
          return;
        }
        var activity = state.activities[info.event.extendedProps.activityId];
        if (activity) openForm(activity);
      },
      select: function (info) {
        calendar.unselect();
        var preset = selectionPreset(info);
        openForm(null, preset);
      }
    });
    calendar.render();
  }

  function start(helpers) {
    kit = helpers;
    $ = kit.$;
    el = kit.el;
    api = kit.api;

    var zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    var list = $("#time-zones");
    zones.concat(["UTC"]).forEach(function (zone) {
      list.appendChild(el("option", { value: zone }));
    });

    var bar = $(".calendar-bar");
    bar.appendChild(el("p", { id: "calendar-message", className: "message small", attrs: { role: "status", "aria-live": "polite", "data-testid": "calendar-message" } }));
    $("#new-activity").addEventListener("click", function () {
      kit.setMessage($("#calendar-message"), "");
      openForm(null, nextHourPreset());
    });
    $("#activity-form").addEventListener("submit", save);
    $("#activity-form").addEventListener("input", function (event) {
      // A field being corrected loses its mark; the others keep theirs until the next save.
      if (event.target.getAttribute("aria-invalid")) {
        event.target.removeAttribute("aria-invalid");
        var name = Object.keys(FIELD_INPUTS).filter(function (key) { return FIELD_INPUTS[key] === event.target.id; })[0];
        if (name) kit.setText('[data-field-error="' + name + '"]', "");
      }
    });
    $("#activity-cancel").addEventListener("click", closeForm);
    $("#activity-close").addEventListener("click", closeForm);
    $("#activity-delete").addEventListener("click", askDelete);
    $("#activity-delete-confirm").addEventListener("click", remove);
    $("#activity-all-day").addEventListener("change", function () {
      setAllDay($("#activity-all-day").checked);
    });
    $("#activity-dialog").addEventListener("close", function () {
      state.editing = null;
    });
    $("#google-add").addEventListener("click", addGoogle);
    $("#google-cancel").addEventListener("click", closeGoogle);
    $("#google-close").addEventListener("click", closeGoogle);
    $("#google-dialog").addEventListener("close", function () {
      state.shownGoogle = null;
    });

    kit.startAuth(function () {
      kit.show("#calendar-section", true);
      api("GET", "activity-types").then(function (answer) {
        state.types = (answer && answer.activity_types) || [];
      }).catch(function (error) {
        kit.setText("#calendar-error", "Could not load the activity types: " + kit.errorText(error));
      });
      if (!calendar) buildCalendar();
      else calendar.refetchEvents();
    }, function () {
      kit.show("#calendar-section", false);
      clearTimeout(state.pollTimer);
      closeForm();
      closeGoogle();
      if (calendar) {
        calendar.destroy();
        calendar = null;
      }
      state.activities = {};
      state.googleEvents = {};
    });
  }

  window.CalbridgeCalendar = { start: start };
})();
