/* The sidebars as drawers on a phone or a tablet (issue 18).
 *
 * Below 992 px pydata-sphinx-theme opens the chapter list and "On this
 * page" as modal dialogs (its toggles, in the article header, open them;
 * Escape and a tap outside close them). Two things it leaves undone:
 *
 * - Focus back on the button. The theme returns the focus to what had it
 *   before the drawer opened, but sphinx-book-theme blurs the toggle on
 *   every click (to drop its tooltip), so the focus fell to the page's
 *   start. When a drawer closes by Escape or a tap outside, the button
 *   that opened it takes the focus again.
 * - A tap on a section of this page. The link scrolled the page behind the
 *   dialog, which stayed open over it; now the drawer closes and the page
 *   shows the section (the focus goes where the link leads, not back).
 */
(() => {
  const drawers = [
    ["pst-primary-sidebar-modal", ".primary-toggle"],
    ["pst-secondary-sidebar-modal", ".secondary-toggle"],
  ];
  for (const [id, toggleSelector] of drawers) {
    const dialog = document.getElementById(id);
    if (!dialog) continue;
    let followingALink = false;
    dialog.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest('a[href^="#"]');
      if (link && dialog.open) {
        followingALink = true;
        dialog.close();
      }
    });
    dialog.addEventListener("close", () => {
      if (followingALink) {
        followingALink = false;
        return;
      }
      // After the theme's own close handlers, which move the focus too.
      setTimeout(() => {
        const toggle = document.querySelector(toggleSelector);
        if (toggle) toggle.focus({ preventScroll: true });
      });
    });
  }
})();
