"""docs/kpis.md is generated from the catalogue and the data files, and must be current."""
from pathlib import Path

from metrics.docs import catalogue_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "kpis.md"


def test_docs_kpis_md_is_current():
    assert DOC.read_text(encoding="utf-8") == catalogue_markdown(), \
        "regenerate: python cli.py kpis --catalogue-markdown > docs/kpis.md"


def test_docs_name_every_kpi_target_and_indicator():
    from metrics.kpis import CATALOGUE
    from metrics.score766 import weights
    from metrics.targets import targets

    text = catalogue_markdown()
    assert all(f"`{k}`" in text for k in CATALOGUE)
    assert all(f"| {t.id} |" in text for t in targets())
    assert all(f"| {i['id']} |" in text for i in weights()["indicators"])
