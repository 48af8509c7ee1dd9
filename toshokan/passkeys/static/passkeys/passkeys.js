/* Passkeys (WebAuthn) in the browser: registering, logging in, and checking a staff passkey.
 *
 * Every form marked data-passkey="register" | "login" | "verify" runs one ceremony when submitted:
 * it POSTs to data-options-url for the options (JSON, as py_webauthn writes them), calls
 * navigator.credentials.create() or .get(), and POSTs the answer ({"credential": …, plus the name,
 * "remember" and "next" where they apply}) to data-finish-url. The server answers
 * {"ok": true, "redirect"?: url, "message"?: text} or {"ok": false, "error": text}.
 *
 * No inline script and no third-party code: the page's content security policy allows this file
 * only. The CSRF token is the form's own csrfmiddlewaretoken, sent as X-CSRFToken. The messages
 * shown come from the form's data-msg-* attributes, already in the page's language.
 */
(function () {
  "use strict";

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64url(value) {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const text = atob(base64 + "===".slice((base64.length + 3) % 4));
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return Object.assign({}, d, { id: fromBase64url(d.id) });
    });
  }

  // PublicKeyCredential.parse*OptionsFromJSON where the browser has them (WebAuthn Level 3),
  // the same conversion by hand where it does not.
  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      user: Object.assign({}, json.user, { id: fromBase64url(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") {
      try {
        return credential.toJSON();
      } catch (e) {
        /* fall through to the conversion by hand */
      }
    }
    const r = credential.response;
    const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }

  class ServerRefusal extends Error {}

  async function post(form, url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
        },
        body: JSON.stringify(body || {}),
      });
    } catch (e) {
      throw new ServerRefusal(form.dataset.msgNetwork);
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch (e) {
      answer = null;
    }
    if (!response.ok || !answer || answer.ok === false) {
      throw new ServerRefusal((answer && answer.error) || form.dataset.msgFailed);
    }
    return answer;
  }

  function explain(form, error) {
    if (error instanceof ServerRefusal) return error.message;
    switch (error && error.name) {
      case "NotAllowedError":
      case "AbortError":
        return form.dataset.msgCancelled;
      case "InvalidStateError":
        return form.dataset.msgExists;
      case "SecurityError":
        return form.dataset.msgInsecure;
      case "NotSupportedError":
        return form.dataset.msgUnsupported;
      default:
        return form.dataset.msgFailed;
    }
  }

  function say(form, text, ok) {
    const status = form.querySelector(".passkey-widget__status");
    status.textContent = text || "";
    status.classList.toggle("outcome", Boolean(text));
    status.classList.toggle("outcome--ok", Boolean(text) && ok === true);
    status.classList.toggle("outcome--error", Boolean(text) && ok === false);
  }

  const ceremonies = {
    register: async function (form) {
      const pin = form.querySelector("input[name=pin]");
      let options;
      try {
        options = await post(form, form.dataset.optionsUrl, { pin: pin ? pin.value : "" });
      } finally {
        if (pin) pin.value = ""; // asked again each time; never left in the page
      }
      const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
      const name = form.querySelector("input[name=name]");
      return post(form, form.dataset.finishUrl, {
        credential: credentialJSON(credential),
        name: name ? name.value : "",
      });
    },
    login: async function (form) {
      const options = await post(form, form.dataset.optionsUrl);
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      const remember = document.querySelector("input[name=remember]");
      return post(form, form.dataset.finishUrl, {
        credential: credentialJSON(credential),
        remember: Boolean(remember && remember.checked),
        next: form.dataset.next || "",
      });
    },
    verify: async function (form) {
      const options = await post(form, form.dataset.optionsUrl);
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      return post(form, form.dataset.finishUrl, { credential: credentialJSON(credential) });
    },
  };

  // A redirect to this very page (its passkey list, at another #fragment) would only scroll:
  // load the page again to show the change.
  function go(target) {
    const next = new URL(target, window.location.href);
    if (next.pathname === window.location.pathname && next.search === window.location.search) {
      window.history.replaceState(null, "", next.href);
      window.location.reload();
    } else {
      window.location.assign(next.href);
    }
  }

  function setUp(form) {
    const run = ceremonies[form.dataset.passkey];
    if (!run || form.dataset.passkeyReady) return;
    form.dataset.passkeyReady = "true";
    form.hidden = false;
    const button = form.querySelector("button[type=submit]");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.disabled = true;
      say(form, window.isSecureContext === false ? form.dataset.msgInsecure : form.dataset.msgUnsupported, false);
      return;
    }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (form.getAttribute("aria-busy") === "true") return;
      form.setAttribute("aria-busy", "true");
      button.disabled = true;
      say(form, form.dataset.msgWorking);
      try {
        const answer = await run(form);
        if (answer.redirect) {
          go(answer.redirect);
          return;
        }
        say(form, answer.message || "", true);
      } catch (error) {
        say(form, explain(form, error), false);
      } finally {
        form.removeAttribute("aria-busy");
        button.disabled = false;
      }
    });
  }

  function start() {
    document.querySelectorAll("form[data-passkey]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
