// The intake form's questions, live: only the chosen practice area's questions and the
// conditional questions that apply are shown. Without this script every question is on the
// page, saying when it applies, and the server keeps only the answers that apply.
(function () {
  "use strict";
  var form = document.querySelector("form[data-intake]");
  if (!form) {
    return;
  }

  function chosenValues(name) {
    var values = [];
    var inputs = form.querySelectorAll("[name='" + name + "']");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) {
        continue;
      }
      if (input.value.trim() !== "") {
        values.push(input.value.trim());
      }
    }
    return values;
  }

  function isShown(element) {
    for (var node = element; node && node !== form; node = node.parentElement) {
      if (node.hidden) {
        return false;
      }
    }
    return true;
  }

  function update() {
    var area = chosenValues("practice_area")[0] || "";
    var hasAreaChoice = form.querySelector("[data-area-choice]") !== null;
    var areas = form.querySelectorAll("[data-area]");
    for (var i = 0; i < areas.length; i++) {
      areas[i].hidden = hasAreaChoice && areas[i].getAttribute("data-area") !== area;
    }
    // In the page's order: a condition names an earlier question, already decided.
    var conditional = form.querySelectorAll("[data-show-if]");
    for (var j = 0; j < conditional.length; j++) {
      var element = conditional[j];
      var name = element.getAttribute("data-show-if");
      var wanted = element.getAttribute("data-show-values").split(" ");
      var controller = document.getElementById("id_" + name + "_question");
      var given = controller && isShown(controller) ? chosenValues(name) : [];
      element.hidden = !given.some(function (value) {
        return wanted.indexOf(value) !== -1;
      });
    }
  }

  var notes = form.querySelectorAll("[data-no-js-note], [data-condition]");
  for (var k = 0; k < notes.length; k++) {
    notes[k].hidden = true;
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
