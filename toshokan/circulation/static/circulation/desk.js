/* toshokan staff desk: a barcode scanner's keystrokes, in order, whatever the network does.
   Everything works without this file (the forms are plain POST forms).

   A scanner types a barcode and Enter, and the next one may come before the server has answered
   the last. So each scan is taken out of the field the moment Enter is pressed and queued; the
   queue sends one scan at a time with htmx, and each goes to the scan field that is on the page
   when its turn comes (after a card, that is the copy field). Keystrokes typed while the field has
   lost the focus are put into it. */
(function () {
  "use strict";
  var queue = [];
  var busy = false;
  var current = ""; // the scan on its way to the server

  function scanField() {
    return document.querySelector("input[data-scan]");
  }
  function isEditable(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function focusScan() {
    var field = scanField();
    if (field && document.activeElement !== field) field.focus();
  }

  function pump() {
    if (busy || !queue.length) return;
    var field = scanField();
    var form = field && field.form;
    if (!form) return;
    var values = {};
    current = queue.shift();
    values[field.name] = current;
    busy = true;
    window.htmx
      .ajax("POST", form.getAttribute("hx-post"), {
        source: form,
        target: form.getAttribute("hx-target"),
        swap: form.getAttribute("hx-swap"),
        values: values,
      })
      .then(done, done);
  }
  function done() {
    busy = false;
    current = "";
    focusScan();
    pump();
  }

  function take(field) {
    var value = field.value.trim();
    field.value = "";
    if (value) {
      queue.push(value);
      pump();
    }
  }
  function queued(form) {
    return window.htmx && form && form.getAttribute("hx-post") && form.querySelector("input[data-scan]");
  }

  // Enter in the scan field queues the scan at once. (Not left to the form's implicit submission:
  // a browser ignores Enter while the form's button is disabled, and a scan must never be dropped.)
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field.hasAttribute || !field.hasAttribute("data-scan")) return;
    if (!queued(field.form)) return;
    event.preventDefault();
    take(field);
  });
  // The button beside the field does the same.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!queued(form)) return;
      event.preventDefault();
      event.stopPropagation(); // before htmx's own submit handler on the form
      take(form.querySelector("input[data-scan]"));
    },
    true
  );

  // A scanner types wherever the focus is: digits typed while nothing editable has it (the page,
  // a link, a button) go into the scan field, and their Enter submits it.
  document.addEventListener("keydown", function (event) {
    var field = scanField();
    var target = event.target;
    if (!field || target === field || isEditable(target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length === 1) {
      event.preventDefault();
      field.focus();
      field.value += event.key;
    } else if (event.key === "Enter" && field.value && !/^(BUTTON|A|SUMMARY)$/.test(target.tagName)) {
      event.preventDefault();
      field.focus();
      if (queued(field.form)) take(field);
      else field.form.requestSubmit();
    }
  });

  // A scan half typed when the answer arrives would be swapped away with the old field: carry what
  // was typed into the new field, which gets the focus at once (not after htmx's settle delay).
  var carried = "";
  document.addEventListener("htmx:beforeSwap", function () {
    var field = scanField();
    carried = field ? field.value : "";
  });
  document.addEventListener("htmx:afterSwap", function () {
    var failed = document.getElementById("desk-network-error");
    if (failed) failed.remove();
    var field = scanField();
    if (field && carried && !field.value) field.value = carried;
    carried = "";
    focusScan();
  });

  // The server failed or could not be reached: say so, with the scan that was not handled, so it
  // is scanned again rather than silently lost.
  function failed() {
    var main = document.getElementById("main");
    if (!main) return;
    var note = document.getElementById("desk-network-error");
    if (!note) {
      note = document.createElement("p");
      note.id = "desk-network-error";
      note.className = "refusal";
      note.setAttribute("role", "alert");
      main.insertBefore(note, main.firstChild);
    }
    note.textContent = (current ? current + " " : "") + (document.body.getAttribute("data-scan-failed") || "");
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);

  // Printing: the whole page (a new card number), the checkout receipt, or one hold slip. The
  // print style sheet shows only what is marked with .is-printing when something is.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-print]");
    if (!button) return;
    var what = button.getAttribute("data-print");
    var part = what === "slip" ? button.closest(".slip") : what === "receipt" ? document.getElementById("checkout-area") : null;
    if (part) {
      part.classList.add("is-printing");
      document.documentElement.classList.add("printing-part");
    }
    window.print();
    if (part) {
      part.classList.remove("is-printing");
      document.documentElement.classList.remove("printing-part");
    }
    focusScan();
  });
})();
