// The check-in screen: fetch the rotating code and the counts every 15 s without reloading the page
// (a timed page refresh would take the page away from screen-reader and keyboard users). Without a
// connection it says plainly when the code on show stops working, and catches up when back online.
(function () {
  "use strict";
  if (!document.querySelector("img.qr")) return;
  function lost(isLost) {
    const note = document.getElementById("screen-offline");
    if (!note) return;
    if (isLost && note.hidden) {
      const until = new Date(note.dataset.expires).toLocaleTimeString(document.documentElement.lang);
      note.textContent = note.dataset.message.replace("%(time)s", until);
    }
    note.hidden = !isLost;
  }
  async function refresh() {
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      if (!fresh.querySelector("img.qr")) {  // the day closed meanwhile: show the page that says so
        window.location.reload();
        return;
      }
      ["img.qr", "#counts", "#screen-offline"].forEach(function (selector) {
        const next = fresh.querySelector(selector);
        const current = document.querySelector(selector);
        if (next && current) current.replaceWith(next);
      });
      lost(false);
    } catch (error) {
      lost(true);  // the next round, or the "online" event, tries again
    }
  }
  window.addEventListener("offline", function () { lost(true); });
  window.addEventListener("online", refresh);
  setInterval(refresh, 15000);
})();
