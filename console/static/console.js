// The conversations page's live queue: the server tells the staff queue's
// figures as they change (server-sent events); the counts are updated in
// place (read out politely by screen readers), and the lists are fetched
// again when the queue changed — but not while focus is in them, so that
// nobody loses their place. Without this script the page refreshes itself
// every 30 seconds (a <noscript> refresh).
(function () {
  var lists = document.getElementById("lists");
  if (!lists || !window.EventSource) return;
  var sig = null, stale = false;
  function swap() {
    if (lists.contains(document.activeElement)) { stale = true; return; }
    stale = false;
    fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var next = doc.getElementById("lists");
      if (next && !lists.contains(document.activeElement)) {
        // The counts' live region stays, so it is not announced twice.
        var count = lists.querySelector("[data-count]"), nextCount = next.querySelector("[data-count]");
        if (count && nextCount) nextCount.replaceWith(count);
        lists.replaceWith(next);
        lists = next;
      }
    });
  }
  document.addEventListener("focusout", function () { if (stale) setTimeout(swap, 0); });
  var es = new EventSource(lists.getAttribute("data-live"));
  es.addEventListener("queue", function (e) {
    var q = JSON.parse(e.data);
    var count = lists.querySelector("[data-count]");
    if (count) count.textContent = q.text;
    var badge = document.querySelector("[data-badge]");
    if (badge) badge.textContent = q.badge;
    if (sig !== null && q.sig !== sig) swap();
    sig = q.sig;
  });
})();
