/* The archive map: a marker for every published item with a place; a marker's click brings its card
   into view. The cards below are the same items as a list, so the page works without script. */
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("archive-map");
    var source = document.getElementById("archive-places");
    if (!box || !source || !window.L) return;
    var data = JSON.parse(source.textContent);
    if (!data.items.length) return;
    box.hidden = false;
    var map = L.map(box, {scrollWheelZoom: false});
    if (data.tiles.url) {
      L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution, maxZoom: 19}).addTo(map);
    } else {
      box.classList.add("archive-map--plain");  // no tile server configured: markers on a plain ground
    }
    var bounds = [];
    data.items.forEach(function (item) {
      var marker = L.circleMarker([item.lat, item.lon], {radius: 8, weight: 2, color: "#1d3557", fillColor: "#c24e00", fillOpacity: 0.85});
      marker.bindTooltip(item.title + (item.year ? " (" + item.year + ")" : ""));
      marker.on("click", function () {
        var card = document.getElementById(item.id);
        if (card) { card.scrollIntoView({block: "center"}); card.focus({preventScroll: true}); }
      });
      marker.addTo(map);
      bounds.push([item.lat, item.lon]);
    });
    map.fitBounds(bounds, {padding: [24, 24], maxZoom: 15});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
