{% load static %}/* toshokan: keeps the digital library card readable when the phone is offline.
   Network first, so the card is always the current one when there is a connection; the last copy
   that came back (with its stylesheet and scripts) is kept and answered when the network fails.
   Nothing else is cached. Logging out clears this cache (Clear-Site-Data, and card.js as a
   fallback); so does a session that has ended. */
"use strict";
const CACHE = "toshokan-card-v1";
const CARD = "{% url 'portal:account_card' %}";
const ASSETS = ["{% static 'portal/site.css' %}", "{% static 'portal/site.js' %}", "{% static 'portal/card.js' %}", "{% static 'django_htmx/htmx-2.min.js' %}"];
const KEPT = new Set([CARD, ...ASSETS]);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(ASSETS);
      const response = await fetch(CARD, { credentials: "same-origin", redirect: "manual" });
      if (response.ok && response.type === "basic") await cache.put(CARD, response);
    }).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("toshokan-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !KEPT.has(url.pathname)) return;
  const fromCache = async () =>
    (await caches.match(url.pathname, { ignoreVary: true, ignoreSearch: true })) || Response.error();
  if (url.pathname !== CARD) {
    // The card's stylesheet and scripts: from the network when it answers, else the kept copy.
    // Only the card page writes to the cache, so nothing recreates it after a logout.
    event.respondWith(fetch(request).catch(fromCache));
    return;
  }
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && response.type === "basic" && !response.redirected) {
          const copy = response.clone();
          event.waitUntil(
            caches.open(CACHE).then((cache) => cache.put(CARD, copy).then(() => cache.addAll(ASSETS)))
          );
        } else if (response.type === "opaqueredirect") {
          // The session ended (a redirect to the login): the card shown offline goes too.
          event.waitUntil(caches.delete(CACHE));
        }
        return response;
      })
      .catch(fromCache)
  );
});
