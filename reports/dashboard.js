/* secaudit dashboard: sort by any column heading that has data-sort, filter by department, decision and text.
   Inlined into the page, which allows exactly this script by its hash. It only reorders and hides rows that
   are already in the page; it reads the values it sorts and filters by from each row's data-* attributes,
   written by the template, and it adds no text of its own (every word on the page is the template's). */
(function () {
  "use strict";
  var table = document.getElementById("services");
  var filters = document.getElementById("filters");
  if (!table || !filters) {
    return;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var department = document.getElementById("filter-department");
  var decision = document.getElementById("filter-decision");
  var search = document.getElementById("filter-search");
  var shown = document.getElementById("shown-count");
  var headings = Array.prototype.slice.call(table.tHead.rows[0].cells).filter(function (cell) {
    return cell.hasAttribute("data-sort");
  });

  // An empty value (no launch date, never assessed, no due date) goes last whichever the direction;
  // equal values keep the attention order the page was written in.
  function compare(key, direction) {
    return function (a, b) {
      var x = a.getAttribute("data-" + key) || "";
      var y = b.getAttribute("data-" + key) || "";
      if (x !== y) {
        if (!x) {
          return 1;
        }
        if (!y) {
          return -1;
        }
        return (x < y ? -1 : 1) * direction;
      }
      var p = a.getAttribute("data-attention");
      var q = b.getAttribute("data-attention");
      return p < q ? -1 : p > q ? 1 : 0;
    };
  }

  function sortBy(heading) {
    var current = heading.getAttribute("aria-sort");
    var first = heading.getAttribute("data-first") || "ascending";
    var next = current === "ascending" ? "descending" : current === "descending" ? "ascending" : first;
    headings.forEach(function (cell) {
      cell.removeAttribute("aria-sort");
    });
    heading.setAttribute("aria-sort", next);
    rows.sort(compare(heading.getAttribute("data-sort"), next === "ascending" ? 1 : -1));
    rows.forEach(function (row) {
      body.appendChild(row);
    });
  }

  function applyFilters() {
    var wantedDepartment = department.value;
    var wantedDecision = decision.value;
    var words = search.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var keep =
        (!wantedDepartment || row.getAttribute("data-department") === wantedDepartment) &&
        (!wantedDecision || row.getAttribute("data-decision") === wantedDecision) &&
        (!words || row.getAttribute("data-search").indexOf(words) !== -1);
      row.hidden = !keep;
      if (keep) {
        count += 1;
      }
    });
    shown.textContent = String(count);
  }

  headings.forEach(function (heading) {
    var button = document.createElement("button");
    button.type = "button";
    while (heading.firstChild) {
      button.appendChild(heading.firstChild);
    }
    heading.appendChild(button);
    button.addEventListener("click", function () {
      sortBy(heading);
    });
  });
  department.addEventListener("change", applyFilters);
  decision.addEventListener("change", applyFilters);
  search.addEventListener("input", applyFilters);
  filters.hidden = false;
  applyFilters();
})();
