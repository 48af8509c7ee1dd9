// The staff session's idle warning. The server ends an idle staff session by itself
// (toshokan.staff.middleware); this only tells the person before it happens and lets them
// continue. It asks /staff/session how long is left (that question is not activity), shows a
// warning when the time left is under the warning time, and reloads the page at the end so that
// a shared desk computer does not keep showing patrons' data. Static file: no inline scripts.
(function () {
  "use strict";
  var script = document.currentScript;
  var statusUrl = script.dataset.statusUrl;
  var extendUrl = script.dataset.extendUrl;
  var text = script.dataset.warning;
  var button = script.dataset.continue;
  var timer = null;
  var banner = null;

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function hide() {
    if (banner) { banner.remove(); banner = null; }
  }

  function show(seconds) {
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "staff-idle-warning";
      banner.setAttribute("role", "alertdialog");
      banner.setAttribute("aria-live", "assertive");
      var p = document.createElement("p");
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = button;
      b.addEventListener("click", extend);
      banner.appendChild(p);
      banner.appendChild(b);
      document.body.appendChild(banner);
      b.focus();
    }
    banner.querySelector("p").textContent = text.replace("%(minutes)s", String(Math.max(1, Math.ceil(seconds / 60))));
  }

  function schedule(state) {
    clearTimeout(timer);
    // The server ended the session (it was idle, or too old): show the login, not patrons' data.
    if (!state.signed_in) {
      if (!state.pending) window.location.reload();
      return;
    }
    var left = state.remaining_s;
    if (left <= 0) { window.location.reload(); return; }
    if (left <= state.warning_s) {
      show(left);
      timer = setTimeout(check, Math.min(left, 15) * 1000);
    } else {
      hide();
      timer = setTimeout(check, (left - state.warning_s) * 1000);
    }
  }

  function check() {
    fetch(statusUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(schedule)
      .catch(function () { timer = setTimeout(check, 30000); });
  }

  function extend() {
    fetch(extendUrl, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf()}})
      .then(function (r) { return r.json(); })
      .then(function (state) { hide(); schedule(state); });
  }

  // Any htmx request (a scan) is activity too: look again afterwards.
  document.addEventListener("htmx:afterRequest", function () { clearTimeout(timer); timer = setTimeout(check, 1000); });
  check();
})();
