// Task runner page: start an action's run with its parameters, stream its output from
// /api/tasks/runs/{id}/output (server-sent events `output` and `end`) into the page, cancel
// it; start a device scan and hand its progress bar to htmx (components/scan-progress).
(function () {
  "use strict";

  var output = document.getElementById("task-output");
  var statusBadge = document.getElementById("task-status");
  var cancelButton = document.getElementById("task-cancel");
  var runIdLabel = document.getElementById("task-run-id");
  var current = { runId: null, source: null };

  function statusText(status) {
    var texts = document.getElementById("task-status-texts");
    var match = texts && texts.content.querySelector('[data-status="' + status + '"]');
    return match ? match.textContent : status;
  }

  function setStatus(status) {
    statusBadge.dataset.status = status;
    statusBadge.textContent = statusText(status);
    statusBadge.className = "badge run-" + status;
  }

  function append(text) {
    var atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    output.append(document.createTextNode(text));
    if (atBottom) output.scrollTop = output.scrollHeight;
  }

  function refreshTables() {
    if (window.htmx) {
      htmx.trigger("#task-runs", "refresh");
    }
  }

  // Follows one run's output to its end; a run that already ended replays its stored output.
  function watch(runId, running) {
    if (current.source) current.source.close();
    output.textContent = "";
    current.runId = runId;
    runIdLabel.textContent = runId;
    setStatus(running ? "started" : "unknown");
    cancelButton.disabled = !running;
    var source = new EventSource("/api/tasks/runs/" + encodeURIComponent(runId) + "/output");
    current.source = source;
    source.addEventListener("output", function (event) { append(event.data); });
    source.addEventListener("end", function (event) {
      source.close();
      var status = "unknown";
      try { status = JSON.parse(event.data).status; } catch (error) { /* keep unknown */ }
      setStatus(status);
      if (current.runId === runId) cancelButton.disabled = true;
      refreshTables();
    });
    source.onerror = function () {
      // The stream ended without `end` (server gone): stop the browser's reconnecting.
      if (source.readyState !== EventSource.CLOSED) source.close();
      if (current.runId === runId) cancelButton.disabled = true;
    };
  }

  document.querySelectorAll("form.task-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var parameters = {};
      form.querySelectorAll("input[name]").forEach(function (input) {
        if (input.value !== "") parameters[input.name] = input.value;
      });
      var button = form.querySelector(".run-button");
      button.disabled = true;
      detectviz.api("POST", "/api/tasks/runs", { rule_id: form.dataset.rule, parameters: parameters })
        .then(function (run) { watch(run.run_id, true); refreshTables(); },
              function (error) { detectviz.showMessage("danger", error.message); })
        .finally(function () { button.disabled = false; });
    });
  });

  cancelButton.addEventListener("click", function () {
    if (!current.runId) return;
    cancelButton.disabled = true;
    detectviz.api("POST", "/api/tasks/runs/" + encodeURIComponent(current.runId) + "/cancel")
      .catch(function (error) { detectviz.showMessage("warning", error.message); });
  });

  document.getElementById("task-runs").addEventListener("click", function (event) {
    var button = event.target.closest(".show-output");
    if (button) watch(button.dataset.run, false);
  });

  var scanForm = document.getElementById("scan-form");
  scanForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var targets = scanForm.targets.value.split(/[\s,]+/).filter(function (target) { return target !== ""; });
    var settings = {
      snmp: {
        timeout_ms: Number(scanForm.timeout_ms.value) || 1000,
        credentials: [{ version: "v2c", community: scanForm.community.value || "public" }],
      },
    };
    var startButton = document.getElementById("scan-start");
    startButton.disabled = true;
    detectviz.api("POST", "/api/scans", { targets: targets, settings: settings })
      .then(function (scan) {
        var progress = document.getElementById("scan-progress");
        htmx.ajax("GET", "/components/scan-progress?id=" + encodeURIComponent(scan.id), { target: progress, swap: "innerHTML" });
      }, function (error) { detectviz.showMessage("danger", error.message); })
      .finally(function () { startButton.disabled = false; });
  });

  // When a scan's progress bar shows it ended, the scan list is refreshed once.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "scan-progress") return;
    var body = document.getElementById("scan-progress-body");
    if (body && body.dataset.status !== "running") htmx.trigger("#scan-rows", "refresh");
  });
})();
