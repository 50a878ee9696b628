/*
 * Booking and newsletter blocks (overrides/partials/booking.html, newsletter.html).
 *
 * - The booking calendar is an iframe from the provider. It is created only
 *   after the reader clicks «Vis bookingkalenderen», or at once if the reader
 *   has already consented to "booking" in Material's consent dialog.
 * - Forms keep working without this script. With it, errors are shown next to
 *   each field and announced, the button is disabled while sending (one click
 *   sends once), our own endpoints are posted with fetch, and a failure keeps
 *   what the visitor typed and says so in Norwegian.
 * - Our inbox's free times (provider inbox, issue 20) are fetched from its JSON
 *   and listed as buttons; the booking form follows a pick and carries the
 *   time in its hidden «slot». Without this script, or when no time is free,
 *   the block links to the inbox's slot page and the form sends a request.
 * - Every text comes from the form's data-* attributes, which
 *   overrides/partials/forms.html fills from hooks/hub/forms.py: the site and
 *   the inbox say the same thing in the same words.
 */
(function () {
  "use strict";

  function bookingConsented() {
    try {
      var consent = typeof __md_get === "function" ? __md_get("__consent") : null;
      return Boolean(consent && consent.booking);
    } catch (error) {
      return false;
    }
  }

  function loadEmbed(box) {
    var frame = document.createElement("iframe");
    frame.src = box.getAttribute("data-embed-src");
    frame.title = box.getAttribute("data-embed-title");
    frame.className = "hub-embed__frame";
    frame.setAttribute("loading", "lazy");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    box.replaceChildren(frame);
  }

  function setUpEmbed(box) {
    var button = box.querySelector("[data-hub-embed-button]");
    if (bookingConsented()) {
      loadEmbed(box);
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () { loadEmbed(box); });
  }

  function token() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function errorFor(field) {
    var id = field.id + "-error";
    var message = document.getElementById(id);
    if (!message) {
      message = document.createElement("p");
      message.id = id;
      message.className = "hub-field__error";
      field.closest(".hub-field").appendChild(message);
    }
    return message;
  }

  function clearErrors(form) {
    form.querySelectorAll("[aria-invalid]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
      errorFor(field).textContent = "";
    });
    form.querySelector("[data-hub-errors]").textContent = "";
  }

  function showErrors(form, errors) {
    errors.forEach(function (error) {
      error.field.setAttribute("aria-invalid", "true");
      error.field.setAttribute("aria-describedby", error.field.id + "-error");
      errorFor(error.field).textContent = error.message;
    });
    form.querySelector("[data-hub-errors]").textContent = errors.length === 1
      ? form.getAttribute("data-summary-one")
      : form.getAttribute("data-summary-many").replace("{count}", String(errors.length));
    errors[0].field.focus();
  }

  function invalidFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.willValidate && !field.matches("[data-hub-trap]") && !field.checkValidity();
    }).map(function (field) {
      return { field: field, message: field.getAttribute("data-error") || form.getAttribute("data-field-error") };
    });
  }

  function finish(form, message) {
    var status = form.parentNode.querySelector("[data-hub-status]");
    form.hidden = true;
    status.textContent = message;
    status.setAttribute("tabindex", "-1");
    status.focus();
    form.dispatchEvent(new CustomEvent("hub:done"));
  }

  function serverErrors(form, body) {
    var errors = [];
    Object.keys((body && body.errors) || {}).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.id) errors.push({ field: field, message: body.errors[name] });
    });
    return errors;
  }

  function send(form, button) {
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    var done = function () {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    };
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) {
          finish(form, body.message || form.getAttribute("data-success"));
          return;
        }
        var errors = serverErrors(form, body);
        done();
        if (errors.length) showErrors(form, errors);
        // Our inbox explains refusals (too many posts, too large) in Norwegian; anything else gets ours.
        else form.querySelector("[data-hub-errors]").textContent = (body && body.message) || form.getAttribute("data-failed");
        // A chosen time someone else took first: the slot list shows the next free ones (setUpSlots).
        form.dispatchEvent(new CustomEvent("hub:refused", { detail: body || {} }));
      });
    }).catch(function () {
      done();
      form.querySelector("[data-hub-errors]").textContent = form.getAttribute("data-failed");
    });
  }

  function setUpForm(form) {
    form.noValidate = true;
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("[type=submit]");
      clearErrors(form);
      var errors = invalidFields(form);
      if (errors.length) {
        event.preventDefault();
        showErrors(form, errors);
        return;
      }
      var trap = form.querySelector("[data-hub-trap]");
      if (trap && trap.value) {
        // A bot filled the invisible field: pretend success, send nothing.
        event.preventDefault();
        finish(form, form.getAttribute("data-success"));
        return;
      }
      if (button.disabled) {
        event.preventDefault();
        return;
      }
      if (form.getAttribute("data-scripted") === "true") {
        event.preventDefault();
        // One token per form view, made at the first send (not at load: the first call into the
        // browser's random generator is a long task on a slow phone): a resend is stored once.
        var formToken = form.elements.namedItem("form_token");
        if (formToken && !formToken.value) formToken.value = token();
        send(form, button);
      } else {
        // A provider's own form: the browser posts it; the button stays off so it posts once.
        setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  }

  // --- free times from our inbox -------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function setUpSlots(box) {
    var section = box.closest("section");
    var form = section.querySelector("form[data-hub-form]");
    var field = form && form.elements.namedItem("slot");
    if (!field) return;
    var button = form.querySelector("[type=submit]");
    var request = button.textContent;
    var list = element("div", "hub-slots__days");
    var chosen = element("p", "hub-slots__chosen");
    chosen.setAttribute("role", "status");
    var notice = element("p", "hub-form__errors");
    notice.setAttribute("role", "alert");

    function pick(slot, label) {
      field.value = slot.slot;
      list.querySelectorAll("[aria-pressed]").forEach(function (other) {
        other.setAttribute("aria-pressed", String(other.getAttribute("data-slot") === slot.slot));
      });
      chosen.textContent = box.getAttribute("data-chosen").replace("{when}", label);
      notice.textContent = "";
      button.textContent = box.getAttribute("data-book");
      button.disabled = false;
      form.hidden = false;
      var first = form.querySelector("input:not([type=hidden]):not([data-hub-trap])");
      if (first) first.focus();
    }

    function show(days) {
      list.replaceChildren();
      days.forEach(function (day) {
        var group = element("div", "hub-slots__day");
        var heading = element("h3", "", day.label.charAt(0).toUpperCase() + day.label.slice(1));
        var times = element("ul", "hub-slots__times");
        day.slots.forEach(function (slot) {
          var item = element("li");
          var choice = element("button", "md-button hub-slots__time", slot.time);
          choice.type = "button";
          choice.setAttribute("aria-pressed", "false");
          choice.setAttribute("data-slot", slot.slot);
          var label = day.label + " kl. " + slot.time + (slot.name ? " med " + slot.name : "");
          choice.setAttribute("aria-label", label);
          choice.addEventListener("click", function () { pick(slot, label); });
          item.appendChild(choice);
          times.appendChild(item);
        });
        group.append(heading, times);
        list.appendChild(group);
      });
    }

    function byDay(slots) {
      var days = [];
      slots.forEach(function (slot) {
        var date = slot.start.slice(0, 10);
        var day = days.length && days[days.length - 1].date === date ? days[days.length - 1] : null;
        if (!day) {
          day = { date: date, label: slot.label.replace(/ \d{4} kl\. .*$/, ""), slots: [] };
          days.push(day);
        }
        day.slots.push(slot);
      });
      return days;
    }

    function load() {
      fetch(box.getAttribute("data-src") + "?dager=5", { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || !body.days || !body.days.length) return;  // nothing free: the link and the request form stay
        var heading = element("h3", "", box.getAttribute("data-heading"));
        var more = element("p", "hub-slots__more");
        var link = element("a", "", box.getAttribute("data-more"));
        link.href = box.getAttribute("data-page");
        more.appendChild(link);
        show(body.days);
        box.replaceChildren(heading, notice, list, more, chosen);
        form.hidden = true;
        form.addEventListener("hub:refused", function (event) {
          var answer = event.detail;
          if (!answer.taken) return;
          field.value = "";
          chosen.textContent = "";
          notice.textContent = answer.message;
          show(byDay(answer.slots || []));
          button.textContent = request;
          button.disabled = true;  // until another time is picked
          var firstTime = list.querySelector("button");
          if (firstTime) firstTime.focus();
        });
        form.addEventListener("hub:done", function () { box.hidden = true; });  // booked: the times go too
      })
      .catch(function () { /* the inbox cannot be reached: the link and the request form stay */ });
    }

    // Asked only when the reader comes near the block: an article read to the middle sends the inbox nothing.
    if (!("IntersectionObserver" in window)) {
      load();
      return;
    }
    var watcher = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      watcher.disconnect();
      load();
    }, { rootMargin: "400px 0px" });
    watcher.observe(box);
  }

  document.querySelectorAll("[data-hub-slots]").forEach(setUpSlots);
  document.querySelectorAll("[data-hub-embed]").forEach(setUpEmbed);
  document.querySelectorAll("form[data-hub-form]").forEach(setUpForm);
})();
