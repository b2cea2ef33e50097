// The few page conveniences that need script. Pages work without it (plain forms and links); the
// Content-Security-Policy allows scripts from /static/ only, so no inline handlers or javascript: links.
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-action]") : null;
  if (!target) {
    return;
  }
  var action = target.getAttribute("data-action");
  if (action === "back" && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  } else if (action === "print") {
    event.preventDefault();
    window.print();
  }
});

// The 菜单 and 筛选条件 buttons are a checkbox and its label (they work without script); with script, Escape or
// a tap outside an open one folds it again, as people expect of a menu.
function foldOpenToggles(except) {
  document.querySelectorAll("input.toggle:checked").forEach(function (toggle) {
    var panel = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!except || !panel || (!panel.contains(except) && !toggle.parentNode.contains(except))) {
      toggle.checked = false;
    }
  });
}
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    foldOpenToggles(null);
  }
});
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target.closest && !target.closest("label.toggle-button") && !target.closest("input.toggle")) {
    foldOpenToggles(target);
  }
});
