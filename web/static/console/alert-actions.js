// The alert table's row buttons, handled once for the whole page (rows carry no scripts of
// their own, so a table of thousands of alerts stays small): details in the side panel,
// acknowledge, silence for one hour (the alert's labels are read from /api/alerts/{id}).
(function () {
  "use strict";

  function fingerprintOf(button) {
    var row = button.closest("tr[data-fingerprint]");
    return row ? row.dataset.fingerprint : null;
  }

  function showDetail(fingerprint) {
    htmx.ajax("GET", "/components/alert-detail?fingerprint=" + encodeURIComponent(fingerprint), {
      target: "#alert-detail", swap: "innerHTML",
    }).then(function () {
      if (document.querySelector("#alert-detail #alert-detail-card")) {
        bootstrap.Offcanvas.getOrCreateInstance("#alert-detail-panel").show();
      }
    });
  }

  function acknowledge(button, fingerprint) {
    button.disabled = true;
    detectviz.api("POST", "/api/alerts/" + encodeURIComponent(fingerprint) + "/ack", { comment: "" }).then(
      function () { htmx.trigger("#alert-rows", "refresh"); },
      function (error) { button.disabled = false; detectviz.showMessage("danger", error.message); }
    );
  }

  function silence(button, fingerprint) {
    var done = button.closest("table").dataset.silenced;
    detectviz.api("GET", "/api/alerts/" + encodeURIComponent(fingerprint)).then(function (answer) {
      return detectviz.silenceLabels(answer.alert.labels, 1);
    }).then(
      function () { detectviz.showMessage("success", done); },
      function (error) { detectviz.showMessage("danger", error.message); }
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("#alert-rows button");
    if (!button) return;
    var fingerprint = fingerprintOf(button);
    if (!fingerprint) return;
    if (button.classList.contains("detail-button")) showDetail(fingerprint);
    else if (button.classList.contains("ack-button")) acknowledge(button, fingerprint);
    else if (button.classList.contains("silence-button")) silence(button, fingerprint);
  });
})();
