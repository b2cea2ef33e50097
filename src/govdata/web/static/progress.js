// Background work: keeps a progress page's bar current by polling its JSON endpoint, and disables the
// buttons of a form that starts work once it is sent (a second click sends nothing). Pages work without it:
// the progress page has a link that loads it again, and the server refuses a second run of the same work.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function show(section, name, visible) {
    var el = section.querySelector('[data-work="' + name + '"]');
    if (el) {
      el.hidden = !visible;
    }
    return el;
  }

  function render(section, work) {
    var bar = section.querySelector("progress");
    if (work.percent !== null) {
      bar.max = work.total || 1;
      bar.value = work.total ? Math.min(work.done, work.total) : (work.state === "done" ? 1 : 0);
    } else {
      bar.removeAttribute("value");  // busy, without a measure: the browser shows it moving
    }
    section.setAttribute("data-state", work.state);
    var state = section.querySelector('[data-testid="work-state"]');
    state.textContent = work.state_label;
    state.className = "tag " + (work.state === "done" ? "ok" : work.state === "failed" ? "bad" : "warn");
    section.querySelector('[data-work="counts"]').textContent = work.counts;
    show(section, "time_left", !work.finished).textContent = "剩余时间：" + work.time_left;
    show(section, "reload", !work.finished);
    var result = show(section, "result", work.state === "done");
    if (work.state === "done") {
      result.firstChild.textContent = work.result_text + " ";
      result.querySelector("a").href = work.result_href;
    }
    show(section, "error", work.state === "failed").textContent = work.error;
  }

  function poll(section) {
    var url = section.getAttribute("data-work-poll");
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status !== 200) {
        window.setTimeout(function () { poll(section); }, POLL_MS * 5);
        return;
      }
      var work = JSON.parse(request.responseText);
      render(section, work);
      if (!work.finished) {
        window.setTimeout(function () { poll(section); }, POLL_MS);
      }
    };
    request.onerror = function () {
      window.setTimeout(function () { poll(section); }, POLL_MS * 5);
    };
    request.send();
  }

  function start() {
    var sections = document.querySelectorAll("[data-work-poll]");
    for (var i = 0; i < sections.length; i++) {
      var state = sections[i].getAttribute("data-state");
      if (state === "queued" || state === "running") {
        poll(sections[i]);
      }
    }
    var forms = document.querySelectorAll("form[data-starts-work]");
    for (var j = 0; j < forms.length; j++) {
      forms[j].addEventListener("submit", function (event) {
        var form = event.currentTarget;
        if (form.getAttribute("data-sent")) {
          event.preventDefault();
          return;
        }
        form.setAttribute("data-sent", "1");
        // Disabled after this turn, so the clicked button's own name and value are still sent.
        window.setTimeout(function () {
          var buttons = form.querySelectorAll("button");
          for (var k = 0; k < buttons.length; k++) {
            buttons[k].disabled = true;
          }
        }, 0);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
