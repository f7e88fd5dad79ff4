// csv-editor: a configured CSV file (health-check targets and others) as a Tabulator table.
// The server parses the file (header, rows, leading comment lines); the table is written
// back as CSV text with the comments first, validated by the server, and saved with a
// version. Problems of a refused save are shown in their row.
(function () {
  "use strict";
  var files = window.detectvizFiles;
  var labels = JSON.parse(document.getElementById("csv-labels").textContent);
  var container = document.getElementById("csv-editor");
  var isAdmin = container.dataset.role === "admin";
  var select, result, table = null;
  var current = null; // {root, path, hash, preamble, header}
  var headers = {}; // root name -> header for a file that does not exist yet

  function quoted(cell) {
    var text = cell === undefined || cell === null ? "" : String(cell);
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csvText() {
    var lines = current.preamble.slice();
    lines.push(current.header.map(quoted).join(","));
    table.getRows().forEach(function (row) {
      var data = row.getData();
      lines.push(current.header.map(function (_, index) { return quoted(data["c" + index]); }).join(","));
    });
    return lines.join("\n") + "\n";
  }

  function markRows(problems) {
    var rows = table.getRows();
    rows.forEach(function (row) {
      row.update({ error: "" });
      row.getElement().classList.remove("row-invalid");
    });
    var unplaced = [];
    problems.forEach(function (problem) {
      var row = problem.row ? rows[problem.row - 1] : null;
      if (!row) { unplaced.push(problem); return; }
      var text = (problem.field ? problem.field + ": " : "") + problem.message;
      var previous = row.getData().error;
      row.update({ error: previous ? previous + "; " + text : text });
      row.getElement().classList.add("row-invalid");
    });
    return unplaced;
  }

  function showAnswer(answer, problems, heading) {
    var unplaced = markRows(problems);
    var box = files.message(result, "danger", heading);
    if (unplaced.length) {
      var list = document.createElement("ul");
      list.className = "mb-0 mt-1";
      unplaced.forEach(function (problem) {
        var item = document.createElement("li");
        item.textContent = (problem.line ? labels.line + " " + problem.line + ": " : "") + problem.message;
        list.appendChild(item);
      });
      box.appendChild(list);
    }
  }

  function build(header, rows) {
    var columns = header.map(function (name, index) {
      // As wide as the longest cell or the header, within reason; long cells (URLs) grow most.
      var longest = rows.reduce(function (most, cells) { return Math.max(most, String(cells[index] || "").length); }, 0);
      var width = Math.min(280, Math.max(80, Math.max(longest * 10, name.length * 7.5) + 24));
      return { title: name, headerTooltip: name, field: "c" + index, editor: "input", editable: isAdmin, headerSort: false, minWidth: width, widthGrow: Math.max(1, Math.round(longest / 12)) };
    });
    columns.push({ title: labels.error, field: "error", headerSort: false, minWidth: 160, widthGrow: 2, formatter: function (cell) {
      var span = document.createElement("span");
      span.className = "cell-error";
      span.textContent = cell.getValue() || "";
      return span;
    } });
    if (isAdmin) {
      columns.unshift({ title: "", field: "remove", headerSort: false, width: 44, hozAlign: "center", formatter: function () {
        return '<button type="button" class="btn btn-link btn-sm p-0 text-danger remove-row" aria-label="' + labels.remove + '" title="' + labels.remove + '"><i class="bi bi-trash"></i></button>';
      }, cellClick: function (event, cell) { cell.getRow().delete(); } });
    }
    var data = rows.map(function (cells) {
      var row = { error: "" };
      header.forEach(function (_, index) { row["c" + index] = cells[index] === undefined ? "" : cells[index]; });
      return row;
    });
    if (table) table.destroy();
    table = new Tabulator("#csv-table", { layout: "fitColumns", height: "auto", placeholder: "—", columns: columns, data: data });
    table.on("tableBuilt", function () { container.dataset.loaded = current.root + "/" + current.path; });
  }

  function setEnabled(enabled) {
    document.getElementById("csv-add-row").disabled = !enabled || !isAdmin;
    document.getElementById("csv-validate").disabled = !enabled;
    document.getElementById("csv-save").disabled = !enabled || !isAdmin;
  }

  function openFile() {
    result.replaceChildren();
    delete container.dataset.loaded;
    if (!select.value) { setEnabled(false); return; }
    var chosen = JSON.parse(select.value);
    files.request("GET", files.fileUrl(chosen.root, chosen.path)).then(function (answer) {
      if (answer.status === 404 && headers[chosen.root]) {
        current = { root: chosen.root, path: chosen.path, hash: null, preamble: [], header: headers[chosen.root] };
        files.message(result, "info", labels.new_file);
        build(current.header, []);
      } else if (!answer.ok || !answer.body.table) {
        setEnabled(false);
        files.message(result, "danger", answer.ok ? "not a CSV table" : files.errorText(answer));
        return;
      } else {
        var parsed = answer.body.table;
        current = { root: chosen.root, path: chosen.path, hash: answer.body.hash, preamble: parsed.preamble, header: parsed.header };
        build(parsed.header, parsed.rows);
      }
      setEnabled(true);
    });
  }

  function validate() {
    files.request("POST", files.fileUrl(current.root, current.path, "/validate"), { content: csvText() }).then(function (answer) {
      if (!answer.ok) { files.message(result, "danger", files.errorText(answer)); return; }
      if (answer.body.valid) { markRows([]); files.message(result, "success", labels.valid); return; }
      showAnswer(answer, answer.body.errors, labels.not_valid);
    });
  }

  function save() {
    var body = { content: csvText(), message: document.getElementById("csv-message").value, base_hash: current.hash };
    files.request("PUT", files.fileUrl(current.root, current.path), body).then(function (answer) {
      if (answer.status === 422 && answer.body && answer.body.error && answer.body.error.errors) {
        showAnswer(answer, answer.body.error.errors, labels.not_saved);
        return;
      }
      if (!answer.ok) { files.message(result, "danger", files.errorText(answer)); return; }
      markRows([]);
      current.hash = answer.body.hash;
      files.message(result, "success", answer.body.changed ? labels.saved + " " + answer.body.version : labels.unchanged);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    select = document.getElementById("csv-select");
    result = document.getElementById("csv-result");
    select.addEventListener("change", openFile);
    document.getElementById("csv-add-row").addEventListener("click", function () {
      var row = { error: "" };
      current.header.forEach(function (_, index) { row["c" + index] = ""; });
      table.addRow(row);
    });
    document.getElementById("csv-validate").addEventListener("click", validate);
    document.getElementById("csv-save").addEventListener("click", save);
    files.fillPicker(select, function (root) {
      if (root.csv_header) headers[root.name] = root.csv_header;
      return root.kinds.indexOf("csv") >= 0;
    }).then(function () {
      // One CSV file: open it at once.
      var options = select.querySelectorAll("option[value^='{']");
      if (options.length === 1) { select.value = options[0].value; openFile(); }
      container.dataset.ready = "1";
    }, function (error) { files.message(result, "danger", error.message); });
  });
})();
