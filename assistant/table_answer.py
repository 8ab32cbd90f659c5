"""A table look-up answered from one row: the row's name and the column the question asks for,
"Harbour Plus, monthly fee: HK$168" / "金卡会员，折扣：九五折".

Ingest keeps every table row with its headers (chunk extra["table_row"]: caption, headers,
cells; ingest/parsing/table_text.py); a passage without that structure whose text is one rendered
row ("Plan: Premium; Monthly price: 30 euros") is read back from its text.

- The row's name is its first cell, with any other cell the customer named ("Lumo Hub LH-300"),
  wholly or by a word that is not an amount ("寄到澳大利亚要几天" names "澳大利亚及新西兰"): such a
  cell is never the column asked for; and with a model code, named or not ("Lumo Hub LH-200,
  price (USD): 89": several rows may share the first cell).
- The column: per part of the question ("每月多少钱？包括多少分钟？" asks two), the header sharing
  the question's words (most of them, stop words too: "off-peak rate" is not "Peak rate"; a
  quarter as much when its cell states another kind of fact than the one asked: "How long does
  shipping to Taiwan take?" -> "Delivery time", not "Shipping fee"), else
  the one whose value or unit is the kind of fact asked for ("how much" -> an amount; "Price
  (USD): 129"; a yes/no question -> a value saying yes or no, "Do I need to set up taxes" ->
  "支持状态：不需要税项设置", not "税种：不适用") or whose value shares the question's words (a yes/no
  question in the table's language: "香港需要税项设置吗"), else the header the embedder finds
  closest to the question when it stands out from the others (a paraphrase or the other
  language: "how much data" -> "每日数据"; between cells all saying yes or no, their values). No
  column stands out: the whole row is quoted. The quote is punctuated in the table's language;
  the lead-in is the caller's, in the customer's.
- A row answers only a question that names it: a question naming another row ("the day pass for
  Brazil" over the USA row) must not get that row's value. In English, not named = the question
  names something (a capitalised word inside the sentence, a code like "LH-900") found nowhere in
  the passage; in Chinese, named = the question shares a word with one of the row's naming cells
  (not an amount, not a header's word). Across languages words cannot tell, and retrieval's
  choice stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.facts import asked_kinds, find_facts
from assistant.grounding import lexical_units
from assistant.retrieval.lexicon import bilingual_lexicon
from assistant.retrieval.places import gazetteer
from assistant.retrieval.synonyms import synonym_groups
from assistant.retrieval.text import key_terms, normalise, stem
from assistant.sentence_similarity import SentenceSimilarity
from assistant.types import Passage
from ingest.embedding import Embedder
from ingest.parsing.table_text import TABLE_ROW_KEY
from ingest.text import is_chinese

_WORD_RE = re.compile(r"[a-z]+")
_HEADER_UNIT_RE = re.compile(r"[(（]([^)）]{1,20})[)）]")
_CELL_RE = re.compile(r"^(?P<header>[^:;：]{1,60})[:：]\s*(?P<value>.+)$")
_QUESTION_PART_RE = re.compile(r"(?<=[?？;；])")
# A word naming a thing rather than asking: capitalised inside a sentence ("Brazil", not "Which"
# nor "SSO"), or a code ("LH-300").
_CODE = r"\b[A-Za-z]+-?\d[\w-]*"
_NAME_RE = re.compile(rf"(?<=[a-z0-9,] )[A-Z][a-z][\w'-]*|{_CODE}")
# Days and months are capitalised, but they date the customer's case ("next Friday", "in
# March"), they do not name a thing: a fare row is not another route's for lacking "Friday".
_CALENDAR_NAME_RE = re.compile(
    r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|January|February|March|April|May|June|July|August"
    r"|September|October|November|December"
)
# A question asking yes or no: an English one opening with an auxiliary verb ("Do I need...",
# "Is GST supported?"; not "Can you tell me..."), a Chinese one ending in 吗 or asking "X不X" or
# "是否" ("需不需要", "有没有").
_ASKS_YES_NO_RE = re.compile(
    r"^\W*(?:and\s+|also\s+|so\s+)?(?:do|does|did|is|are|was|were|can|could|will|would|should|shall|may"
    r"|must|has|have|had)\b(?!\s+you\s+(?:please\s+)?(?:tell|show|give|explain|check|let))"
    r"|吗\W*$|是否|能否|可否|(.)[不没]\1",
    re.IGNORECASE,
)
# A value saying yes or no ("Not supported", "Included", "不需要税项设置", "完全支持"); "not applicable"
# says the column does not apply, which answers no yes/no question.
_STATES_YES_NO_RE = re.compile(
    r"^\W*(?:fully\s+|partly\s+|partially\s+|only\s+|完全|部分|全部|暂|只|仅)?"
    r"(?:yes|no|not|none|never|required|needed|supported|available|included|allowed|accepted|optional"
    r"|是|否|有|无|没|不|可|能|需|须|必须|支持|包括|包含|提供|免)(?![a-z])",
    re.IGNORECASE,
)
_NOT_APPLICABLE_RE = re.compile(r"^\W*(?:n/?a|not applicable|不适用)\W*$", re.IGNORECASE)
YES_NO = "yes/no"  # the kind of fact a yes/no question asks for, beside facts.asked_kinds' kinds
# The embedder picks a column only when its header is this much closer to the question than the
# next one: multilingual-e5-small cosines of a question with short headers lie within ~0.05.
HEADER_SIMILARITY_MARGIN = 0.02
# A header's words count this much when its cell states a fact of another kind than the one asked.
OTHER_KIND_HEADER_WEIGHT = 0.25


@dataclass(frozen=True)
class TableRow:
    caption: str
    cells: list[tuple[str, str]]  # (header, value) with a value, in column order; the first names the row


def table_row(passage: Passage) -> TableRow | None:
    """The passage's table row: from ingest's structure, else from its text when that is one
    rendered row; None for anything else."""
    structure = passage.extra.get(TABLE_ROW_KEY)
    if isinstance(structure, dict):
        headers = [str(h) for h in structure.get("headers") or []]
        values = [str(v) for v in structure.get("cells") or []]
        cells = [(headers[i] if i < len(headers) else "", v) for i, v in enumerate(values) if v.strip()]
        return TableRow(str(structure.get("table") or ""), cells) if len(cells) >= 2 else None
    lines = [line for line in passage.text.splitlines() if line.strip()]
    cells_of_line = rendered_cells(lines[0]) if len(lines) == 1 else None
    return TableRow("", cells_of_line) if cells_of_line else None


def rendered_cells(line: str) -> list[tuple[str, str]] | None:
    """A rendered row's (header, value) cells ("Plan: Premium; Price: 30"), or None when the line
    is not in that form."""
    cells = []
    for part in re.split(r";\s+", line):
        match = _CELL_RE.match(part.strip())
        if match is None:
            return None
        cells.append((match["header"].strip(), match["value"].strip().rstrip(";")))
    return cells if len(cells) >= 2 else None


def is_code(value: str) -> bool:
    """Whether a cell value is a model or product code ("LH-300", "X2"), as _NAME_RE reads one."""
    return bool(re.fullmatch(_CODE, value.strip()))


def asks_yes_no(question: str) -> bool:
    return bool(_ASKS_YES_NO_RE.search(question.strip()))


def states_yes_no(value: str) -> bool:
    return bool(_STATES_YES_NO_RE.match(value)) and not _NOT_APPLICABLE_RE.match(value)


def question_names(question: str) -> set[str]:
    """The units of the names (capitalised words inside a sentence) and codes a question writes."""
    names = (name for name in _NAME_RE.findall(question) if not _CALENDAR_NAME_RE.fullmatch(name))
    return set(lexical_units(" ".join(names)))


def names_row(
    row: list[tuple[str, str]],
    passage: Passage,
    question: str,
    question_units: set[str],
    titled: frozenset[str] = frozenset(),
) -> bool:
    """Whether the question names this row (see the module docstring). `titled`: the question's
    names that a retrieved page's title holds; those name the help centre or a page ("Does
    Ledgerly work with Google Workspace?" over "Ledgerly pricing and plans"), not a row."""
    question_zh, row_zh = is_chinese(question), is_chinese(" ".join(value for _, value in row))
    if question_zh != row_zh:
        return True  # another language: words cannot tell
    if question_zh:
        # The cells that say which row this is: its name and other words, not its amounts ("12个月"
        # names no row), nor the headers' own words ("不设免运费" under "免运费门槛").
        headers = set(lexical_units(" ".join(header for header, _ in row)))
        naming = [value for index, (_, value) in enumerate(row) if index == 0 or not find_facts(value)]
        if (set(lexical_units(" ".join(naming))) - headers) & question_units:
            return True
        # "寄去大阪" names the row of "日韩"; a row naming another region is another row.
        return bool(places_covered(question, " ".join(naming)))
    # English names things in capitals and codes: one the passage lacks ("Brazil", "LH-900") is
    # another row, even when other words match ("Lumo Hub LH-900" over the LH-300 row); a place
    # is held by a passage naming its country or region ("Tokyo" by "Japan and Korea").
    passage_text = "\n".join([passage.title, *passage.heading_path, passage.text])
    passage_units = set(lexical_units(passage_text)) | places_covered(question, passage_text)
    return not question_names(question) - passage_units - titled


# A header this long (normalised characters), written in the question as it is, was read there.
MIN_QUOTED_HEADER = 4


def quotes_header(row: list[tuple[str, str]], question: str) -> bool:
    """Whether the question writes one of the row's column headers (not its name's) as it is:
    "6小时以内多少钱？" over "物品: 小件; 6小时以内: 10元; 24小时以内: 20元"."""
    text = normalise(question).replace(" ", "")
    return any(
        len(header := normalise(h).replace(" ", "")) >= MIN_QUOTED_HEADER and header in text
        for h, _ in row[1:]
    )


def lacks_asked_column(row: list[tuple[str, str]], question: str) -> bool:
    """Whether an English question asks for a column the row does not have: its headers tell
    apart one word by the word before it ("Monthly pass (second class)", "Monthly pass (first
    class)"), and the question puts another word there ("a business-class monthly pass") that the
    row nowhere writes. Quoting the row would give another column's figure."""
    if is_chinese(question) or is_chinese(" ".join(header for header, _ in row)):
        return False
    before: dict[str, set[str]] = {}  # a header word -> the words headers write before it
    for header, _ in row[1:]:
        words = _WORD_RE.findall(header.lower())
        for previous, word in zip(words, words[1:]):
            before.setdefault(word, set()).add(previous)
    told_apart = {word: previous for word, previous in before.items() if len(previous) >= 2}
    if not told_apart:
        return False
    text = " ".join(f"{h} {v}" for h, v in row)
    written = set(_WORD_RE.findall(text.lower()))
    words = _WORD_RE.findall(question.lower())
    # Both words are the question's key words: "get per day" puts no other word before "per day".
    terms = key_terms(question)
    lacking = {
        stem(previous)
        for previous, word in zip(words, words[1:])
        if word in told_apart
        and previous not in told_apart[word] | written
        and {stem(previous), stem(word)} <= set(terms)
    }
    # A synonym the row writes is the column ("high season" for "Peak season").
    return bool(lacking) and not lacking <= synonym_groups().held(question, terms, text)


def places_covered(question: str, text: str) -> set[str]:
    """The units (lexical_units) of the places the question names whose country the text names,
    itself or through a region (retrieval.places): "Tokyo" in "Japan and Korea: NT$600"."""
    return {u for name in gazetteer().held_names(question, text) for u in lexical_units(name)}


def _named_cells(row: list[tuple[str, str]], question: str, question_units: set[str]) -> list[bool]:
    """Per cell after the first, whether the question uses its value to name the row rather than
    ask for it: all its words were asked ("Lumo Hub LH-300"), or any word that is not a header's and
    not in an amount ("寄到澳大利亚要几天" over "国家或地区：澳大利亚及新西兰": the question asks the
    delivery time). Except in a yes/no question in the value's language, whose words in a value may
    be the asked predicate ("香港需要税项设置吗" -> "不需要税项设置"); across languages the words in
    common are names ("Is GST supported?" and "税种：商品及服务税（GST）")."""
    headers = set(lexical_units(" ".join(header for header, _ in row)))
    question_zh = is_chinese(question)
    yes_no = any(asks_yes_no(part) for part in _QUESTION_PART_RE.split(question))
    named = []
    for _, value in row[1:]:
        units = set(lexical_units(value))
        may_be_asked = yes_no and is_chinese(value) == question_zh
        partly = not may_be_asked and bool((units - headers) & question_units) and not find_facts(value)
        named.append(bool(units) and (units <= question_units or partly))
    return named


def cell_kinds(header: str, value: str) -> set[str]:
    """The kinds of fact a cell states: its value's, read with the unit its header gives in
    brackets ("Price (USD): 129" is an amount), and those its header names ("Delivery time")."""
    unit = _HEADER_UNIT_RE.search(header)
    if not unit:
        return asked_kinds(header) | {f.kind for f in find_facts(value)}
    # A currency goes before the amount: "Calls (HK$ per minute): 6" is HK$6 per minute.
    first, _, rest = unit.group(1).partition(" ")
    read = find_facts(f"{value} {unit.group(1)}") + find_facts(f"{first}{value} {rest}")
    return asked_kinds(header) | {f.kind for f in read}


# Groups of customers a column may be priced for.
_CUSTOMER_GROUP_RE = re.compile(
    r"\b(?:members?|students?|seniors?|child(?:ren)?|kids?|vips?|staff)\b|会员|学生|长者|老人|儿童|小童|员工",
    re.IGNORECASE,
)


def _for_unnamed_group(header: str, question: str) -> bool:
    """Whether a header names a group of customers (members, students, 会员...) and the question
    names none."""
    return bool(_CUSTOMER_GROUP_RE.search(header)) and not _CUSTOMER_GROUP_RE.search(question)


class TableAnswerer:
    def __init__(
        self, embedder: Embedder | None = None, similarity: SentenceSimilarity | None = None
    ) -> None:
        """Without an embedder, columns are picked on words and the kind of fact only."""
        self.embedder = embedder
        self.similarity = similarity or (SentenceSimilarity(embedder) if embedder is not None else None)

    def run(
        self, row: list[tuple[str, str]], question: str, question_units: set[str], context: str = ""
    ) -> str | None:
        """ "<row name>, <header>: <value>" for the column(s) asked for; None when no column stands
        out (the caller quotes the whole row). context: the rest of the conversation or message
        (a follow-up's previous question, a part's other parts); a place it names picks a column
        when the question names none ("我买的是Lite票飞曼谷，……？另外选一个前排座位要多少？": the
        front-row seat on the Southeast Asia route)."""
        (label_header, label), *cells = row
        if not cells:
            return None
        zh = is_chinese(" ".join(f"{header} {value}" for header, value in row))
        parts = [p for p in _QUESTION_PART_RE.split(question) if p.strip()] or [question]
        named = _named_cells(row, question, question_units)
        picked: list[int] = []
        trip = context if not gazetteer().named(question) else ""
        for part in parts:
            column = self._column(cells, named, part, question_units, trip)
            if column is not None and column not in picked:
                picked.append(column)
        if not picked:
            return None
        # A model code always goes with the name: several rows may share it ("Lumo Hub" LH-200
        # and LH-300), and the customer reads which one the figure is for.
        name = " ".join(
            [
                label,
                *(
                    value
                    for index, ((_, value), is_named) in enumerate(zip(cells, named))
                    if is_named or (is_code(value) and index not in picked)
                ),
            ]
        )
        one_word = " " not in label.strip() and " " not in label_header.strip()
        said = set(lexical_units(label_header)) <= question_units or is_chinese(question)
        if name == label and one_word and not zh and said:
            # "Premium" under "Plan" -> "Premium plan" when the customer said "plan" (or asked in
            # Chinese, where words cannot tell); not "Fiji destination".
            name = f"{label} {label_header.lower()}"
        parts = []
        for column in sorted(picked):
            header, value = cells[column]
            shown = header if zh or header[:2].isupper() else header[:1].lower() + header[1:]
            parts.append(f"{shown}：{value}" if zh else f"{shown}: {value}")
        return f"{name}，{'；'.join(parts)}" if zh else f"{name}, {'; '.join(parts)}"

    def _column(
        self, cells: list[tuple[str, str]], named: list[bool], part: str, question_units: set[str], trip: str
    ) -> int | None:
        """The column one part of the question asks for, or None; trip: where the places of a
        question naming none are read."""
        part_units = set(lexical_units(part)) & question_units or set(lexical_units(part))
        part_words = set(lexical_units(part, frozenset()))
        part_terms = key_terms(part)
        yes_no = asks_yes_no(part)
        asked = asked_kinds(part) | ({YES_NO} if yes_no else set())

        def relevance(index: int) -> float:
            # The header naming what was asked ("data") outweighs a value of the asked kind ("how
            # much" -> an amount).
            header, value = cells[index]
            kinds = cell_kinds(header, value)
            if states_yes_no(value):
                kinds.add(YES_NO)
            header_units = set(lexical_units(header))
            # The header most of whose words were asked is the more specific: "运费" over "免运费门槛",
            # "Peak rate" over "Off-peak rate" for "the peak rate", the other way for "the off-peak
            # rate" (counting every word, stop words too: "off").
            header_words = set(lexical_units(header, frozenset()))
            shared = len(part_units & header_units) + len(
                places_covered(part, header) or places_covered(trip, header)
            )
            if is_chinese(part) != is_chinese(header) and not yes_no:
                # "在机场买" asks the "At the airport" column. Not in a yes/no question, whose
                # words name its predicate ("set up taxes" is 不需要税项设置, not the 税种 column).
                shared += len(bilingual_lexicon().known_held(part_terms, header))
            elif is_chinese(part) != is_chinese(header):
                # A phrase's synonym names it in a yes/no question too: "Do gold members get
                # free shipping?" asks the 免运费 column.
                shared += len(synonym_groups().held(part, part_terms, header, phrases_only=True))
            else:
                # A header writing the customer's words otherwise: "so that delivery costs nothing"
                # asks "Free shipping from", not "Shipping fee"; "how much do you charge" asks
                # "Fee". Of a header stating another kind of fact than the one asked, only a
                # phrase: "how long does it take to assemble" does not ask "Assembly fee", nor
                # "每天多少钱" the "每日数据" column.
                other_kind = bool(asked) and not asked & kinds
                shared += len(synonym_groups().held(part, part_terms, header, phrases_only=other_kind))
            in_header = shared * (1 + 0.5 * len(part_words & header_words) / max(1, len(header_words)))
            # A yes/no question's words in a value the header does not have: "需要税项设置吗" ->
            # "支持状态：不需要税项设置". Across languages the words in common are names ("Is GST
            # supported?" and "税种：商品及服务税（GST）"), which say nothing about the column.
            in_value = 0.0
            if not named[index] and is_chinese(part) == is_chinese(value):
                in_value = 0.25 * len(part_units & set(lexical_units(value)) - header_units)
            elif not named[index] and not yes_no:
                # "how much do I pay for each repair?" -> "说明：……每次维修自付800港元", not "月费：45".
                in_value = 0.25 * len(bilingual_lexicon().known_held(part_terms, value))
            if asked and kinds and not asked & kinds:
                # A header sharing the question's topic word states another kind of fact: "How
                # long does shipping to Taiwan take?" asks the delivery time, not "Shipping fee".
                in_header *= OTHER_KIND_HEADER_WEIGHT
            return in_header + 0.5 * bool(asked & kinds) + in_value - named[index]

        scores = [relevance(i) for i in range(len(cells))]
        best = max(range(len(cells)), key=lambda i: scores[i])
        if scores[best] > 0 and scores.count(scores[best]) == 1:
            return best
        open_columns = [i for i in range(len(cells)) if scores[i] == scores[best] and not named[i]]
        if scores[best] > 0 and len(open_columns) > 1:
            # Of columns the question fits alike, one priced for a group of customers the question
            # does not name is not the one asked: "How much is the massage?" asks "价格", not
            # "翡翠会会员价" (the members' price).
            for_everyone = [i for i in open_columns if not _for_unnamed_group(cells[i][0], part)]
            if len(for_everyone) == 1:
                return for_everyone[0]
            # Of those, the one stating the kind of fact asked for: "How much is the hot stone
            # massage?" asks "价格：1080", not the description holding "stone" and "massage".
            of_kind = [i for i in for_everyone if asked & cell_kinds(*cells[i])]
            if len(of_kind) == 1:
                return of_kind[0]
            # The header naming what another part of the message names: "What does Express cost
            # for the first kg ..., and how much for each extra kg?" asks "Express each extra kg",
            # not "Standard each extra kg".
            elsewhere = {i: len(set(lexical_units(cells[i][0])) & question_units) for i in for_everyone}
            most = max(elsewhere.values(), default=0)
            if most and list(elsewhere.values()).count(most) == 1:
                return max(elsewhere, key=lambda i: elsewhere[i])
        # Words and kind leave it open: the header closest in meaning, if it stands out.
        by_value = yes_no and all(states_yes_no(cells[i][1]) for i in open_columns)
        return self._closest_column(cells, open_columns, part, by_value)

    def _closest_column(
        self, cells: list[tuple[str, str]], columns: list[int], part: str, by_value: bool
    ) -> int | None:
        """The column whose header is closest to the question, if it stands out. Between cells that
        all say yes or no, their values are compared: the verb is there ("不需要税项设置" for "Do I
        need to set up taxes"), where a value naming the row would win any other comparison."""
        if self.embedder is None or self.similarity is None or not columns:
            return None
        if len(columns) == 1:
            return columns[0]
        query = self.embedder.embed_query(part)
        texts = [cells[i][1] if by_value else cells[i][0] or cells[i][1] for i in columns]
        cosines = self.similarity.vectors(texts) @ query
        order = sorted(range(len(columns)), key=lambda i: -float(cosines[i]))
        if float(cosines[order[0]] - cosines[order[1]]) < HEADER_SIMILARITY_MARGIN:
            return None
        return columns[order[0]]
