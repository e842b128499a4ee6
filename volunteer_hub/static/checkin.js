// Check-in page: get the location where the service day asks for it, then submit by itself.
// Print button on the service record. No inline scripts (CSP).
(function () {
  var form = document.getElementById("scan-form");
  if (form) {
    var status = document.getElementById("location-status");
    var submit = function () { form.querySelector("button").disabled = true; form.submit(); };
    if (form.dataset.needsLocation === "true" && navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("[name=lat]").value = pos.coords.latitude;
        form.querySelector("[name=lon]").value = pos.coords.longitude;
        submit();
      }, function () {
        if (status) { status.textContent = status.dataset.denied || "Location unavailable: allow location access, or ask the organiser to check you in."; }
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    } else {
      submit();
    }
  }
  var print = document.querySelector("[data-print]");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
