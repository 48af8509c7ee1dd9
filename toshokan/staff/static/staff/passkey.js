// The passkey as second factor on the staff sign-in and confirmation pages: asks the server for
// options, lets the browser's authenticator answer (user verification required), posts the
// answer, and follows the redirect it gets back. No inline script: the page's data-* attributes
// carry the URLs and messages.
(function () {
  "use strict";

  function fromB64url(value) {
    var b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    var padded = b64 + "===".slice((b64.length + 3) % 4);
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    });
  }

  function start(box) {
    var error = box.querySelector(".staff-passkey__error");
    function fail(message) {
      error.textContent = message || box.dataset.failed;
      error.hidden = false;
    }
    error.hidden = true;
    post(box.dataset.optionsUrl).then(function (answer) {
      if (!answer.ok) throw new Error(answer.data.message || "");
      var options = answer.data;
      options.challenge = fromB64url(options.challenge);
      (options.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      return navigator.credentials.get({publicKey: options});
    }).then(function (credential) {
      var r = credential.response;
      return post(box.dataset.verifyUrl, {credential: {
        id: credential.id,
        rawId: toB64url(credential.rawId),
        type: credential.type,
        response: {
          clientDataJSON: toB64url(r.clientDataJSON),
          authenticatorData: toB64url(r.authenticatorData),
          signature: toB64url(r.signature),
          userHandle: r.userHandle ? toB64url(r.userHandle) : null,
        },
        clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      }});
    }).then(function (answer) {
      if (answer.data && answer.data.redirect && (answer.ok || answer.data.error === "sign_in_locked")) {
        window.location.assign(answer.data.redirect);
        return;
      }
      fail(answer.data && answer.data.message);
    }).catch(function (e) { fail(e && e.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".staff-passkey").forEach(function (box) {
      var button = box.querySelector(".staff-passkey__button");
      if (!window.PublicKeyCredential) { box.hidden = true; return; }
      button.addEventListener("click", function () { start(box); });
    });
  });
})();
