// The check-in screen: fetch the rotating code and the counts every 15 s without reloading the page
// (a timed page refresh would take the page away from screen-reader and keyboard users).
(function () {
  "use strict";
  if (!document.querySelector("img.qr")) return;
  setInterval(async function () {
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      if (!fresh.querySelector("img.qr")) {  // the day closed meanwhile: show the page that says so
        window.location.reload();
        return;
      }
      ["img.qr", "#counts"].forEach(function (selector) {
        const next = fresh.querySelector(selector);
        const current = document.querySelector(selector);
        if (next && current) current.replaceWith(next);
      });
    } catch (error) {
      // Offline for a moment: the next round tries again.
    }
  }, 15000);
})();
