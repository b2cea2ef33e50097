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
