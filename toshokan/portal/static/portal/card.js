/* toshokan: the digital card's offline copy. On the card page, registers the service worker that
   keeps it (sw.js at the site root); on the logged-out page, removes it and its cache from this
   device (Clear-Site-Data does the same where the browser supports it). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  if (script.dataset.sw) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: "/" }).catch(function () {});
  } else if (script.dataset.forget) {
    navigator.serviceWorker.getRegistrations().then(function (regs) {
      regs.forEach(function (r) { r.unregister(); });
    });
    if (window.caches) {
      caches.keys().then(function (keys) {
        keys.forEach(function (k) { if (k.indexOf("toshokan-") === 0) caches.delete(k); });
      });
    }
  }
})();
