// Log viewer: follow mode. While the switch is on, new entries that match the filters
// arrive over /console/logs/events (SSE `log` events carrying a rendered row) and are put
// on top of the table; the table keeps at most MAX_ROWS rows.
(function () {
  "use strict";
  var MAX_ROWS = 2000;
  var form = document.getElementById("log-filters");
  var followSwitch = document.getElementById("log-follow");
  var source = null;

  function stop() {
    if (source) source.close();
    source = null;
    document.body.dataset.following = "";
  }

  function start() {
    stop();
    var parameters = new URLSearchParams(new FormData(form));
    source = new EventSource("/console/logs/events?" + parameters.toString());
    source.addEventListener("open", function () { document.body.dataset.following = "1"; });
    source.addEventListener("log", function (event) {
      var body = document.getElementById("log-body");
      if (!body) return;
      var empty = document.getElementById("log-empty");
      if (empty) empty.remove();
      body.insertAdjacentHTML("afterbegin", event.data);
      while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
    });
  }

  followSwitch.addEventListener("change", function () {
    if (followSwitch.checked) start(); else stop();
  });
  // New filters: the table is reloaded by htmx; the follower follows the new filters.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "log-rows" && followSwitch.checked) start();
  });
  window.addEventListener("beforeunload", stop);
})();
