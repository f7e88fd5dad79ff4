// table-config, routes tab: the notifier's route tree and receivers from
// GET /api/notifier/routes, read-only (they come from the [notifier] section of the config
// file). Children are indented under their parent; an inherited receiver is shown greyed.
(function () {
  "use strict";
  var config = window.detectvizConfig;
  var labels = config.labels;
  var routesTable = null;
  var receiversTable = null;

  function duration(seconds) {
    if (seconds % 3600 === 0 && seconds >= 3600) return seconds / 3600 + "h";
    if (seconds % 60 === 0 && seconds >= 60) return seconds / 60 + "m";
    return seconds + "s";
  }

  function routeRow(route) {
    return {
      path: route.path, depth: route.depth,
      matchers: route.matchers.map(function (matcher) { return matcher.name + matcher.op + JSON.stringify(matcher.value); }).join(", ") || "*",
      receiver: route.receiver, receiver_inherited: route.receiver_inherited, continue: route.continue,
      group_by: route.group_by.join(", "),
      timers: [route.group_wait_s, route.group_interval_s, route.repeat_interval_s].map(duration).join(" / "),
      active_time: route.active_time || "",
    };
  }

  function pathFormatter(cell) {
    var span = document.createElement("span");
    span.style.paddingLeft = (cell.getRow().getData().depth * 1.25) + "rem";
    span.textContent = (cell.getRow().getData().depth > 0 ? "└ " : "") + cell.getValue();
    return span;
  }

  function receiverFormatter(cell) {
    var span = document.createElement("span");
    var inherited = cell.getRow().getData().receiver_inherited;
    span.textContent = cell.getValue() + (inherited ? " (" + labels.inherited + ")" : "");
    if (inherited) span.className = "text-body-secondary";
    return span;
  }

  function load() {
    config.request("GET", "/api/notifier/routes").then(function (answer) {
      document.getElementById("routes-none").classList.toggle("d-none", answer.configured);
      routesTable.replaceData(answer.routes.map(routeRow));
      receiversTable.replaceData(answer.receivers.map(function (receiver) {
        return { name: receiver.name, channels: receiver.channels.map(function (channel) { return channel.name + " (" + channel.kind + ")"; }).join(", ") };
      }));
    }, function (error) { detectviz.showMessage("danger", error.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    routesTable = new Tabulator("#routes-table", {
      layout: "fitDataStretch", placeholder: "—", height: "auto", columnDefaults: { headerSort: false },
      columns: [
        { title: labels.path, field: "path", minWidth: 110, formatter: pathFormatter },
        { title: labels.matchers, field: "matchers", minWidth: 200, widthGrow: 2, formatter: "textarea" },
        { title: labels.receiver, field: "receiver", minWidth: 140, formatter: receiverFormatter },
        { title: labels.continue, field: "continue", width: 100, formatter: "tickCross", hozAlign: "center" },
        { title: labels.group_by, field: "group_by", minWidth: 140 },
        { title: labels.timers, field: "timers", minWidth: 150 },
        { title: labels.active_time, field: "active_time", minWidth: 200, formatter: "textarea" },
      ],
    });
    receiversTable = new Tabulator("#receivers-table", {
      layout: "fitDataStretch", placeholder: "—", height: "auto", columnDefaults: { headerSort: false },
      columns: [
        { title: labels.receiver, field: "name", minWidth: 160 },
        { title: labels.channels, field: "channels", minWidth: 300, widthGrow: 3 },
      ],
    });
    routesTable.on("tableBuilt", load);
    config.register("routes", routesTable, function () { receiversTable.redraw(true); });
  });
})();
