"""Code blocks carry no ``<span>`` for tokens drawn in the text's own colour.

``convbook_site.plain_code_tokens`` unwraps Pygments' name, punctuation and
whitespace tokens (a third of a long chapter's elements): this is right only
while the themes colour them exactly as the code block's text, in light and
dark mode. These tests read the built site's own stylesheet and pages.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from convbook_site import PLAIN_TOKEN_CLASSES, plain_code_tokens  # noqa: E402


def _rules(css: str, selector: str) -> list[str]:
    """The colours that the rules of exactly ``selector`` set, in stylesheet order."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    pattern = re.compile(r"(?:^|})\s*" + re.escape(selector) + r"\s*{([^}]*)}")
    return [re.search(r"color:\s*([^;}\s]+)", body).group(1).lower()
            for body in pattern.findall(css) if re.search(r"(?<!-)color:", body)]


def test_unwrapped_tokens_have_the_code_blocks_own_colour_in_both_themes(site):
    css = (site / "_static" / "pygments.css").read_text()
    for theme in ("light", "dark"):
        block = _rules(css, f'html[data-theme="{theme}"] .highlight')
        assert block, f"no {theme} colour for .highlight in pygments.css"
        for token in PLAIN_TOKEN_CLASSES:
            colours = _rules(css, f'html[data-theme="{theme}"] .highlight .{token}')
            assert colours == [block[0]], (
                f"{theme} mode colours .highlight .{token} {colours}, the code's text {block[0]}: "
                "unwrapping its spans would change what the reader sees")


def test_pages_keep_every_character_of_their_code(site):
    page = (site / "book" / "layer-matrix.html").read_text()
    code = re.findall(r"<pre\b[^>]*>.*?</pre>", page, re.S)
    assert code and not any(re.search(r'<span class="[npw]">', block) for block in code)
    assert any('<span class="o">' in block for block in code), "coloured tokens must keep their spans"
    # The unwrapping drops tags only: the text a reader copies is unchanged.
    sample = '<pre><span class="n">x</span><span class="w"> </span><span class="o">=</span><span class="p">(</span>1<span class="p">)</span></pre>'
    assert plain_code_tokens(sample) == '<pre>x <span class="o">=</span>(1)</pre>'
    text = lambda html: re.sub(r"<[^>]+>", "", html)  # noqa: E731
    assert text(plain_code_tokens(page)) == text(page)
