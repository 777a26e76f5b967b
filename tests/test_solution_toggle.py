"""A solution's whole bar opens it: a tap on the words "Exercise 3.1" too (issue 18).

sphinx-exercise titles a solution "Solution to Exercise 3.1"; togglebutton
opens it on a click on the title bar. The words "Exercise 3.1" were a link
to the exercise, which took the tap: the page jumped to the exercise and the
solution stayed closed. In Chromium, as a reader does it -- a tap on a
390x844 touch screen and a click on a 1280x900 desktop, English and Korean
-- each solution's bar is tapped on those words: the solution opens, the
page stays where it was, and a second tap closes it. The exercise stays one
step away: it is the box right above its solution.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.book

PAGE = "book/conv-layer"
#: What the bar says before the exercise's number, per language.
EXERCISE_WORD = {"en": "Exercise", "ko": "연습문제"}
DEVICES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}

#: Where, in the viewport, the words "<Exercise> <number>" of a solution's title are.
WORDS_JS = """(solution, words) => {
    const title = solution.querySelector(':scope > .admonition-title');
    const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
    let text = '', nodes = [];
    for (let node; (node = walker.nextNode());) { nodes.push([node, text.length]); text += node.data; }
    const at = text.indexOf(words);
    if (at < 0) return null;
    const range = document.createRange();
    const locate = (offset) => { for (const [node, start] of nodes.slice().reverse())
        if (start <= offset) return [node, Math.min(offset - start, node.data.length)]; };
    range.setStart(...locate(at));
    range.setEnd(...locate(at + words.length));
    const box = range.getBoundingClientRect();
    return {x: box.left + box.width / 2, y: box.top + box.height / 2, width: box.width};
}"""

STATE_JS = """(solution) => ({
    hidden: solution.classList.contains('toggle-hidden'),
    bodyHeight: Array.from(solution.children).slice(1)
        .reduce((sum, child) => sum + child.getBoundingClientRect().height, 0),
    hash: location.hash,
    // Where its bar is on the screen (a chapter's sections are laid out as they
    // come near, so the page's own scroll offset may shift under it).
    top: solution.getBoundingClientRect().top,
    previous: solution.previousElementSibling && solution.previousElementSibling.classList.contains('exercise')
        ? solution.previousElementSibling.querySelector('.admonition-title').textContent : null,
    title: solution.querySelector(':scope > .admonition-title').textContent,
})"""


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_tap_on_the_exercise_words_opens_the_solution(browser, site_url, language, device):
    context = browser.new_context(**DEVICES[device])
    try:
        page = context.new_page()
        prefix = "" if language == "en" else f"{language}/"
        page.goto(f"{site_url}{prefix}{PAGE}.html", wait_until="load")
        solutions = page.locator(".solution.dropdown")
        count = solutions.count()
        assert count >= 3, f"{PAGE}: only {count} solutions"
        # togglebutton (a deferred script) has closed them all.
        page.wait_for_function("() => document.querySelectorAll('.solution.toggle-hidden').length >= 3")
        problems = []
        for index in range(count):
            solution = solutions.nth(index)
            solution.scroll_into_view_if_needed()
            page.wait_for_timeout(200)  # the sections around it laid out
            before = solution.evaluate(STATE_JS)
            number = before["title"].split(EXERCISE_WORD[language])[-1].strip().split()[0]
            words = f"{EXERCISE_WORD[language]} {number}"
            name = f"{language} {device}, solution {index + 1} ({before['title'].strip()!r})"
            if before["previous"] is None or words not in before["previous"]:
                problems.append(f"{name}: the box above it is not {words!r} but {before['previous']!r}")
            for opened in (True, False):
                spot = solution.evaluate(WORDS_JS, words)
                assert spot and spot["width"] > 0, f"{name}: no words {words!r} in the bar"
                if device == "phone":
                    page.touchscreen.tap(spot["x"], spot["y"])
                else:
                    page.mouse.click(spot["x"], spot["y"])
                page.wait_for_timeout(100)
                after = solution.evaluate(STATE_JS)
                if after["hash"] != before["hash"] or abs(after["top"] - before["top"]) > 2:
                    problems.append(f"{name}: the tap on {words!r} moved the page (to {after['hash'] or 'nowhere'}, "
                                    f"its bar from {before['top']:.0f} to {after['top']:.0f} px)")
                    break
                if after["hidden"] == opened or (after["bodyHeight"] > 0) != opened:
                    problems.append(f"{name}: a tap on {words!r} did not {'open' if opened else 'close'} it")
                    break
        assert not problems, "\n".join(problems)
    finally:
        context.close()
