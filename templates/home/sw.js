// 服务工作线程 (Workbox, from npm): the app shell, the scanner and the offline page are precached; the pages a
// volunteer reads in the field are kept as last opened (network first); everything else needs the network.
// A Background Sync tells open pages to upload the scans they kept offline (static/offline.js).
importScripts({{ url_for('static', filename='vendor/workbox/workbox-sw.js')|tojson }});
workbox.setConfig({ modulePathPrefix: {{ url_for('static', filename='vendor/workbox/')|tojson }}, debug: false });
workbox.loadModule("workbox-core");
workbox.loadModule("workbox-routing");
workbox.loadModule("workbox-strategies");
workbox.loadModule("workbox-precaching");

self.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute({{ shell|tojson }});

const keptPages = new RegExp({{ pages|tojson }});
workbox.routing.registerRoute(
  ({ request, url }) => request.mode === "navigate" && keptPages.test(url.pathname) && !url.search,
  new workbox.strategies.NetworkFirst({ cacheName: "pages", networkTimeoutSeconds: 6 }));
workbox.routing.registerRoute(
  ({ url }) => url.origin === self.location.origin && /^\/events\/\d+\/cover\.jpg$/.test(url.pathname),
  new workbox.strategies.CacheFirst({ cacheName: "covers" }));
workbox.routing.registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/static/"),
  new workbox.strategies.StaleWhileRevalidate({ cacheName: "static" }));
workbox.routing.setDefaultHandler(new workbox.strategies.NetworkOnly());
// Without signal, a page the phone has not kept shows the offline page.
workbox.routing.setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    return (await workbox.precaching.matchPrecache({{ url_for('home.offline')|tojson }})) || Response.error();
  }
  return Response.error();
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "checkin-queue") return;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then((clients) => clients.forEach((client) => client.postMessage("flush-checkins"))));
});
