/* "Where can I borrow this now?": the place button, the map, and each library's live status.
   The page lists the nearest libraries server-side; this script asks /calil/check (plain JSON, the
   same API Calil's clients use), then polls the session, filling in each branch as its system
   answers instead of waiting for the slowest. Without script the list and the place form still work. */
(function () {
  "use strict";

  function locateButton() {
    var button = document.getElementById("where-locate");
    var form = document.getElementById("where-form");
    if (!button || !form || !("geolocation" in navigator)) return;
    var status = document.getElementById("where-locate-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = button.getAttribute("data-finding") || "…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("where-geocode").value =
          pos.coords.longitude.toFixed(6) + "," + pos.coords.latitude.toFixed(6);
        document.getElementById("where-pref").value = "";
        document.getElementById("where-city").value = "";
        form.submit();
      }, function (err) {
        button.disabled = false;
        status.textContent = button.getAttribute("data-denied") || String(err.message || err);
      }, {enableHighAccuracy: false, timeout: 10000, maximumAge: 600000});
    });
  }

  function drawMap(data) {
    var box = document.getElementById("where-map");
    var placed = data.libraries.filter(function (l) { return l.lat !== null && l.lon !== null; });
    if (!box || !window.L || placed.length === 0) return {};
    box.hidden = false;
    var map = L.map(box, {scrollWheelZoom: false});
    if (data.tiles.url) {
      L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution, maxZoom: 19}).addTo(map);
    } else {
      box.classList.add("where__map--plain");  // no tile server configured: markers on a plain ground
    }
    var markers = {};
    var bounds = [];
    if (data.origin) {
      // A ring under the libraries' markers: a library right at the chosen place stays visible.
      L.circleMarker([data.origin[1], data.origin[0]], {radius: 13, color: "#c24e00", weight: 3, fill: false})
        .bindTooltip(data.labels.here).addTo(map);
      bounds.push([data.origin[1], data.origin[0]]);
    }
    placed.forEach(function (lib) {
      var m = L.circleMarker([lib.lat, lib.lon], {radius: 8, weight: 2, color: "#1d3557", fillColor: lib.online ? "#8a9099" : "#ffffff", fillOpacity: 0.9});
      m.bindTooltip(lib.name);
      m.on("click", function () {
        var row = document.getElementById(lib.id);
        if (row) { row.scrollIntoView({block: "center"}); row.focus({preventScroll: true}); }
      });
      m.addTo(map);
      markers[lib.id] = m;
      bounds.push([lib.lat, lib.lon]);
    });
    map.fitBounds(bounds, {padding: [24, 24], maxZoom: 15});
    return markers;
  }

  // With several ISBNs (editions) a branch shows its most useful status, in the server's order
  // (data.rank: federation/domain/holdings.py, the order a branch's copies are merged in).
  function best(rank, statuses) {
    var found = null;
    statuses.forEach(function (s) {
      if (rank.indexOf(s) >= 0 && (found === null || rank.indexOf(s) < rank.indexOf(found))) found = s;
    });
    return found;
  }

  // One library's state from a /calil/check answer: running, error, or a branch status and links.
  function libraryState(data, books, lib) {
    var running = false, error = 0, statuses = [], reserve = "";
    data.isbns.forEach(function (isbn) {
      var sys = books[isbn] && books[isbn][lib.systemid];
      if (!sys || sys.status === "Running") { running = true; return; }
      if (sys.status === "Error") { error += 1; return; }
      var st = (sys.libkey || {})[lib.libkey];
      statuses.push(st || "蔵書なし");
      if (st && sys.reserveurl && !reserve) reserve = sys.reserveurl;
    });
    if (statuses.length) return {state: "answered", status: best(data.rank, statuses), reserve: reserve, partial: running};
    if (running) return {state: "running"};
    return {state: "error"};
  }

  function paint(data, books, markers) {
    var done = 0;
    var online = data.libraries.filter(function (l) { return l.online; });
    online.forEach(function (lib) {
      var row = document.getElementById(lib.id);
      if (!row) return;
      var s = libraryState(data, books, lib);
      if (s.state !== "running" && !s.partial) done += 1;
      var badge = row.querySelector(".where__badge");
      var actions = row.querySelector(".where__actions");
      var text, css;
      if (s.state === "running") { text = data.labels.running; css = "running"; }
      else if (s.state === "error") { text = data.labels.error; css = "error"; }
      else { text = data.labels.statuses[s.status] || s.status; css = data.css[s.status] || "none"; }
      if (badge.textContent !== text) {
        badge.textContent = text;
        badge.className = "status where__badge where__badge--" + css;
        badge.setAttribute("data-state", s.state === "answered" ? s.status : s.state);
      }
      if (s.state === "answered" && s.status !== "蔵書なし" && !actions.hasChildNodes()) {
        var href = lib.local ? (data.holdUrl || s.reserve) : s.reserve;
        if (href) {
          var a = document.createElement("a");
          a.href = href;
          a.className = lib.local ? "button button--primary" : "button";
          a.textContent = lib.local ? data.labels.hold : data.labels.reserve;
          if (!lib.local) a.rel = "noopener";
          actions.appendChild(a);
        }
      }
      var m = markers[lib.id];
      if (m) m.setStyle({fillColor: css === "available" ? "#1b5e20" : css === "running" ? "#8a9099" : css === "error" || css === "none" ? "#ffffff" : "#9b1c1c"});
    });
    var progress = document.getElementById("where-progress");
    var total = online.length;
    var text = done >= total ? data.labels.done
      : data.labels.progress.replace("%(done)d", String(done)).replace("%(all)d", String(total));
    // Only a change is written, so a screen reader announces progress, not every poll.
    if (progress.textContent !== text) progress.textContent = text;
    return done >= total;
  }

  function check(data, markers) {
    var systemids = [];
    data.libraries.forEach(function (l) {
      // A library that cannot be asked from here (a Calil system without toshokan's appkey) says so
      // in its row from the start; it is not part of the check.
      if (l.online && systemids.indexOf(l.systemid) < 0) systemids.push(l.systemid);
    });
    if (!systemids.length) return;
    var first = data.checkUrl + "?callback=no&format=json&isbn=" + encodeURIComponent(data.isbns.join(",")) +
      "&systemid=" + encodeURIComponent(systemids.join(","));
    var failures = 0, restarts = 0;
    function ask(url) {
      fetch(url, {headers: {"Accept": "application/json"}, cache: "no-store"}).then(function (r) {
        // The session expired: check anew, once (a server that never knows our sessions — several
        // machines without a shared cache — must not make the page start checks for ever).
        if (r.status === 404 && url !== first && restarts < 1) { restarts += 1; return {"restart": true}; }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (body) {
        if (body.restart) { ask(first); return; }
        failures = 0;
        var finished = paint(data, body.books || {}, markers);
        if (body["continue"] === 1 && !finished) {
          window.setTimeout(function () {
            ask(data.checkUrl + "?callback=no&format=json&session=" + encodeURIComponent(body.session));
          }, data.pollMs);
        }
      }).catch(function () {
        failures += 1;
        if (failures < 3) { window.setTimeout(function () { ask(url); }, data.pollMs * failures); return; }
        document.getElementById("where-progress").textContent = data.labels.failed;
      });
    }
    // A page reloaded with a session (the no-script path, or the browser's back button) goes on with it.
    ask(data.session ? data.checkUrl + "?callback=no&format=json&session=" + encodeURIComponent(data.session) : first);
  }

  function start() {
    locateButton();
    var node = document.getElementById("where-data");
    if (!node) return;
    var data = JSON.parse(node.textContent);
    if (!data.isbns.length || !data.libraries.length) return;
    var markers = {};
    try { markers = drawMap(data); } catch (e) { markers = {}; }  // the list works without the map
    check(data, markers);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
