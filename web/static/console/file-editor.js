// file-editor: one configured file in a code area with line numbers. Validate and diff ask
// the server; save sends the content with the hash that was read (409 if someone saved in
// between) and shows every problem of a refused save with its line, marked in the gutter.
(function () {
  "use strict";
  var files = window.detectvizFiles;
  var labels = JSON.parse(document.getElementById("file-labels").textContent);
  var container = document.getElementById("file-editor");
  var isAdmin = container.dataset.role === "admin";
  var select, text, gutter, result, diffView, snapshotList;
  var current = null; // {root, path, hash}
  var badLines = {};

  function renderGutter() {
    var count = text.value.split("\n").length;
    var lines = [];
    for (var line = 1; line <= count; line += 1) {
      lines.push(badLines[line] ? '<span class="line-bad">' + line + "</span>" : String(line));
    }
    gutter.innerHTML = lines.join("\n");
    gutter.scrollTop = text.scrollTop;
  }

  function goToLine(line) {
    var lines = text.value.split("\n");
    var offset = 0;
    for (var index = 0; index < line - 1 && index < lines.length; index += 1) offset += lines[index].length + 1;
    text.focus();
    text.setSelectionRange(offset, offset);
  }

  function showProblems(problems, heading) {
    badLines = {};
    var box = files.message(result, "danger", heading);
    var list = document.createElement("ul");
    list.className = "problem-list mb-0 mt-1";
    list.id = "file-problems";
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      var place = [];
      if (problem.line) { place.push(labels.line + " " + problem.line); badLines[problem.line] = true; }
      if (problem.column) place.push(labels.column + " " + problem.column);
      item.textContent = (place.length ? place.join(", ") + ": " : "") + problem.message;
      item.dataset.line = problem.line || "";
      if (problem.line) item.addEventListener("click", function () { goToLine(problem.line); });
      list.appendChild(item);
    });
    box.appendChild(list);
    renderGutter();
  }

  function clearProblems() {
    badLines = {};
    renderGutter();
  }

  function setEnabled(enabled) {
    text.disabled = !enabled;
    document.getElementById("validate-file").disabled = !enabled;
    document.getElementById("diff-file").disabled = !enabled;
    document.getElementById("save-file").disabled = !enabled || !isAdmin;
  }

  function loadSnapshots() {
    snapshotList.replaceChildren();
    if (!current) return;
    files.request("GET", files.fileUrl(current.root, current.path, "/snapshots")).then(function (answer) {
      if (!answer.ok) return;
      answer.body.forEach(function (snapshot) {
        var item = document.createElement("li");
        item.className = "list-group-item small";
        var title = document.createElement("div");
        title.className = "d-flex justify-content-between align-items-center";
        var name = document.createElement("strong");
        name.textContent = labels.version + " " + snapshot.version;
        title.appendChild(name);
        if (isAdmin) {
          var restore = document.createElement("button");
          restore.type = "button";
          restore.className = "btn btn-outline-secondary btn-sm py-0 restore-snapshot";
          restore.textContent = labels.restore;
          restore.addEventListener("click", function () { restoreSnapshot(snapshot.version); });
          title.appendChild(restore);
        }
        var detail = document.createElement("div");
        detail.className = "text-body-secondary";
        var onDisk = snapshot.author === "(on disk)";
        detail.textContent = (onDisk ? labels.on_disk : snapshot.author) + " · " + files.formatTime(snapshot.created_at_ms, container.dataset.timeZone, container.dataset.language);
        item.appendChild(title);
        item.appendChild(detail);
        if (snapshot.message) {
          var note = document.createElement("div");
          note.textContent = onDisk ? labels.on_disk_note : snapshot.message;
          item.appendChild(note);
        }
        snapshotList.appendChild(item);
      });
    });
  }

  function openFile() {
    result.replaceChildren();
    diffView.classList.add("d-none");
    if (!select.value) { current = null; setEnabled(false); return; }
    var chosen = JSON.parse(select.value);
    var exists = select.selectedOptions[0].dataset.exists === "1";
    files.request("GET", files.fileUrl(chosen.root, chosen.path)).then(function (answer) {
      if (answer.status === 404 && !exists) {
        current = { root: chosen.root, path: chosen.path, hash: null };
        text.value = "";
        files.message(result, "info", labels.new_file);
      } else if (!answer.ok) {
        current = null;
        setEnabled(false);
        files.message(result, "danger", files.errorText(answer));
        return;
      } else {
        current = { root: chosen.root, path: chosen.path, hash: answer.body.hash };
        text.value = answer.body.content;
        document.getElementById("file-kind").textContent = answer.body.kind;
      }
      setEnabled(true);
      clearProblems();
      loadSnapshots();
    });
  }

  function validate() {
    files.request("POST", files.fileUrl(current.root, current.path, "/validate"), { content: text.value }).then(function (answer) {
      if (!answer.ok) { files.message(result, "danger", files.errorText(answer)); return; }
      if (answer.body.valid) { clearProblems(); files.message(result, "success", labels.valid); return; }
      showProblems(answer.body.errors, labels.problems);
    });
  }

  function showDiff() {
    files.request("POST", files.fileUrl(current.root, current.path, "/diff"), { content: text.value }).then(function (answer) {
      if (!answer.ok) { files.message(result, "danger", files.errorText(answer)); return; }
      diffView.classList.remove("d-none");
      diffView.replaceChildren();
      if (!answer.body.changed) { diffView.textContent = labels.no_changes; return; }
      answer.body.diff.split("\n").forEach(function (line) {
        var span = document.createElement("span");
        if (line.startsWith("+") && !line.startsWith("+++")) span.className = "diff-add";
        else if (line.startsWith("-") && !line.startsWith("---")) span.className = "diff-del";
        else if (line.startsWith("@@")) span.className = "diff-hunk";
        span.textContent = line + "\n";
        diffView.appendChild(span);
      });
    });
  }

  function afterSave(answer, doneLabel) {
    if (answer.status === 422 && answer.body && answer.body.error && answer.body.error.errors) {
      showProblems(answer.body.error.errors, labels.not_saved);
      return;
    }
    if (!answer.ok) { files.message(result, "danger", files.errorText(answer)); return; }
    clearProblems();
    current.hash = answer.body.hash;
    files.message(result, "success", answer.body.changed ? doneLabel + " " + answer.body.version : labels.unchanged);
    diffView.classList.add("d-none");
    loadSnapshots();
  }

  function save() {
    var body = { content: text.value, message: document.getElementById("save-message").value, base_hash: current.hash };
    files.request("PUT", files.fileUrl(current.root, current.path), body).then(function (answer) {
      afterSave(answer, labels.saved);
    });
  }

  function restoreSnapshot(version) {
    files.request("POST", files.fileUrl(current.root, current.path, "/snapshots/" + version + "/restore")).then(function (answer) {
      if (!answer.ok) { afterSave(answer, labels.restored); return; }
      files.request("GET", files.fileUrl(current.root, current.path)).then(function (read) {
        if (read.ok) text.value = read.body.content;
        afterSave(answer, labels.restored);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    select = document.getElementById("file-select");
    text = document.getElementById("file-content");
    gutter = document.getElementById("file-gutter");
    result = document.getElementById("file-result");
    diffView = document.getElementById("file-diff");
    snapshotList = document.getElementById("file-snapshots");
    text.addEventListener("input", renderGutter);
    text.addEventListener("scroll", function () { gutter.scrollTop = text.scrollTop; });
    text.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") return;
      event.preventDefault();
      text.setRangeText("  ", text.selectionStart, text.selectionEnd, "end");
      renderGutter();
    });
    select.addEventListener("change", openFile);
    document.getElementById("validate-file").addEventListener("click", validate);
    document.getElementById("diff-file").addEventListener("click", showDiff);
    document.getElementById("save-file").addEventListener("click", save);
    files.fillPicker(select, function () { return true; }).then(function () {
      container.dataset.ready = "1";
    }, function (error) { files.message(result, "danger", error.message); });
  });
})();
