"""Navigation as a reader does it: on a phone, a tablet and a desktop (issue 18).

Below 992 px the sidebar toggles in the header did nothing: both themes'
scripts bound the first ``.primary-toggle`` / ``.secondary-toggle`` of the
page, hidden buttons of a header the book does not show. Each test here does
what a reader does, in headless Chromium -- taps on a 390x844 touch screen,
clicks and keys on an 800x1000 tablet and a 1280x900 desktop --, on a
chapter and on the playground at each size, in English and in Korean
between them:

* the header: no stray band above it; on a phone at most six controls, each
  at least 44 x 44 px; no full-screen button below 992 px; no tooltip after
  a tap; one menu that still reaches every launch, source and download entry;
* "On this page": open it, close it with Escape and with a tap outside (the
  focus back on its button), tap a section and arrive at it;
* the chapter list: the same, then tap a chapter and arrive on it; on a
  desktop the same button collapses and reopens the sidebar;
* on a phone, scrolled to each section, no fixed element (the theme's
  "Back to top" pill was one) lies over text, code, figures or canvases.

And the search page's magnifier no longer covers the query's first letter.

Set ``CONVBOOK_SITE`` to a built ``_build/html`` to skip the fresh build.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.book

#: The reader's screens: a phone (touch), a tablet, a desktop.
SCREENS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    "tablet": {"viewport": {"width": 800, "height": 1000}},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
#: How the reader presses a button on each screen.
PRESS = {"phone": "tap", "tablet": "keyboard", "desktop": "click"}
#: Below this width the sidebars are drawers (the themes' breakpoints).
DRAWERS_BELOW = 992
TOC_DRAWER_BELOW = 1200
CHAPTER = "book/conv-layer"
PLAYGROUND = "book/playground"
#: At each size a chapter and the playground, English and Korean between them.
VISITS = [
    ("phone", CHAPTER), ("phone", f"ko/{PLAYGROUND}"),
    ("tablet", f"ko/{CHAPTER}"), ("tablet", PLAYGROUND),
    ("desktop", CHAPTER), ("desktop", f"ko/{PLAYGROUND}"),
]
#: The chapter the reader goes to from the chapter list.
DESTINATION = "filters.html"
MAX_PHONE_CONTROLS = 6
MIN_TARGET_PX = 44
#: Bootstrap shows a tooltip 500 ms after hover or focus.
TOOLTIP_DELAY_MS = 700

HEADER_JS = """() => {
    const header = document.querySelector('.bd-header-article');
    const shown = e => e.checkVisibility({visibilityProperty: true, opacityProperty: true})
        && e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0;
    const band = [...document.querySelectorAll('.bd-header, #pst-header, .navbar-persistent--mobile')]
        .filter(shown).map(e => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().height)} px tall)`);
    const controls = [...header.querySelectorAll('a[href], button')]
        .filter(e => !e.closest('.dropdown-menu') && shown(e))
        .map(e => { const r = e.getBoundingClientRect();
            return {name: e.getAttribute('aria-label') || e.title || e.getAttribute('data-bs-original-title') || e.textContent.trim(),
                    width: r.width, height: r.height, fullscreen: e.matches('.btn-fullscreen-button')}; });
    return {top: header.getBoundingClientRect().top, band, controls};
}"""

#: Tooltips on the screen now.
TOOLTIPS_JS = """() => [...document.querySelectorAll('.tooltip')]
    .filter(t => t.checkVisibility({visibilityProperty: true, opacityProperty: true}))
    .map(t => t.textContent.trim())"""

#: Every entry of the theme's launch, source and download menus, and of the one menu.
MENU_ENTRIES_JS = """() => {
    const entry = e => e.getAttribute('href') || e.getAttribute('onclick');
    const theirs = [...document.querySelectorAll(
        '.dropdown-launch-buttons .dropdown-item, .dropdown-source-buttons .dropdown-item, .dropdown-download-buttons .dropdown-item')].map(entry);
    const menu = document.querySelector('.convbook-header-menu .dropdown-menu');
    const ours = [...menu.querySelectorAll('.dropdown-item')].map(e => {
        const r = e.getBoundingClientRect();
        return {entry: entry(e), shown: e.checkVisibility(), left: r.left, right: r.right, top: r.top, height: r.height};
    });
    const box = menu.getBoundingClientRect();
    return {theirs, ours, menu: {left: box.left, right: box.right, top: box.top, bottom: box.bottom}};
}"""

#: Where the sticky article header ends: what lies above it is hidden.
HEADER_BOTTOM_JS = "() => document.querySelector('.bd-header-article').getBoundingClientRect().bottom"

#: Fixed elements on the screen that lie over the article's text, code, figures or canvases.
OVERLAPS_JS = """() => {
    const width = innerWidth, height = innerHeight;
    const onScreen = r => r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < height && r.right > 0 && r.left < width;
    const fixed = [...document.querySelectorAll('body *')].filter(e => {
        const s = getComputedStyle(e);
        return s.position === 'fixed' && e.checkVisibility({visibilityProperty: true, opacityProperty: true})
            && onScreen(e.getBoundingClientRect());
    });
    const content = [...document.querySelectorAll(
        '.bd-article :is(p, li, dt, dd, h1, h2, h3, h4, pre, img, canvas, table, .math, .katex-display)')]
        .filter(e => e.checkVisibility() && onScreen(e.getBoundingClientRect()));
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).slice(0, 2).join('.') : '');
    const found = [];
    for (const f of fixed) {
        const a = f.getBoundingClientRect();
        for (const c of content) {
            if (f.contains(c) || c.contains(f)) continue;
            const b = c.getBoundingClientRect();
            const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (x > 1 && y > 1) {
                found.push(`${name(f)} over ${name(c)} ("${c.textContent.trim().slice(0, 40)}")`);
                break;
            }
        }
    }
    return found;
}"""


def press(tab, selector: str, how: str) -> None:
    """Press a button as the reader would: a tap, a click, or the Enter key once it has the focus."""
    button = tab.locator(selector)
    if how == "tap":
        button.tap()
    elif how == "click":
        button.click()
    else:
        button.focus()
        tab.keyboard.press("Enter")


def is_open(tab, dialog: str) -> bool:
    return tab.evaluate(f"() => document.querySelector({dialog!r}).open")


def wait_open(tab, dialog: str, where: str, what: str) -> None:
    try:
        tab.wait_for_function(f"() => document.querySelector({dialog!r}).open", timeout=3000)
    except Exception:
        pytest.fail(f"{where}: pressing the {what} button does not open it", pytrace=False)


def focus_is_on(tab, selector: str) -> bool:
    return tab.evaluate(f"() => document.activeElement === document.querySelector({selector!r})")


def tap_outside(tab, dialog: str, how: str) -> None:
    """Tap (or click) the page beside the drawer, on its dimmed backdrop."""
    box = tab.locator(dialog).bounding_box()
    width = tab.viewport_size["width"]
    x = (box["x"] + box["width"] + width) / 2 if width - (box["x"] + box["width"]) > box["x"] else box["x"] / 2
    y = tab.viewport_size["height"] * 0.6
    if how == "tap":
        tab.touchscreen.tap(x, y)
    else:
        tab.mouse.click(x, y)


def check_no_tooltip(tab, where: str) -> None:
    tab.wait_for_timeout(TOOLTIP_DELAY_MS)
    shown = tab.evaluate(TOOLTIPS_JS)
    assert not shown, f"{where}: a tap shows a tooltip: {shown}"


def check_drawer(tab, toggle: str, dialog: str, how: str, where: str, what: str) -> None:
    """Open the drawer, close it with Escape, then with a tap outside; each time the focus is back on its button."""
    for close in ("Escape", "a tap outside"):
        press(tab, toggle, how)
        wait_open(tab, dialog, where, what)
        links = tab.locator(f"{dialog} a[href]")
        assert links.count() and links.first.is_visible(), f"{where}: the {what} drawer shows no links"
        if close == "Escape":
            tab.keyboard.press("Escape")
        else:
            tap_outside(tab, dialog, how)
        tab.wait_for_timeout(100)
        assert not is_open(tab, dialog), f"{where}: {close} does not close the {what} drawer"
        try:
            tab.wait_for_function(f"() => document.activeElement === document.querySelector({toggle!r})", timeout=2000)
        except Exception:
            focused = tab.evaluate("() => document.activeElement.tagName + '.' + document.activeElement.className")
            pytest.fail(f"{where}: after {close} the focus is on {focused}, not back on the {what} button", pytrace=False)
        if how == "tap":
            check_no_tooltip(tab, where)


def open_page(browser, site_url: str, screen: str, page: str):
    context = browser.new_context(**SCREENS[screen])
    context.route(lambda url: not url.startswith(site_url), lambda route: route.abort())
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(f"uncaught {error}"))
    tab.goto(f"{site_url}{page}.html", wait_until="load")
    # The themes' scripts are deferred; they bind the buttons once the page is parsed.
    tab.wait_for_function("() => document.readyState === 'complete'")
    return context, tab, errors


def check_header(tab, screen: str, where: str) -> None:
    header = tab.evaluate(HEADER_JS)
    assert not header["band"], f"{where}: a header band above the book's header: {header['band']}"
    assert header["top"] <= 0.5, f"{where}: the book's header starts {header['top']:.0f} px below the top"
    width = SCREENS[screen]["viewport"]["width"]
    controls = header["controls"]
    if width < DRAWERS_BELOW:
        fullscreen = [c["name"] for c in controls if c["fullscreen"]]
        assert not fullscreen, f"{where}: a full-screen button below {DRAWERS_BELOW} px: {fullscreen}"
    if screen == "phone":
        names = [c["name"] for c in controls]
        assert len(controls) <= MAX_PHONE_CONTROLS, (
            f"{where}: {len(controls)} controls share the header (at most {MAX_PHONE_CONTROLS}): {names}")
        small = [f"{c['name']} ({c['width']:.0f}x{c['height']:.0f} px)" for c in controls
                 if c["width"] < MIN_TARGET_PX - 0.5 or c["height"] < MIN_TARGET_PX - 0.5]
        assert not small, f"{where}: header controls under {MIN_TARGET_PX}x{MIN_TARGET_PX} px: {small}"


def check_header_menu(tab, screen: str, where: str) -> None:
    """Below 992 px one menu holds every launch, source and download entry, on the screen."""
    button = ".convbook-header-menu > button"
    assert tab.locator(button).is_visible(), f"{where}: no header menu for the launch, source and download entries"
    press(tab, button, PRESS[screen])
    try:
        tab.wait_for_function("() => document.querySelector('.convbook-header-menu .dropdown-menu').checkVisibility()",
                              timeout=3000)
    except Exception:
        pytest.fail(f"{where}: pressing the header menu's button does not open it", pytrace=False)
    entries = tab.evaluate(MENU_ENTRIES_JS)
    theirs, ours = entries["theirs"], entries["ours"]
    assert theirs and sorted(e["entry"] for e in ours) == sorted(theirs), (
        f"{where}: the header menu's entries {[e['entry'] for e in ours]} are not the theme's {theirs}")
    width = SCREENS[screen]["viewport"]["width"]
    menu = entries["menu"]
    assert menu["left"] >= 0 and menu["right"] <= width and menu["top"] >= 0, f"{where}: the menu leaves the screen: {menu}"
    hidden = [e["entry"] for e in ours if not e["shown"]]
    assert not hidden, f"{where}: header menu entries not shown: {hidden}"
    if screen == "phone":
        small = [e["entry"] for e in ours if e["height"] < MIN_TARGET_PX - 0.5]
        assert not small, f"{where}: menu entries under {MIN_TARGET_PX} px tall: {small}"
        check_no_tooltip(tab, where)
    tab.keyboard.press("Escape")
    try:
        tab.wait_for_function("() => !document.querySelector('.convbook-header-menu .dropdown-menu').checkVisibility()",
                              timeout=3000)
    except Exception:
        pytest.fail(f"{where}: Escape does not close the header menu", pytrace=False)


def check_arrives_at_section(tab, href: str, where: str) -> None:
    target = href.split("#", 1)[1]
    try:
        tab.wait_for_function(f"() => location.hash === '#{target}'", timeout=3000)
    except Exception:
        pytest.fail(f"{where}: tapping the section {href} does not go to it", pytrace=False)
    tab.wait_for_timeout(300)
    top = tab.evaluate(f"""() => {{ const s = document.getElementById({target!r});
        return (s.querySelector('h1, h2, h3, h4') || s).getBoundingClientRect().top; }}""")
    header = tab.evaluate(HEADER_BOTTOM_JS)
    height = tab.viewport_size["height"]
    assert header - 1 <= top <= height / 3, (
        f"{where}: after tapping {href} its heading is at {top:.0f} px, not just under the header ({header:.0f} px)")


def open_drawer_after_closing_it_twice(tab, toggle: str, dialog: str, how: str, where: str, what: str) -> None:
    """:func:`check_drawer`, then open the drawer for what the reader came for."""
    check_drawer(tab, toggle, dialog, how, where, what)
    press(tab, toggle, how)
    wait_open(tab, dialog, where, what)


def check_on_this_page(tab, screen: str, where: str) -> None:
    how = PRESS[screen]
    width = SCREENS[screen]["viewport"]["width"]
    toggle = ".bd-header-article .secondary-toggle"
    dialog = "#pst-secondary-sidebar-modal"
    if width < TOC_DRAWER_BELOW:
        open_drawer_after_closing_it_twice(tab, toggle, dialog, how, where, '"On this page"')
        links = tab.locator(f"{dialog} a[href^='#']")
    else:
        links = tab.locator("#pst-secondary-sidebar a[href^='#']")
    count = links.count()
    assert count >= 2, f"{where}: \"On this page\" lists {count} sections"
    link = links.nth(count // 2)
    href = link.get_attribute("href")
    link.tap() if how == "tap" else link.click()
    if width < TOC_DRAWER_BELOW:
        tab.wait_for_timeout(200)
        assert not is_open(tab, dialog), f"{where}: after tapping a section the drawer stays open over it"
    check_arrives_at_section(tab, href, where)


def check_nothing_fixed_over_the_content(tab, where: str) -> None:
    """Scrolled to each section (upwards, as a reader going back), no fixed element lies over the content."""
    headings = tab.evaluate("""() => [...document.querySelectorAll('.bd-article section:has(> :is(h1, h2, h3))')]
        .map(s => s.id).filter(Boolean)""")
    tab.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    tab.wait_for_timeout(200)
    problems = []
    for section in reversed(headings):
        tab.evaluate(f"""() => new Promise(done => {{
            const heading = document.getElementById({section!r});
            const top = heading.getBoundingClientRect().top + scrollY
                - document.querySelector('.bd-header-article').getBoundingClientRect().height;
            window.scrollTo(0, top);
            requestAnimationFrame(() => requestAnimationFrame(done));
        }})""")
        problems += [f"#{section}: {p}" for p in tab.evaluate(OVERLAPS_JS)]
    assert not problems, f"{where}: fixed elements over the content:\n  " + "\n  ".join(problems[:10])


def check_chapter_list(tab, screen: str, where: str) -> None:
    how = PRESS[screen]
    width = SCREENS[screen]["viewport"]["width"]
    toggle = ".bd-header-article .primary-toggle"
    dialog = "#pst-primary-sidebar-modal"
    sidebar = "#pst-primary-sidebar"
    if width < DRAWERS_BELOW:
        open_drawer_after_closing_it_twice(tab, toggle, dialog, how, where, "chapter list")
        link = tab.locator(f"{dialog} nav a[href$='{DESTINATION}']")
    else:
        shown = f"() => document.querySelector({sidebar!r}).checkVisibility({{visibilityProperty: true}})"
        for state, expected in (("collapse", False), ("reopen", True)):
            press(tab, toggle, how)
            try:
                tab.wait_for_function(f"() => ({shown})() === {str(expected).lower()}", timeout=3000)
            except Exception:
                pytest.fail(f"{where}: the chapter list button does not {state} the sidebar", pytrace=False)
        link = tab.locator(f"{sidebar} nav a[href$='{DESTINATION}']")
    assert link.count() == 1, f"{where}: the chapter list has {link.count()} links to {DESTINATION}"
    title = " ".join(link.inner_text().split())
    link.tap() if how == "tap" else link.click()
    try:
        tab.wait_for_url(re.compile(re.escape(DESTINATION) + "$"), timeout=10000)
    except Exception:
        pytest.fail(f"{where}: tapping {title!r} in the chapter list does not open it", pytrace=False)
    tab.wait_for_load_state("load")
    heading = tab.locator(".bd-article h1").first
    assert " ".join(heading.inner_text().split()).rstrip("#").strip() == title, (
        f"{where}: tapped {title!r}, arrived on {heading.inner_text()!r}")
    assert heading.is_visible()


@pytest.mark.parametrize("screen, page", VISITS, ids=[f"{screen}-{page}" for screen, page in VISITS])
def test_reader_navigates_by_the_header(browser, site_url, screen, page):
    size = SCREENS[screen]["viewport"]
    where = f"{page}.html [{screen} {size['width']}x{size['height']}]"
    context, tab, errors = open_page(browser, site_url, screen, page)
    try:
        check_header(tab, screen, where)
        if size["width"] < DRAWERS_BELOW:
            check_header_menu(tab, screen, where)
        check_on_this_page(tab, screen, where)
        if screen == "phone":
            check_nothing_fixed_over_the_content(tab, where)
        check_chapter_list(tab, screen, where)
    finally:
        context.close()
    assert not errors, f"{where}: console errors: {errors}"


@pytest.mark.parametrize("screen, page", [("desktop", "search"), ("phone", "ko/search")])
def test_search_icon_leaves_the_query_readable(browser, site_url, screen, page):
    """The search page's magnifier sits before the query, not over its first letter."""
    context, tab, _ = open_page(browser, site_url, screen, f"{page}")
    try:
        tab.goto(f"{site_url}{page}.html?q=padding", wait_until="load")
        field = ".bd-search-container form.bd-search"
        tab.wait_for_function(f"() => document.querySelector('{field} input').value === 'padding'", timeout=5000)
        icon, text_start = tab.evaluate(f"""() => {{
            const icon = document.querySelector('{field} .fa-magnifying-glass').getBoundingClientRect();
            const input = document.querySelector('{field} input');
            const box = input.getBoundingClientRect(), style = getComputedStyle(input);
            return [{{left: icon.left, right: icon.right, width: icon.width}},
                    box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft)];
        }}""")
    finally:
        context.close()
    assert icon["width"] > 0, f"{page}.html [{screen}]: the magnifier is not shown"
    assert icon["right"] <= text_start, (
        f"{page}.html?q=padding [{screen}]: the magnifier ({icon['left']:.0f}-{icon['right']:.0f} px) "
        f"covers the query, which starts at {text_start:.0f} px")
