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
