// The lead page's forms (reach out, assign, add a note, the details) are sent one at a time.
// Sending one reloads the page; when another holds text the attorney typed and did not send,
// ask first, so no action drops it unasked.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const forms = Array.from(document.querySelectorAll("form[data-workspace-form], form#lead_form"));

  function typedIn(form) {
    return Array.from(form.elements).some(function (field) {
      if (field.type === "hidden" || field.type === "submit" || field.type === "button") return false;
      if (field.tagName === "SELECT") {
        return Array.from(field.options).some(function (option) {
          return option.selected !== option.defaultSelected;
        });
      }
      if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
      return field.value !== field.defaultValue;
    });
  }

  function label(form) {
    const heading = form.querySelector("label, legend");
    if (form.id === "lead_form") return "Details";
    return heading ? heading.textContent.trim() : "another form";
  }

  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      const unsent = forms.filter(function (other) {
        return other !== form && typedIn(other);
      });
      if (!unsent.length) return;
      const names = unsent.map(label).join(", ");
      const question = "You typed something in " + names + " and did not send it. It will be lost. Continue?";
      if (!window.confirm(question)) event.preventDefault();
    });
  });
});
