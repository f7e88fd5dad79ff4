// Detectviz console glue: the CSRF header on every htmx request, error fragments shown where
// the request asked, a JSON encoding for the JSON APIs, and the few actions htmx cannot
// express alone (sign out, silence).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) event.detail.headers["x-csrf-token"] = token;
  });

  // Errors arrive as an HTML alert fragment (the server renders them for HX-Request): show
  // them in the element's target, or in #messages.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status < 400) return;
    event.detail.shouldSwap = true;
    var requester = event.detail.requestConfig && event.detail.requestConfig.elt;
    var errorTarget = requester && requester.closest("[data-error-target]");
    if (errorTarget) {
      event.detail.target = document.querySelector(errorTarget.getAttribute("data-error-target"));
    } else if (!requester || requester.id !== "login-form") {
      event.detail.target = document.getElementById("messages") || event.detail.target;
    }
  });

  if (window.htmx) {
    htmx.defineExtension("json-enc", {
      onEvent: function (name, event) {
        if (name === "htmx:configRequest") event.detail.headers["Content-Type"] = "application/json";
      },
      encodeParameters: function (xhr, parameters) {
        xhr.overrideMimeType("text/json");
        var body = {};
        parameters.forEach(function (value, key) { body[key] = value; });
        return JSON.stringify(body);
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // New alert toasts fade out after a while.
    document.body.addEventListener("htmx:sseMessage", function () {
      document.querySelectorAll("#live-toasts .toast").forEach(function (toast) {
        if (window.bootstrap && !toast.dataset.shown) {
          toast.dataset.shown = "1";
          new bootstrap.Toast(toast, { delay: 8000 }).show();
        }
      });
    });
  });

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "x-csrf-token": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok) return response.status === 204 ? null : response.json().catch(function () { return null; });
      return response.json().then(
        function (error) { throw new Error(error && error.error ? error.error.message : response.statusText); },
        function () { throw new Error(response.status + " " + response.statusText); }
      );
    });
  }

  function showMessage(kind, text) {
    var messages = document.getElementById("messages");
    if (!messages) return;
    var box = document.createElement("div");
    box.className = "alert alert-" + kind + " alert-dismissible";
    box.setAttribute("role", "alert");
    box.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "close");
    box.appendChild(close);
    messages.prepend(box);
  }

  window.detectviz = {
    api: api,
    showMessage: showMessage,
    signOut: function () {
      // An OIDC session also ends at the provider (RP-initiated logout), which returns to /login.
      api("POST", "/api/auth/logout")
        .then(function (answer) { window.location = (answer && answer.end_session_url) || "/login"; })
        .catch(function () { window.location = "/login"; });
    },
    // Silences the alert's exact label set for `hours` through the Alertmanager API.
    silence: function (button, hours) {
      var labels = JSON.parse(button.getAttribute("data-labels"));
      window.detectviz.silenceLabels(labels, hours).then(
        function () { showMessage("success", button.getAttribute("data-done")); },
        function (error) { showMessage("danger", error.message); }
      );
    },
    silenceLabels: function (labels, hours) {
      var now = new Date();
      var matchers = Object.keys(labels).map(function (name) {
        return { name: name, value: labels[name], isRegex: false, isEqual: true };
      });
      var body = {
        matchers: matchers,
        startsAt: now.toISOString(),
        endsAt: new Date(now.getTime() + hours * 3600 * 1000).toISOString(),
        createdBy: document.body.getAttribute("data-user") || "console",
        comment: "silenced from the console",
      };
      return api("POST", "/api/v2/silences", body);
    },
  };
})();
