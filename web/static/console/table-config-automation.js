// table-config, automation tab: a Tabulator editor over /api/automation/rules. Rules of the
// config file are read-only and greyed; a stored rule's edit is saved at once (PUT); a new rule
// is saved with its Save button (POST). A refusal shows the server's message in the row and
// marks the column of the field it names (`trigger.when` marks the trigger cell).
(function () {
  "use strict";
  var config = window.detectvizConfig;
  var labels = config.labels;
  var table = null;
  // The columns whose text is a JSON value of the rule.
  var jsonFields = ["trigger", "action", "parameters"];

  // A value as JSON text, leaving out an object's unset (null) keys and empty lists.
  function jsonText(value) {
    if (value === undefined || value === null) return "";
    return JSON.stringify(value, function (key, item) {
      if (key !== "" && (item === null || (Array.isArray(item) && item.length === 0))) return undefined;
      return item;
    });
  }

  function idFormatter(cell) {
    var data = cell.getRow().getData();
    var wrapper = document.createElement("span");
    var badge = document.createElement("span");
    badge.className = "badge me-1 " + (data.source === "api" ? "text-bg-primary" : "text-bg-secondary");
    badge.textContent = data.source;
    wrapper.appendChild(badge);
    wrapper.appendChild(document.createTextNode(cell.getValue() || ""));
    return wrapper;
  }

  // The trigger in one line (`≥ critical · alertname="X" · value > 8`).
  function triggerFormatter(cell) {
    var trigger;
    try { trigger = JSON.parse(cell.getValue() || "null"); } catch (error) { return cell.getValue(); }
    if (!trigger || typeof trigger !== "object") return cell.getValue();
    var parts = [];
    if (trigger.min_severity) parts.push("≥ " + trigger.min_severity);
    if (trigger.on && trigger.on !== "firing") parts.push(trigger.on);
    (trigger.matchers || []).forEach(function (matcher) { parts.push(matcher.name + matcher.op + JSON.stringify(matcher.value)); });
    if (trigger.when) parts.push(trigger.when);
    return parts.join(" · ") || "*";
  }

  // The action in one line (`webhook mes → http://…`); the editor and tooltip have the JSON.
  function actionFormatter(cell) {
    var action;
    try { action = JSON.parse(cell.getValue() || "null"); } catch (error) { return cell.getValue(); }
    if (!action || typeof action !== "object") return cell.getValue();
    var target = action.url || action.script || action.model || action.command || "";
    return [action.type, action.name].filter(Boolean).join(" ") + (target ? " → " + target : "");
  }

  function automationRow(entry) {
    var rule = entry.rule || {};
    return {
      source: entry.source, read_only: Boolean(entry.read_only) || !entry.rule, pending: false,
      id: rule.id || "", name: rule.name || "", trigger: jsonText(rule.trigger),
      action: jsonText(rule.action), parameters: jsonText(rule.parameters || {}),
      cooldown_s: rule.cooldown_s || 0, error: entry.problem || "", status: "", original: rule,
    };
  }

  function newRow() {
    return {
      source: "new", read_only: false, pending: true, id: "", name: "",
      trigger: '{"min_severity":"critical","on":"firing"}',
      action: '{"type":"webhook","name":"hook","url":"https://"}',
      parameters: "{}", cooldown_s: 0, error: "", status: "", original: {},
    };
  }

  // The rule a row describes: its original with the edited columns put in. A column that is
  // not JSON is refused here, naming it, before anything is sent.
  function ruleFromRow(data) {
    var rule = JSON.parse(JSON.stringify(data.original || {}));
    rule.id = String(data.id || "").trim();
    rule.name = data.name;
    rule.cooldown_s = Number(data.cooldown_s) || 0;
    jsonFields.forEach(function (field) {
      try {
        rule[field] = JSON.parse(data[field] || "null");
      } catch (error) {
        var problem = new Error(field + ": " + labels.not_json + " (" + error.message + ")");
        problem.field = field;
        throw problem;
      }
    });
    if (rule.parameters === null) delete rule.parameters;
    return rule;
  }

  function save(row) {
    var data = row.getData();
    if (data.read_only) return;
    var rule;
    try {
      rule = ruleFromRow(data);
    } catch (problem) {
      config.markRow(row, problem.message, problem.field);
      return;
    }
    var url = "/api/automation/rules" + (data.pending ? "" : "/" + encodeURIComponent(data.id));
    config.request(data.pending ? "POST" : "PUT", url, rule).then(function (view) {
      var saved = automationRow(view);
      saved.status = "saved";
      row.update(saved);
      config.markRow(row, "");
    }, function (error) {
      config.markRow(row, error.message, error.field);
    });
  }

  function remove(row) {
    var data = row.getData();
    if (data.pending) { row.delete(); return; }
    if (!window.confirm(labels.confirm_delete + " " + data.id)) return;
    config.request("DELETE", "/api/automation/rules/" + encodeURIComponent(data.id)).then(
      function () { row.delete(); },
      function (error) { config.markRow(row, error.message, error.field); }
    );
  }

  function editable(cell) {
    var data = cell.getRow().getData();
    if (data.read_only) return false;
    return cell.getField() !== "id" || data.pending;
  }

  function saveEdited(cell) {
    if (cell.getRow().getData().pending) return; // a new rule waits for its Save button
    save(cell.getRow());
  }

  function buttons(cell) {
    var data = cell.getRow().getData();
    var group = document.createElement("div");
    group.className = "btn-group btn-group-sm";
    if (data.read_only) return group;
    if (data.pending) {
      var saveButton = document.createElement("button");
      saveButton.type = "button";
      saveButton.className = "btn btn-primary save-rule";
      saveButton.textContent = labels.save;
      saveButton.addEventListener("click", function () { save(cell.getRow()); });
      group.appendChild(saveButton);
    }
    var deleteButton = document.createElement("button");
    deleteButton.type = "button";
    deleteButton.className = "btn btn-outline-danger delete-rule";
    deleteButton.title = labels.delete;
    deleteButton.setAttribute("aria-label", labels.delete);
    deleteButton.innerHTML = '<i class="bi bi-trash"></i>';
    deleteButton.addEventListener("click", function () { remove(cell.getRow()); });
    group.appendChild(deleteButton);
    return group;
  }

  function column(title, field, extra) {
    return Object.assign({
      title: title, field: field, editor: "input", editable: editable, cellEdited: saveEdited,
      editorParams: config.labelled(title), formatter: "plaintext", tooltip: true,
    }, extra || {});
  }

  function load() {
    config.request("GET", "/api/automation/rules").then(function (entries) {
      var pending = table.getData().filter(function (data) { return data.pending; });
      table.replaceData(entries.map(automationRow).concat(pending));
    }, function (error) { detectviz.showMessage("danger", error.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    table = new Tabulator("#automation-table", {
      layout: "fitColumns", index: "id", placeholder: "—", height: "auto", columnDefaults: { headerSort: false },
      rowFormatter: function (row) {
        var data = row.getData();
        row.getElement().classList.toggle("row-readonly", Boolean(data.read_only));
        row.getElement().classList.toggle("row-pending", Boolean(data.pending));
      },
      columns: [
        column(labels.id, "id", { minWidth: 190, formatter: idFormatter }),
        column(labels.name, "name", { minWidth: 110, formatter: "textarea" }),
        column(labels.trigger, "trigger", { minWidth: 130, widthGrow: 2, formatter: triggerFormatter }),
        column(labels.action, "action", { minWidth: 140, widthGrow: 2, formatter: actionFormatter }),
        column(labels.parameters, "parameters", { minWidth: 70 }),
        column(labels.cooldown, "cooldown_s", { width: 70, editor: "number" }),
        Object.assign(config.errorColumn(), { minWidth: 140, widthGrow: 2 }),
        { title: labels.actions, field: "actions", formatter: buttons, width: 80 },
      ],
    });
    table.on("tableBuilt", load);
    config.register("automation", table);
    document.getElementById("add-automation-rule").addEventListener("click", function () {
      table.addRow(newRow(), true).then(function (row) {
        row.scrollTo();
        var idCell = row.getCell("id");
        if (idCell) idCell.edit();
      });
    });
    window.detectvizAutomationRules = { reload: load, table: function () { return table; } };
  });
})();
