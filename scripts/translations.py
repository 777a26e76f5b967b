"""The book's message catalogs: refresh them from the English and check them.

``make translations`` runs ``update``; the tests run ``check``::

    python scripts/translations.py update         # English changed: refresh every catalog
    python scripts/translations.py check [PO ...] # every message translated and consistent
    python scripts/translations.py stats          # translated / fuzzy / untranslated per catalog

``update`` extracts the messages with Sphinx's gettext builder (reading the
English execution cache, so nothing executes) and merges them into
``locale/<language>/LC_MESSAGES/`` with ``sphinx-intl`` (a new page gets its
catalog): a message whose English changed keeps its old translation, marked
*fuzzy*, until a translator updates it; a new message that another page
already translates (the same English, "Exercises") gets that translation.
It ends with a short summary, the messages to translate per page, and exits
0: it did its job. Until they are translated the book still builds, those
messages in English; ``check`` (and ``make test``) names each one.

``check`` names every message that is untranslated or fuzzy, or whose
translation does not keep the English's roles and their targets
(``{term}`text <target>```: the target), glue keys, substitutions
(``{{ name }}``), math, inline code and link addresses. Only the words may
change.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
sys.path.insert(0, str(ROOT / "scripts"))
import build_book  # noqa: E402  (scripts/build_book.py: the languages and the builds)

#: Languages with catalogs: ``languages:`` of ``_config.yml`` but the first,
#: English, the sources' language.
TRANSLATED = build_book.LANGUAGES[1:]

# {role}`content`, with an optional "text <target>" content.
ROLE = re.compile(r"\{(?P<role>[a-zA-Z][\w:-]*)\}`(?P<content>[^`]*)`")
DISPLAY_MATH = re.compile(r"\$\$(?P<tex>.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?P<tex>[^$\n]+?)\$(?!\$)")
CODE = re.compile(r"(?<!`)`(?P<code>[^`]+)`(?!`)")
LINK = re.compile(r"\]\((?P<url>[^)\s]+)\)")
SUBSTITUTION = re.compile(r"\{\{\s*(?P<name>\w+)\s*\}\}")
#: Roles whose whole content must stay as it is (a key, not words).
VERBATIM_ROLES = ("glue", "cite", "numref", "eq", "math")
#: Glued numbers a translation states in its own units, through a key the
#: chapter glues (and checks) beside the English one: Korean counts in 만
#: (10^4) and 억 (10^8), so "about 295 billion" reads "약 2,950억", not the
#: English key's 295 followed by a literal "0억". {the English glue: the one
#: a translation may use in its place}.
GLUE_IN_OTHER_UNITS = {
    "dense_billions:.0f": "dense_eok:,",
    "conv_mult_millions:.0f": "conv_mult_man:,",
}
_ENGLISH_GLUE = {other: english for english, other in GLUE_IN_OTHER_UNITS.items()}


def role_target(role: str, content: str) -> str:
    """What a role points at: ``<target>`` in ``text <target>``, else the content.

    ``{glue:text}`` and ``{cite:p}`` keep their whole content (a key and a
    format); ``{numref}`` keeps its target, its text may be translated.
    """
    match = re.fullmatch(r"(?s)(?P<text>.*?)\s*<(?P<target>[^<>]+)>", content)
    if match and not role.startswith(("glue", "cite")):
        return match["target"]
    return content


def tokens(text: str) -> Counter:
    """What a message must keep, whatever the language: a multiset of tokens."""
    found: Counter = Counter()
    for match in SUBSTITUTION.finditer(text):
        found[("substitution", match["name"])] += 1
    text = SUBSTITUTION.sub(" ", text)
    for match in ROLE.finditer(text):
        target = role_target(match["role"], match["content"])
        if match["role"].startswith("glue"):
            target = _ENGLISH_GLUE.get(target, target)
        found[("role", match["role"], target)] += 1
    rest = ROLE.sub(" ", text)
    for match in DISPLAY_MATH.finditer(rest):
        found[("math", match["tex"].strip())] += 1
    rest = DISPLAY_MATH.sub(" ", rest)
    for match in CODE.finditer(rest):
        found[("code", match["code"])] += 1
    rest = CODE.sub(" ", rest)
    for match in INLINE_MATH.finditer(rest):
        found[("math", match["tex"].strip())] += 1
    for match in LINK.finditer(text):
        found[("link", match["url"])] += 1
    return found


def difference(old: str, new: str, context: int = 30) -> str:
    """Where two versions of a message differ: ``…context [-old-]{+new+} context…``.

    A changed sentence of 300 characters shows only its change, with a
    little of the text around it.

    >>> difference("Each of the four filters of the lesson has 16 weights and a bias.",
    ...            "Each of the four filters of the lesson has 16 weights and one bias.")
    '…the lesson has 16 weights and [-a-]{+one+} bias.'
    """
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    parts = []
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            text = old[i1:i2]
            first, last = index == 0, index == len(opcodes) - 1
            if len(text) > 2 * context and not (first or last):
                text = text[:context] + "…" + text[-context:]
            elif first and len(text) > context:
                text = "…" + text[-context:]
            elif last and len(text) > context:
                text = text[:context] + "…"
            parts.append(text)
        else:
            if i2 > i1:
                parts.append(f"[-{old[i1:i2]}-]")
            if j2 > j1:
                parts.append(f"{{+{new[j1:j2]}+}}")
    return "".join(parts)


def closest(message: str, candidates) -> str | None:
    """The candidate most like ``message`` (its earlier version), or None."""
    found = difflib.get_close_matches(message, list(candidates), n=1, cutoff=0.5)
    return found[0] if found else None


def catalogs(language: str | None = None) -> list[Path]:
    """Every ``.po`` file of a language (or of all translated languages)."""
    languages = (language,) if language else TRANSLATED
    return sorted(path for lang in languages for path in (LOCALE / lang / "LC_MESSAGES").rglob("*.po"))


def _where(entry: polib.POEntry) -> str:
    return entry.occurrences[0][0].replace("../", "") + ":" + entry.occurrences[0][1] if entry.occurrences else "?"


def problems(path: Path) -> list[str]:
    """Every message of one catalog that needs a translator, with why."""
    found = []
    catalog = polib.pofile(str(path))
    for entry in catalog:
        if entry.obsolete:
            continue
        head = f"{path.relative_to(ROOT)}: {_where(entry)}: {entry.msgid[:70]!r}"
        if not entry.msgstr:
            found.append(f"{head}: not translated")
            continue
        if "fuzzy" in entry.flags:
            found.append(f"{head}: fuzzy (the English changed; update the translation, then drop the flag)")
            continue
        expected, got = tokens(entry.msgid), tokens(entry.msgstr)
        if expected != got:
            missing = sorted(map(str, (expected - got).elements()))
            extra = sorted(map(str, (got - expected).elements()))
            found.append(f"{head}: the translation changes what must stay: missing {missing}, extra {extra}")
    return found


def stats() -> None:
    for path in catalogs():
        catalog = polib.pofile(str(path))
        entries = [e for e in catalog if not e.obsolete]
        done = sum(1 for e in entries if e.msgstr and "fuzzy" not in e.flags)
        fuzzy = sum(1 for e in entries if "fuzzy" in e.flags)
        print(f"{path.relative_to(ROOT)}: {done}/{len(entries)} translated, {fuzzy} fuzzy")


def reuse_translations(paths: list[Path]) -> int:
    """Give an untranslated message the translation another catalog has for the same English.

    Returns how many messages got one. Only finished translations (not
    fuzzy) are reused, and only for exactly the same English.
    """
    loaded = {path: polib.pofile(str(path), wrapwidth=0) for path in paths}
    known: dict[str, str] = {}
    for catalog in loaded.values():
        for entry in catalog:
            if entry.msgid and entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags:
                known.setdefault(entry.msgid, entry.msgstr)
    reused = 0
    for path, catalog in loaded.items():
        changed = False
        for entry in catalog:
            if not entry.obsolete and not entry.msgstr and entry.msgid in known:
                entry.msgstr = known[entry.msgid]
                reused += 1
                changed = True
        if changed:
            catalog.save(str(path))
    return reused


def summary(language: str) -> tuple[int, list[str]]:
    """How many messages of ``language`` need a translator, and a line per page that has some."""
    total, lines = 0, []
    for path in catalogs(language):
        entries = [e for e in polib.pofile(str(path)) if not e.obsolete and e.msgid]
        new = sum(1 for e in entries if not e.msgstr)
        fuzzy = sum(1 for e in entries if e.msgstr and "fuzzy" in e.flags)
        if new or fuzzy:
            total += new + fuzzy
            what = ", ".join(part for part in (f"{new} new" if new else "", f"{fuzzy} changed (fuzzy)" if fuzzy else "")
                             if part)
            lines.append(f"  {path.relative_to(ROOT)}: {new + fuzzy} to translate ({what})")
    return total, lines


#: How a translation names a chapter by its number ("{doc}`11장 <gradients>`",
#: "{ref}`11장 <chapter-gradients>`"), per language. `update` renumbers such
#: references from _toc.yml, so that adding or moving a chapter never leaves
#: a translation pointing at the wrong number.
NUMBERED_CHAPTER = {
    "ko": re.compile(r"(?P<head>\{(?P<role>doc|ref)\}`)(?P<number>\d+)(?P<tail>장 <(?P<target>[^`<>]+)>`)"),
}


def chapter_numbers() -> dict[str, int]:
    """Each page's chapter number as the book shows it (the numbered parts of _toc.yml, counted on)."""
    import yaml

    numbers, count = {}, 0
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")) or {}
    for part in toc.get("parts", []):
        for chapter in part["chapters"] if part.get("numbered") else []:
            count += 1
            numbers[Path(chapter["file"]).name] = count
    return numbers


def label_pages() -> dict[str, str]:
    """Each ``(label)=`` of the chapters' sources -> the page that holds it."""
    return {label: page.stem for page in sorted((ROOT / "book").glob("*.md"))
            for label in re.findall(r"^\(([\w-]+)\)=\s*$", page.read_text(encoding="utf-8"), flags=re.M)}


def renumber_chapter_references(text: str, pattern: re.Pattern, numbers: dict[str, int],
                                labels: dict[str, str]) -> str:
    """``text`` with each numbered chapter reference carrying its chapter's current number."""
    def renumbered(match: re.Match) -> str:
        page = match["target"] if match["role"] == "doc" else labels.get(match["target"])
        number = numbers.get(page)
        return f"{match['head']}{number}{match['tail']}" if number else match.group()
    return pattern.sub(renumbered, text)


def update() -> None:
    """Extract the English messages, merge them into every catalog, and say what is left to translate."""
    if not TRANSLATED:
        print("no translations: `languages:` in _config.yml is English only")
        return
    gettext = build_book.build(build_book.LANGUAGES[0], ROOT, builder="gettext", quiet=True)
    for language in TRANSLATED:
        # sphinx-intl lists every catalog it touched; the summary below says what matters.
        subprocess.run(
            [str(Path(sys.executable).with_name("sphinx-intl")), "update", "-p", str(gettext),
             "-l", language, "-d", str(LOCALE), "-w", "0"],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )
    numbers, labels = chapter_numbers(), label_pages()
    for path in catalogs():
        catalog = polib.pofile(str(path), wrapwidth=0)
        catalog.metadata["Project-Id-Version"] = "The Convolutional Layer"
        catalog.metadata_is_fuzzy = False
        # Entries no longer in the English are dropped, not kept as #~ lines.
        for entry in [e for e in catalog if e.obsolete]:
            catalog.remove(entry)
        # Babel guesses "python-format" from a "%" in prose ("5 % of"); no
        # message here is a format string, and the guess fails `msgfmt -c`.
        for entry in catalog:
            entry.flags = [flag for flag in entry.flags if not flag.startswith("python-")]
        pattern = NUMBERED_CHAPTER.get(path.relative_to(LOCALE).parts[0])
        if pattern:
            for entry in catalog:
                entry.msgstr = renumber_chapter_references(entry.msgstr, pattern, numbers, labels)
        catalog.save(str(path))
    for language in TRANSLATED:
        reused = reuse_translations(catalogs(language))
        total, lines = summary(language)
        pages = len(catalogs(language))
        print(f"{language}: {pages} catalogs in {LOCALE.relative_to(ROOT)}/{language}/LC_MESSAGES refreshed"
              + (f"; {reused} new message(s) took the translation another page has for the same English" if reused else ""))
        if total:
            print(f"{language}: {total} message(s) to translate (the book builds meanwhile, them in English):")
            print("\n".join(lines))
            print("  `python scripts/translations.py check` lists each one; `make test` fails until they are done.")
        else:
            print(f"{language}: every message translated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update", help="refresh every catalog from the English")
    check = sub.add_parser("check", help="name every message that needs a translator")
    check.add_argument("po", nargs="*", type=Path)
    sub.add_parser("stats", help="translated / fuzzy / untranslated per catalog")
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
    elif args.command == "stats":
        stats()
    else:
        paths = [p.resolve() for p in args.po] or catalogs()
        found = [line for path in paths for line in problems(path)]
        print("\n".join(found) if found else f"{len(paths)} catalog(s): every message translated and consistent")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
