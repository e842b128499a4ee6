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
