// Pickers with search. Pages work without this script: every list is a plain <select> or table, and long
// lists also take a server-side ?q= search. With it:
//  - <select data-picker> gets a search box before it; typing hides the options (and empty groups) whose
//    text does not contain what was typed; the chosen option always stays.
//  - <input data-filter="#id"> filters the rows (tr/li with text) of the element #id as one types.
(function () {
  "use strict";

  function norm(text) {
    return (text || "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function labelText(select) {
    var label = select.closest("label");
    if (label) {
      return norm(label.textContent.replace(select.textContent, ""));
    }
    return select.getAttribute("name") || "";
  }

  function filterOptions(select, query) {
    var q = norm(query);
    var shown = 0;
    Array.prototype.forEach.call(select.options, function (option) {
      var keep = !q || option.value === "" || option.selected || norm(option.textContent).indexOf(q) !== -1;
      option.hidden = !keep;
      if (keep && option.value !== "") {
        shown += 1;
      }
    });
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
      var visible = Array.prototype.some.call(group.children, function (option) {
        return !option.hidden;
      });
      group.hidden = !visible;
    });
    return shown;
  }

  function addPicker(select) {
    if (select.getAttribute("data-picker-ready")) {
      return;
    }
    select.setAttribute("data-picker-ready", "1");
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.placeholder = "输入文字筛选";
    box.setAttribute("aria-label", "筛选" + labelText(select));
    box.setAttribute("data-picker-for", select.getAttribute("name") || "");
    var status = document.createElement("span");
    status.className = "muted picker-count";
    status.setAttribute("aria-live", "polite");
    box.addEventListener("input", function () {
      var shown = filterOptions(select, box.value);
      status.textContent = box.value ? "匹配 " + shown + " 项" : "";
      if (shown === 1 && !select.value) {
        var only = Array.prototype.filter.call(select.options, function (o) {
          return !o.hidden && o.value !== "";
        })[0];
        if (only) {
          only.selected = true;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // do not submit the form from the search box
        select.focus();
      }
    });
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select.nextSibling);
  }

  function addFilter(input) {
    var target = document.querySelector(input.getAttribute("data-filter"));
    if (!target) {
      return;
    }
    function apply() {
      var q = norm(input.value);
      Array.prototype.forEach.call(target.querySelectorAll("tbody tr, li"), function (row) {
        if (row.querySelector("th")) {
          return; // a header row stays
        }
        row.hidden = !!q && norm(row.textContent).indexOf(q) === -1;
      });
    }
    input.addEventListener("input", apply);
    // What was typed before this script ran (a fast typist, or the value a browser restores on "back")
    // filters at once rather than waiting for the next keystroke.
    apply();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-picker]"), addPicker);
    Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), addFilter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
