// Behaviour shared by every page, kept out of the templates so the Content-Security-Policy
// needs no 'unsafe-inline' for scripts.
// <select data-submit-on-change>: choosing an option submits its form (language, filters).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-submit-on-change]") && field.form) {
    field.form.submit();  // as the inline handler did: a plain submission
  }
});

// Product gallery: a thumbnail shows its picture in the main slot (without script, the
// thumbnail is a plain link to the picture).
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("[data-gallery-src]") : null;
  const gallery = link ? link.closest("[data-gallery]") : null;
  const main = gallery ? gallery.querySelector("[data-gallery-main]") : null;
  if (!link || !main) return;
  event.preventDefault();
  // The picture's smaller renditions (srcset) win over src: swap them too, or drop them.
  if (link.dataset.gallerySrcset) main.srcset = link.dataset.gallerySrcset;
  else main.removeAttribute("srcset");
  main.src = link.dataset.gallerySrc;
  main.alt = link.dataset.galleryAlt || "";
  gallery.querySelectorAll("[data-gallery-src]").forEach((each) => each.removeAttribute("aria-current"));
  link.setAttribute("aria-current", "true");
});
