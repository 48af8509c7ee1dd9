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
})();
