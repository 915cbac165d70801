"""Which department a question is about, and which knowledge-base article answers it, from
the words of the question (pythainlp word tokenisation: Thai has no spaces between words).
The departments' keywords are data (``Department.keywords``, edited by staff in the admin)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from tocnet.accounts.models import Department
from tocnet.core.thai import keyword_lines, to_arabic_digits

STOPWORDS = frozenset(
    {
        "ครับ",
        "ค่ะ",
        "คะ",
        "ค่า",
        "จ้า",
        "นะ",
        "ครับผม",
        "หน่อย",
        "อยาก",
        "ขอ",
        "สอบถาม",
        "ถาม",
        "ว่า",
        "ได้",
        "ไหม",
        "มั้ย",
        "บ้าง",
        "อะไร",
        "ยังไง",
        "อย่างไร",
        "เท่าไร",
        "เท่าไหร่",
        "ที่",
        "และ",
        "หรือ",
        "ของ",
        "การ",
        "จะ",
        "ต้อง",
        "ใช้",
        "มี",
        "ให้",
        "ผม",
        "ดิฉัน",
        "หนู",
        "เรา",
        "ท่าน",
        "เจ้าหน้าที่",
        "คือ",
        "เป็น",
        "ไป",
        "มา",
        "กับ",
        "ใน",
        "นี้",
        "แล้ว",
        "ก็",
        "ไม่",
        "ยัง",
        "เมื่อ",
        "ๆ",
        "?",
    }
)


@lru_cache(maxsize=1)
def _tokenizer() -> Callable[..., list[str]]:
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


def warm_up() -> None:
    """Load the tokeniser's dictionary (about 2 s) before the first question arrives."""
    words("สวัสดี")


def words(text: str) -> list[str]:
    """The meaningful words of ``text``: tokenised, lower-cased, without spaces, punctuation
    and stop words."""
    text = to_arabic_digits(text or "")[:2000].lower()
    tokens = _tokenizer()(text, engine="newmm", keep_whitespace=False)
    return [
        t
        for t in (tok.strip() for tok in tokens)
        if t and t not in STOPWORDS and re.search(r"\w", t)
    ]


@lru_cache(maxsize=4096)
def _keyword_form(keyword: str) -> str:
    """How a stored keyword is compared with a question's words: as written, or for a phrase
    (words separated by spaces) its words run together, as the question's are in ``joined``."""
    return "".join(words(keyword)) if " " in keyword else keyword


@dataclass(frozen=True)
class DepartmentKeywords:
    department: Department
    keywords: frozenset[str]


def department_keywords() -> list[DepartmentKeywords]:
    """Every department that has keywords (staff edit them with the department: Django admin,
    Accounts › Departments), read in one query; a department without any is left out, so it is
    never chosen by keywords. Read per message routed (a job), so an edit counts at once."""
    table = []
    for department in Department.objects.exclude(keywords=""):
        forms = frozenset(f for f in map(_keyword_form, keyword_lines(department.keywords)) if f)
        if forms:
            table.append(DepartmentKeywords(department, forms))
    return table


def department_for(
    text: str, table: Iterable[DepartmentKeywords] | None = None
) -> Department | None:
    """The department whose keywords the question uses most; None when none or a tie."""
    tokens = words(text)
    joined = "".join(tokens)
    scores: dict[Department, int] = {}
    for entry in department_keywords() if table is None else table:
        keywords = entry.keywords
        score = sum(1 for t in tokens if t in keywords)
        # compound words the tokeniser keeps whole ("กู้เงินฉุกเฉิน") still count once
        score += sum(1 for k in keywords if len(k) >= 3 and k in joined and k not in tokens)
        if score:
            scores[entry.department] = score
    if not scores:
        return None
    best = max(scores.values())
    winners = [department for department, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


@dataclass(frozen=True)
class ArticleMatch:
    article_id: int
    score: float


def _article_words(title: str, keywords: str) -> set[str]:
    found = set(words(title))
    for keyword in keywords.split(","):
        keyword = keyword.strip().lower()
        if keyword:
            found.add(keyword)
            found.update(words(keyword))
    return found


def article_best_match(text: str, articles: Iterable[tuple[int, str, str]]) -> ArticleMatch | None:
    """The article (id, title, keywords) sharing the most of the question's words, when that
    share reaches CONVERSATIONS_ARTICLE_MIN_SCORE (0..1); None otherwise."""
    question = set(words(text))
    if not question:
        return None
    best: ArticleMatch | None = None
    for article_id, title, keywords in articles:
        vocabulary = _article_words(title, keywords)
        if not vocabulary:
            continue
        shared = len(question & vocabulary)
        # Share of the question explained by the article, damped for one-word questions.
        score = shared / max(len(question), 2)
        if best is None or score > best.score:
            best = ArticleMatch(article_id, score)
    threshold = float(getattr(settings, "CONVERSATIONS_ARTICLE_MIN_SCORE", 0.5))
    return best if best is not None and best.score >= threshold else None
