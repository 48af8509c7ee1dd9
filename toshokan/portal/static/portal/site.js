/* toshokan patron pages: the little that htmx leaves to us. Everything works without this file. */
(function () {
  "use strict";
  // Hides the "apply" buttons that only a page without scripts needs (see .no-js-only in site.css).
  document.documentElement.classList.add("js");

  // After the search area is replaced, keep the keyboard where the person was. htmx puts focus back
  // on an element with the same id (the query box, a filter checkbox); when the element that had
  // focus is gone (a page link, a removed filter), move it to the results heading instead of
  // dropping it at the top of the document.
  document.addEventListener("htmx:afterSettle", function (event) {
    var area = document.getElementById("search-area");
    if (!area || event.target !== area) return;
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    var heading = document.getElementById("results-heading");
    if (heading) heading.focus();
  });

  // My library: a renewal or a hold action replaces its own row (the button that was pressed is
  // gone); put focus on the answer inside the new row, so that it is read out and Tab goes on
  // from there.
  var swappedRow = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    swappedRow = target && target.classList && target.classList.contains("item") ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!swappedRow) return;
    var row = document.getElementById(swappedRow);
    swappedRow = null;
    var outcome = row && row.querySelector(".outcome");
    if (outcome) outcome.focus();
  });
})();
