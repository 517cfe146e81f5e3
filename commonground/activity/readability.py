"""How hard a text is to read: the Flesch–Kincaid grade, as a UK reading age.

Pure Python (no Django). Used to guide writers of easy-read summaries and the site's own
words. The grade is Kincaid et al. (1975), *Derivation of new readability formulas for Navy
enlisted personnel*: ``0.39 × words per sentence + 11.8 × syllables per word − 15.59``.
A US grade is about a UK reading age minus 5 years. Syllables are counted by a rule of thumb
(groups of vowels, less a silent final "e"), as most readability tools do: good to a year
or so for ordinary English prose, not for names or numbers.

Easy-read guidance (Mencap, *Make it clear*, 2022; gov.uk content design): aim for a
reading age of 9; the average UK adult reads at about 9 to 11.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Reading age (years) easy-read text should not go above.
EASY_READ_AGE = 11

_SENTENCE = re.compile(r"[.!?]+(?:\s|$)|\n\s*\n|\n\s*[-*\d]+[.)]?\s")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_VOWELS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / max(self.sentences, 1)

    @property
    def grade(self) -> float:
        """Flesch–Kincaid grade level (US school grade)."""
        if not self.words:
            return 0.0
        return (0.39 * self.words_per_sentence + 11.8 * self.syllables / self.words - 15.59)

    @property
    def reading_age(self) -> int:
        """Approximate UK reading age in whole years (grade + 5, at least 5)."""
        return max(5, round(self.grade + 5))

    @property
    def easy(self) -> bool:
        return self.reading_age <= EASY_READ_AGE


def syllables(word: str) -> int:
    word = word.lower().strip("'’-")
    if not word:
        return 0
    count = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # a silent final e: "make", "place"
    return max(1, count)


def measure(text: str) -> Readability:
    """Words, sentences and syllables of ``text`` (Markdown symbols are ignored)."""
    text = text or ""
    words = _WORD.findall(text)
    pieces = [p for p in _SENTENCE.split(text) if _WORD.search(p)]
    return Readability(words=len(words), sentences=max(len(pieces), 1 if words else 0),
                       syllables=sum(syllables(w) for w in words))
