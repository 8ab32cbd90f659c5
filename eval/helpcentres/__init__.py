"""The help-centre benchmark: three businesses' help centres in English and Chinese, in every
format kefu ingests, and questions about them written before any answer was seen.

data/<centre>/{en,zh}/ holds each centre's source text. Markdown, HTML, plain text and CSV files
are documents as they are; `*.docx.md`, `*.pdf.md` and `*.xlsx.csv` are small text specs that
eval.helpcentres.build turns into .docx, .pdf and .xlsx files deterministically.
data/questions/<centre>.jsonl holds the questions in the shared data-set layout (see
eval.helpcentres.dataset for the extra fields and the tune/held-out split).
"""
