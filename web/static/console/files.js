// Shared by the file and CSV editors: calls to /api/files that keep the whole error body (a
// refused save carries every problem), file URLs (the path is one encoded segment), times in
// the viewer's zone, and the file picker.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Resolves {status, body} for every answer; rejects only when the network fails.
  function request(method, url, body) {
    return fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "x-csrf-token": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        return { status: response.status, ok: response.ok, body: json };
      });
    });
  }

  function fileUrl(root, path, suffix) {
    return "/api/files/" + encodeURIComponent(root) + "/" + encodeURIComponent(path) + (suffix || "");
  }

  function formatTime(milliseconds, timeZone, language) {
    try {
      return new Intl.DateTimeFormat(language, { timeZone: timeZone, dateStyle: "short", timeStyle: "medium" }).format(new Date(milliseconds));
    } catch (error) {
      return new Date(milliseconds).toISOString();
    }
  }

  function errorText(answer) {
    return answer.body && answer.body.error ? answer.body.error.message : String(answer.status);
  }

  // Fills `select` with the files of every root that `accept(root)` keeps, grouped by root.
  function fillPicker(select, accept) {
    return request("GET", "/api/files").then(function (answer) {
      if (!answer.ok) throw new Error(errorText(answer));
      answer.body.roots.filter(accept).forEach(function (root) {
        var group = document.createElement("optgroup");
        group.label = root.name;
        root.files.forEach(function (file) {
          var option = document.createElement("option");
          option.value = JSON.stringify({ root: root.name, path: file.path });
          option.textContent = root.name + " / " + file.path + (file.exists ? "" : " *");
          option.dataset.exists = file.exists ? "1" : "";
          group.appendChild(option);
        });
        if (group.children.length) select.appendChild(group);
      });
      return answer.body;
    });
  }

  function message(container, kind, text) {
    var box = document.createElement("div");
    box.className = "alert alert-" + kind + " py-2 mb-2";
    box.setAttribute("role", kind === "danger" ? "alert" : "status");
    box.textContent = text;
    container.replaceChildren(box);
    return box;
  }

  window.detectvizFiles = {
    request: request, fileUrl: fileUrl, formatTime: formatTime, errorText: errorText,
    fillPicker: fillPicker, message: message,
  };
})();
