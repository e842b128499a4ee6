// 离线补传: check-in scans made without signal are kept in IndexedDB with their nonce, their time and the
// account that made them, listed as 待上传, and sent to /scan/upload when the phone is back online: on the
// "online" event, on every page load, and when the service worker's Background Sync says so. A scan is
// removed from the queue only with the server's answer, so two tabs may send it twice: the nonce makes
// the second a repeat of the first answer.
(function () {
  "use strict";
  if (!window.indexedDB) return;
  var meta = function (name) { var tag = document.querySelector("meta[name=" + name + "]"); return tag ? tag.content : ""; };
  var account = meta("account");
  var KEEP_MS = 2 * 24 * 3600 * 1000;  // answered scans stay listed for two days

  function store(mode, work) {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open("volunteer-hub", 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("scans", { keyPath: "nonce" }); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        var tx = opening.result.transaction("scans", mode);
        var request = work(tx.objectStore("scans"));
        tx.oncomplete = function () { opening.result.close(); resolve(request ? request.result : undefined); };
        tx.onerror = function () { opening.result.close(); reject(tx.error); };
      };
    });
  }
  var all = function () { return store("readonly", function (s) { return s.getAll(); }); };
  var put = function (item) { return store("readwrite", function (s) { return s.put(item); }); };
  var drop = function (nonce) { return store("readwrite", function (s) { return s.delete(nonce); }); };

  function newNonce() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function add(scan) {
    var item = Object.assign({ nonce: newNonce(), scannedAt: new Date().toISOString(), account: account,
                               state: "queued" }, scan);
    await put(item);
    if (navigator.serviceWorker && window.SyncManager) {
      navigator.serviceWorker.ready.then(function (sw) { return sw.sync.register("checkin-queue"); })
        .catch(function () { /* no Background Sync: the next page load sends it */ });
    }
    render();
    return item;
  }

  var flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine || !account) return;
    flushing = true;
    try {
      var items = (await all()).filter(function (i) { return i.state === "queued" && i.account === account; });
      for (var item of items) {
        var response, body;
        try {
          response = await fetch("/scan/upload", {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": meta("csrf-token") },
            body: JSON.stringify({ token: item.token, nonce: item.nonce, scanned_at: item.scannedAt,
                                   lat: item.lat, lon: item.lon }) });
          body = await response.json();
        } catch (error) {
          break;  // still no network, or not our JSON (logged out): keep it for later
        }
        if (response.status >= 500 || response.status === 429) break;
        item.state = response.ok ? "uploaded" : "refused";
        item.message = response.ok ? body.message : body.error.message;
        item.day = body.day || item.day;
        item.answeredAt = Date.now();
        await put(item);
      }
    } finally {
      flushing = false;
      render();
    }
  }

  async function render() {
    var box = document.querySelector("[data-offline-queue]");
    if (!box) return;
    var items = (await all()).filter(function (i) { return i.account === account; });
    var list = box.querySelector("ul");
    list.textContent = "";
    for (var item of items) {
      if (item.answeredAt && Date.now() - item.answeredAt > KEEP_MS) { await drop(item.nonce); continue; }
      var row = document.createElement("li");
      row.className = "offline-" + item.state;
      var when = new Date(item.scannedAt).toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });
      var tag = document.createElement("span");
      tag.className = "weui-badge phase";
      tag.textContent = box.dataset[item.state];
      row.append(when + (item.day ? " · " + item.day : ""), " ", tag);
      if (item.message) {
        var note = document.createElement("p");
        note.className = item.state === "refused" ? "error" : "muted";
        note.textContent = item.message;
        row.append(note);
      }
      list.append(row);
    }
    box.hidden = !list.children.length;
  }

  window.OfflineQueue = { add: add, flush: flush };
  window.addEventListener("online", flush);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data === "flush-checkins") flush();
    });
  }
  render().then(flush);
})();
