// 扫一扫: the phone's camera, read frame by frame by zxing-wasm (served from our own static folder).
// A code of this site (a check-in /c/…, a voucher /r/…) is opened at once; anything else is said so.
// Without a camera, or without permission, the typed form below the viewfinder still works.
// Without signal, a check-in code is kept on the phone (static/offline.js) with the time and place of the scan.
(function () {
  "use strict";
  var box = document.querySelector("[data-scanner]");
  if (!box || !window.ZXingWASM || !navigator.mediaDevices) return;
  var video = box.querySelector("video");
  var status = box.querySelector("[data-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var prefixes = (box.dataset.open || "/c/,/r/").split(",");

  ZXingWASM.prepareZXingModule({
    overrides: {
      locateFile: function (path, prefix) {
        return path.endsWith(".wasm") ? box.dataset.wasm : prefix + path;
      },
    },
  });

  function say(text) {
    status.textContent = text;
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
  }

  function ours(text) {
    try {
      var url = new URL(text, window.location.href);
      if (url.origin !== window.location.origin) return null;
      return prefixes.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; }) ? url : null;
    } catch (error) {
      return null;
    }
  }

  async function look() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var results = await ZXingWASM.readBarcodes(image, { formats: ["QRCode"], maxNumberOfSymbols: 1, tryHarder: true });
      var found = results.find(function (result) { return result.isValid && result.text; });
      if (found) {
        var url = ours(found.text);
        if (url && !navigator.onLine && window.OfflineQueue && url.pathname.indexOf("/c/") === 0) {
          stop();
          keep(url.pathname.slice(3));
          return;
        }
        if (url) {
          stop();
          say(box.dataset.opening);
          window.location.assign(url.href);
          return;
        }
        say(box.dataset.foreign);
      }
    }
    setTimeout(look, 150);
  }

  function keep(token) {
    var scannedAt = new Date().toISOString();  // the moment of the scan, not of the location fix
    function queue(place) {
      window.OfflineQueue.add(Object.assign({ token: token, scannedAt: scannedAt }, place)).then(function () {
        say(box.dataset.queued);
      });
    }
    if (!navigator.geolocation) return queue({});
    navigator.geolocation.getCurrentPosition(
      function (position) { queue({ lat: position.coords.latitude, lon: position.coords.longitude }); },
      function () { queue({}); }, { timeout: 8000, maximumAge: 60000 });
  }

  async function start() {
    say(box.dataset.starting);
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      say(box.dataset.noCamera);
      return;
    }
    video.srcObject = stream;
    await video.play();
    box.classList.add("scanning");
    say(box.dataset.looking);
    look();
  }

  box.querySelector("[data-start]").addEventListener("click", start);
  window.addEventListener("pagehide", stop);
  if (box.dataset.autostart !== undefined) start();
})();
