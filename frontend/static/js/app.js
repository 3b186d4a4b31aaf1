// Behaviour shared by every page, kept out of the templates so the Content-Security-Policy
// needs no 'unsafe-inline' for scripts.
// <select data-submit-on-change>: choosing an option submits its form (language, filters).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-submit-on-change]") && field.form) {
    field.form.submit();  // as the inline handler did: a plain submission
  }
});
