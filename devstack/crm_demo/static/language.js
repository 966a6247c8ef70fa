// The user-language selector applies on change (the OK button is for keyboard/no-script use).
(function () {
  "use strict";
  var form = document.getElementById("language-form");
  var select = document.getElementById("user-language");
  var apply = document.getElementById("language-apply");
  if (!form || !select) {
    return;
  }
  if (apply) {
    apply.classList.add("visually-hidden");
  }
  select.addEventListener("change", function () {
    form.submit();
  });
})();
