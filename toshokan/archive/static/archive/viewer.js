/* The item page's viewer: OpenSeadragon over toshokan's own IIIF Image API (each image's info.json),
   one page at a time with a strip of all pages. Without script the page lists the images as links. */
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("archive-viewer");
    var source = document.getElementById("archive-viewer-data");
    if (!box || !source || !window.OpenSeadragon) return;
    var data = JSON.parse(source.textContent);
    if (!data.tileSources.length) return;
    box.hidden = false;
    var viewer = OpenSeadragon({
      element: box,
      prefixUrl: data.prefixUrl,
      tileSources: data.tileSources,
      sequenceMode: data.tileSources.length > 1,
      showReferenceStrip: data.tileSources.length > 1,
      showNavigator: true,
      crossOriginPolicy: false,
      gestureSettingsMouse: {scrollToZoom: true}
    });
    viewer.addHandler("open", function () { box.setAttribute("data-ready", "1"); });
    viewer.addHandler("open-failed", function () { box.setAttribute("data-ready", "failed"); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
