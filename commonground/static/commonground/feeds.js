// Progressive refresh of a feed page's latest values: without JavaScript the page's
// "Refresh" link reloads it; with it, the values are fetched every minute and replaced in
// place (cells marked data-stream="<id>"). No other script runs on the page.
(function () {
  "use strict";
  var source = document.querySelector("[data-latest-url]");
  if (!source || !window.fetch) { return; }
  var url = source.getAttribute("data-latest-url");
  var status = document.getElementById("refresh-status");
  function update() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.datastreams.forEach(function (s) {
          var cell = document.querySelector('[data-stream="' + s.id + '"]');
          if (cell) { cell.textContent = s.display; }
          var when = document.querySelector('[data-stream-at="' + s.id + '"]');
          if (when && s.at) { when.textContent = s.at.replace("T", " ").replace("Z", " UTC"); }
        });
        if (status) { status.textContent = "Latest values as of " + new Date().toLocaleTimeString(); }
      })
      .catch(function () {});
  }
  window.setInterval(update, 60000);
})();
