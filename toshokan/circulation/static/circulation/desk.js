/* toshokan staff desk: keep a barcode scanner's keystrokes in the scan field. Everything works
   without this file. */
(function () {
  "use strict";
  function scanField() {
    return document.querySelector("input[data-scan]");
  }
  function isField(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  // After htmx swaps in a new checkout area (or adds a result), the scan field gets the focus at
  // once — not after the settle delay — so the next scan goes where it belongs.
  document.addEventListener("htmx:afterSwap", function () {
    var field = scanField();
    if (field && document.activeElement !== field) field.focus();
  });
  // A scanner types wherever the focus is. Digits typed while nothing editable has the focus (the
  // page itself, a link, a button) are caught and put into the scan field, and their Enter submits it.
  document.addEventListener("keydown", function (event) {
    var field = scanField();
    var target = event.target;
    if (!field || target === field || isField(target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length === 1) {
      event.preventDefault();
      field.focus();
      field.value += event.key;
    } else if (event.key === "Enter" && field.value && !/^(BUTTON|A|SUMMARY)$/.test(target.tagName)) {
      event.preventDefault();
      field.focus();
      field.form.requestSubmit();
    }
  });
  // Return and renewal keep their form: empty the field as soon as the request has its value,
  // so a scan typed while the answer is on its way is not lost.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.hasAttribute && form.hasAttribute("data-scan-form")) {
      var field = form.querySelector("input[data-scan]");
      if (field) field.value = "";
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-print]")) window.print();
  });
})();
