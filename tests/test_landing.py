"""The landing page: this run's verdicts under the title, as reStructuredText Snakemake renders."""

import pandas as pd
from docutils.core import publish_parts
from jinja2 import Environment

from cnnstudy.landing import findings_rst, landing_rst, rst_text

CLAIMS = pd.DataFrame([
    {"claim": "elastic", "label": "5", "conclusion": "Elastic distortion helps MNIST.", "verdict": "supported"},
    {"claim": "depth", "label": "3", "conclusion": "Complex models overfit *simple* tasks | fewer_layers_",
     "verdict": "not tested"},
])
EVIDENCE = pd.DataFrame([
    {"claim": "elastic", "role": "decides", "test": "ciresan-4conv-elastic vs ciresan-4conv", "measure": "accuracy",
     "difference": "+1.40 pts", "interval": "+0.61 pts to +2.19 pts", "verdict": "supported"},
    {"claim": "depth", "role": "decides", "test": "ciresan-4conv vs ciresan", "measure": "accuracy",
     "difference": "", "interval": "", "verdict": "not tested"},
    {"claim": "depth", "role": "context", "test": "ciresan vs resnet18", "measure": "accuracy",
     "difference": "", "interval": "", "verdict": "not tested"},
])
TEMPLATE = "A study\n=======\n\n**Question.** {{ snakemake.config['x'] }} asks.\n"


def rendered(text: str) -> str:
    """As Snakemake builds the first screen: Jinja first, then docutils (the category links it adds)."""
    class Snakemake:
        config = {"x": "This run"}

    links = "\n\n.. _Comparison: javascript:app.showCategory('Comparison')\n"
    source = Environment(trim_blocks=True, lstrip_blocks=True).from_string(text + links).render(snakemake=Snakemake)
    return publish_parts(source, writer="html", settings_overrides={"report_level": 2, "halt_level": 2})[
        "html_body"]


def test_the_verdicts_come_first_under_the_title_then_the_description():
    untrained = {"ciresan": "ciresan: 242.9 M MACs, 5.61 M parameters; training 3 seeds ...: about 90 core-minutes"}
    page = landing_rst(TEMPLATE, [findings_rst("mnist5k", CLAIMS, EVIDENCE, untrained)])
    html = rendered(page)
    assert html.index("A study") < html.index("What this run found on mnist5k") < html.index("Question.")
    assert "This run decided 1 conclusion of 2 (1 supported)." in html
    assert "<table" in html and html.count("<tr") == 3  # a header row and one per claim
    table = html[html.index("<table"):html.index("</table>")]
    assert "+1.40" not in table and html.index("</table>") < html.index("Evidence.")  # numbers below the verdicts
    assert "<strong>supported</strong>" in html and "<strong>not tested</strong>" in html
    assert "ciresan-4conv-elastic vs ciresan-4conv, accuracy: +1.40 pts (+0.61 pts to +2.19 pts)" in html
    assert "to train: ciresan;" not in html and "to train: ciresan" in html  # the trained 4-conv net is not named
    assert "to train: ciresan-4conv" not in html and "resnet18" not in html  # nor a context row
    assert "about 90 core-minutes" in html and "This run asks." in html


def test_text_from_the_config_cannot_become_markup():
    html = rendered(findings_rst("mnist5k", CLAIMS, EVIDENCE, {}))
    assert "Complex models overfit *simple* tasks | fewer_layers_" in html  # literally, no emphasis or link
    assert "<em>" not in html
    assert rst_text("{{ x }}") != "{{ x }}"  # no Jinja field either


def test_an_untrained_test_keeps_its_note_so_to_train_is_not_read_as_enough():
    undecidable = "on these 1,000 test digits inconclusive at any number of seeds"
    evidence = EVIDENCE.assign(note=["", undecidable, "the original also saw this"])
    html = rendered(findings_rst("mnist5k", CLAIMS, evidence, {"ciresan": "ciresan: 242.9 M MACs"}))
    assert f"3: to train: ciresan; {undecidable}" in html
    assert "the original also saw this" not in html  # a context row's note stays in the headline


def test_a_test_whose_nets_are_not_trained_far_enough_says_what_would_make_them():
    settle = ("train ciresan far enough: twice the epochs raised validation accuracy +0.98 pts, at least the "
              "margin 0.50, so give it more epochs (variants.ciresan.training.epochs, 20 now)")
    evidence = EVIDENCE.copy()
    evidence.loc[1, ["difference", "interval", "to settle"]] = ["-1.22 pts", "-1.89 pts to -0.54 pts", settle]
    html = rendered(findings_rst("mnist5k", CLAIMS, evidence, {}))
    assert f"3: ciresan-4conv vs ciresan, accuracy: -1.22 pts (-1.89 pts to -0.54 pts), {settle}" in html
