// An open voucher: a countdown to its expiry, and the page asks every 4 s whether the counter has
// redeemed it, turning to 已核销 by itself (the volunteer need not reload at the counter).
(function () {
  "use strict";
  var card = document.querySelector("#voucher-state[data-watch]");
  if (!card) return;
  var expires = new Date(card.dataset.expires).getTime();
  var left = card.querySelector(".countdown");
  function tick() {
    var seconds = Math.max(0, Math.round((expires - Date.now()) / 1000));
    var m = Math.floor(seconds / 60), s = String(seconds % 60).padStart(2, "0");
    left.textContent = left.dataset.left.replace("%(m)s", m).replace("%(s)s", s);
  }
  async function poll() {
    try {
      var response = await fetch(window.location.href, { cache: "no-store" });
      var fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("#voucher-state");
      if (fresh && !fresh.hasAttribute("data-watch")) {  // redeemed, cancelled or expired
        card.replaceWith(fresh);
        return;
      }
    } catch (error) {
      // Offline for a moment: ask again next round.
    }
    setTimeout(poll, 4000);
  }
  tick();
  setInterval(tick, 1000);
  setTimeout(poll, 4000);
})();
