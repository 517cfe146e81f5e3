// The ingest job page: poll the job's status and move the progress bar, then reload the page
// when the job ends. Without JavaScript the page refreshes itself (meta refresh) instead.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.active !== "1" || !window.fetch) return;
  var bar = document.getElementById("progress"), msg = document.getElementById("job-message");
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      if (bar) { bar.value = Math.round(s.progress * 100); bar.textContent = bar.value + "%"; }
      if (msg) msg.textContent = s.message;
      if (s.status === "queued" || s.status === "running") setTimeout(poll, 700); else location.reload();
    }).catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 700);
})();
