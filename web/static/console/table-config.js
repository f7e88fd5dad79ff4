// table-config: Tabulator editors over /api/rules and /api/contacts. Each edit is saved at
// once; when the server refuses it, the row turns red and shows the server's message. The
// other tabs (table-config-groups.js, -routes.js, -automation.js) use the helpers this file
// puts in window.detectvizConfig.
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("table-labels").textContent);
  var rulesTable = null;
  var contactsTable = null;

  // Marks a row refused (red, the message in its error column) or accepted; `field`, the
  // server's name of the wrong field (`trigger.when`), also marks that column's cell.
  function markRow(row, error, field) {
    row.update({ error: error || "", status: error ? "" : row.getData().status });
    row.reformat();
    var element = row.getElement();
    element.classList.toggle("row-invalid", Boolean(error));
    var column = String(field || "").split(".")[0];
    row.getCells().forEach(function (cell) {
      cell.getElement().classList.toggle("cell-invalid", Boolean(error) && column !== "" && cell.getField() === column);
    });
  }

  // A JSON request whose refusal keeps the server's `field` and status on the Error.
  function request(method, url, body) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "x-csrf-token": meta ? meta.getAttribute("content") : "" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      if (response.ok) return response.status === 204 ? null : response.json();
      return response.json().catch(function () { return null; }).then(function (answer) {
        var detail = answer && answer.error ? answer.error : {};
        var failure = new Error(detail.message || response.status + " " + response.statusText);
        failure.field = detail.field || "";
        failure.status = response.status;
        throw failure;
      });
    });
  }

  // The error column: the server's message, or "saved" after a good change.
  function errorColumn() {
    return { title: labels.error, field: "error", formatter: function (cell) {
      var span = document.createElement("span");
      var data = cell.getRow().getData();
      span.className = data.error ? "cell-error" : data.status === "saved" ? "cell-saved" : "";
      var message = data.error || (data.status === "saved" ? labels.saved : "");
      // A long message (a parser's) is cut in the cell; its tooltip has it whole.
      span.textContent = message.length > 120 ? message.slice(0, 120) + "…" : message;
      if (message.length > 120) span.title = message;
      return span;
    }, minWidth: 160, widthGrow: 2, headerSort: false };
  }

  // Editor attributes that label the input with its column's title.
  function labelled(title) { return { elementAttributes: { "aria-label": title } }; }

  var tablesByTab = {};
  window.detectvizConfig = {
    labels: labels, markRow: markRow, request: request, errorColumn: errorColumn, labelled: labelled,
    // A tab's table is drawn again when the tab is shown (Tabulator cannot measure a hidden one).
    register: function (tab, table, onShown) { tablesByTab[tab] = { table: table, onShown: onShown }; },
  };

  function ruleRow(entry) {
    var rule = entry.rule;
    return {
      source: entry.source, id: rule.id, name: rule.name,
      measurement: rule.selector.measurement, field: rule.selector.field,
      levels: JSON.stringify(rule.levels), error: "", original: rule,
    };
  }

  function ruleFromRow(data) {
    var rule = JSON.parse(JSON.stringify(data.original));
    rule.name = data.name;
    rule.selector.measurement = data.measurement;
    rule.selector.field = data.field;
    try {
      rule.levels = JSON.parse(data.levels);
    } catch (error) {
      throw new Error("levels: " + error.message);
    }
    return rule;
  }

  function saveRule(cell) {
    var row = cell.getRow();
    var data = row.getData();
    var rule;
    try {
      rule = ruleFromRow(data);
    } catch (error) {
      markRow(row, error.message);
      return;
    }
    detectviz.api("PUT", "/api/rules/" + encodeURIComponent(data.id), rule).then(
      function () { data.original = rule; row.update({ status: "saved" }); markRow(row, ""); },
      function (error) { markRow(row, error.message); }
    );
  }

  function editableWhenApi(cell) { return cell.getRow().getData().source === "api"; }

  function contactFromRow(data) {
    var split = function (text) { return String(text || "").split(",").map(function (part) { return part.trim(); }).filter(Boolean); };
    return {
      id: data.id, name: data.name, email: data.email, phone: data.phone, line_id: data.line_id,
      groups: split(data.groups), channels: split(data.channels), active: Boolean(data.active),
    };
  }

  function saveContact(cell) {
    var row = cell.getRow();
    var data = row.getData();
    detectviz.api("PUT", "/api/contacts/" + encodeURIComponent(data.id), contactFromRow(data)).then(
      function () { row.update({ status: "saved" }); markRow(row, ""); },
      function (error) { markRow(row, error.message); }
    );
  }

  function editableContact(cell) { return !cell.getRow().getData().slack_webhook_set; }

  function load() {
    detectviz.api("GET", "/api/rules").then(function (entries) {
      rulesTable.replaceData(entries.map(ruleRow));
    }, function (error) { detectviz.showMessage("danger", error.message); });
    detectviz.api("GET", "/api/contacts").then(function (contacts) {
      contactsTable.replaceData(contacts.map(function (contact) {
        return Object.assign({}, contact, { groups: contact.groups.join(", "), channels: contact.channels.join(", "), error: "" });
      }));
    }, function (error) { detectviz.showMessage("danger", error.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('button[data-bs-toggle="tab"]').forEach(function (button) {
      button.addEventListener("shown.bs.tab", function () {
        var entry = tablesByTab[button.id.replace(/^tab-/, "")];
        if (!entry) return;
        entry.table.redraw(true);
        if (entry.onShown) entry.onShown();
      });
    });
    rulesTable = new Tabulator("#rules-table", {
      layout: "fitDataStretch", index: "id", placeholder: "—", height: "auto",
      columns: [
        { title: labels.source, field: "source", width: 80 },
        { title: labels.id, field: "id", minWidth: 150 },
        { title: labels.name, field: "name", minWidth: 170, editor: "input", editable: editableWhenApi, cellEdited: saveRule },
        { title: labels.measurement, field: "measurement", minWidth: 100, editor: "input", editable: editableWhenApi, cellEdited: saveRule },
        { title: labels.field, field: "field", minWidth: 120, editor: "input", editable: editableWhenApi, cellEdited: saveRule },
        { title: labels.levels, field: "levels", minWidth: 220, formatter: "textarea", editor: "input", editable: editableWhenApi, cellEdited: saveRule, widthGrow: 3 },
        errorColumn(),
      ],
    });
    contactsTable = new Tabulator("#contacts-table", {
      layout: "fitDataStretch", index: "id", placeholder: "—", height: "auto",
      columns: [
        { title: labels.id, field: "id", minWidth: 110 },
        { title: labels.name, field: "name", editor: "input", editable: editableContact, cellEdited: saveContact },
        { title: labels.email, field: "email", editor: "input", editable: editableContact, cellEdited: saveContact },
        { title: labels.phone, field: "phone", editor: "input", editable: editableContact, cellEdited: saveContact },
        { title: labels.groups, field: "groups", editor: "input", editable: editableContact, cellEdited: saveContact },
        { title: labels.channels, field: "channels", editor: "input", editable: editableContact, cellEdited: saveContact },
        { title: labels.active, field: "active", formatter: "tickCross", editor: "tickCross", editable: editableContact, cellEdited: saveContact, width: 90 },
        errorColumn(),
      ],
    });
    rulesTable.on("tableBuilt", load);
    window.detectvizConfig.register("contacts", contactsTable);
    window.detectvizTables = { reload: load, rules: function () { return rulesTable; } };
  });
})();
