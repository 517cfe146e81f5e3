// Boxes that scroll sideways on a narrow screen (a wide table's .table-wrap or the table, a
// chart's or a map's figure) get keyboard focus, so they can be scrolled without a pointer where the
// browser does not focus scrolling boxes itself (Safari), and a table's box is named by its
// caption. A box a template marked up itself (tabindex) is left alone. Without JavaScript the
// boxes still scroll by touch; nothing else depends on this.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(
      ".table-wrap:not([tabindex]), main table:not([tabindex]), figure:not([tabindex])")
      .forEach(function (box) {
        if (box.scrollWidth <= box.clientWidth + 1) return;
        box.tabIndex = 0;
        // a figure is named by its figcaption; a table (scrolling itself) keeps its role
        if (box.tagName === "FIGURE" || box.tagName === "TABLE") return;
        var caption = box.querySelector("caption");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
      });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
  document.addEventListener("toggle", mark, true);  // a table in <details> shown on opening
  window.addEventListener("resize", mark);
})();
