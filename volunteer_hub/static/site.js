// Every page: a form's buttons show that it is being sent and cannot be pressed twice.
(function () {
  "use strict";
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var pressed = event.submitter;
      // After this turn, so the pressed button's name and value are still sent.
      setTimeout(function () {
        form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
          button.disabled = true;
        });
        if (pressed) {
          pressed.setAttribute("aria-busy", "true");
          pressed.classList.add("busy");
          if (pressed.dataset.busy) pressed.textContent = pressed.dataset.busy;
        }
      }, 0);
    });
  });
})();

// A choice that decides which of its sibling fields apply (data-shows="audience" on the fields'
// wrappers, data-when="team" …): the others are hidden. Without JavaScript all stay visible.
(function () {
  "use strict";
  document.querySelectorAll("[data-decides]").forEach(function (select) {
    var form = select.form;
    function show() {
      form.querySelectorAll("[data-shows='" + select.name + "']").forEach(function (wrapper) {
        wrapper.hidden = wrapper.dataset.when !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  });
})();

// The installable app: the service worker (/sw.js) keeps the shell and the pages read in the field; a banner
// says when the phone has no signal; logging out forgets the kept pages; 安装 where the browser offers it.
(function () {
  "use strict";
  var script = document.currentScript;
  if ("serviceWorker" in navigator && script && script.dataset.sw) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: "/" }).catch(function () { /* http, or refused */ });
  }
  var banner = document.getElementById("offline-banner");
  function signal() { if (banner) banner.hidden = navigator.onLine; }
  window.addEventListener("online", signal);
  window.addEventListener("offline", signal);
  signal();
  document.querySelectorAll("form[action$='/logout'], form[action$='/login']").forEach(function (form) {
    form.addEventListener("submit", function () { if (window.caches) caches.delete("pages"); });
  });
  // The volunteer's upcoming days, for reading on site without signal.
  var keep = Array.from(document.querySelectorAll("a[data-keep-offline]"), function (a) { return a.href; });
  if (keep.length && window.caches && navigator.onLine) {
    caches.open("pages").then(function (cache) { return cache.addAll(keep); }).catch(function () { /* next visit */ });
  }
  var install = document.querySelector("[data-install]");
  window.addEventListener("beforeinstallprompt", function (event) {
    if (!install) return;
    event.preventDefault();
    install.hidden = false;
    install.addEventListener("click", function () { event.prompt(); install.hidden = true; }, { once: true });
  });
})();
