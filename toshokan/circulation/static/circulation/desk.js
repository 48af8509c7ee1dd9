/* toshokan staff desk: keep the scanner's field focused. Everything works without this file. */
(function () {
  "use strict";
  function scanField() {
    return document.querySelector("input[data-scan]");
  }
  // After htmx swaps in a new checkout area (or adds a result), the barcode field has the focus,
  // so the next scan goes where it belongs.
  document.addEventListener("htmx:afterSettle", function () {
    var field = scanField();
    if (field && document.activeElement !== field) field.focus();
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
