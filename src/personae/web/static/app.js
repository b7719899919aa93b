/* personae persona library: the little behaviour htmx does not cover.
   After htmx swaps in new content, move keyboard focus to the element the fragment marks
   with data-focus (the chosen segment's heading), so keyboard and screen reader users
   land on what they asked for instead of staying on the link they pressed. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelector) return;
    var focus = target.querySelector("[data-focus]");
    if (focus) {
      focus.focus({ preventScroll: true });
      focus.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  });
  /* The selected row of the segment table follows the segment shown. */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "segment-detail") return;
    var article = target.querySelector("[data-segment]");
    var chosen = article ? article.getAttribute("data-segment") : null;
    document.querySelectorAll(".segtable tbody tr").forEach(function (row) {
      var link = row.querySelector("[data-segment]");
      var on = link && link.getAttribute("data-segment") === chosen;
      row.classList.toggle("is-selected", !!on);
      if (on) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    });
  });
})();
