"""The claim registry: every claim bntui makes about BN, stated once.

Importable without Textual or Rich (only the standard library and ``stats``): ``bntui
verify``, view 6 (the ICS view) and the lessons read the same entries, so a sentence, its
measure, its direction and its margin cannot drift apart between them.

API
---
``CLAIMS``: ``dict[str, ClaimDef]`` in report order; ``claim(id)`` returns one entry
(``KeyError`` naming the known ids otherwise). A ``ClaimDef`` holds:

- ``id``: a short key (``"ics-cos"``); ``sentence`` / ``sentence_ko``: the claim in English
  and Korean; ``text(lang)`` picks one;
- ``source``: which seed text (``/work/shared/seeds``, by number) or paper it comes from,
  and ``quote``: that text's own words (Korean for the seed texts);
- ``measure`` / ``measure_ko``: how one seed's number is computed from a trial's results;
- ``arms``: the configurations trained on every seed (``Arm``: key, labels, Config
  overrides); ``effect``: how the two compared sides ``a`` and ``b`` follow from the arms
  (``a_label`` / ``b_label`` name them);
- ``direction`` (``"greater"``: a > b claimed, ``"less"``: a < b, ``"not-worse"``:
  a ≥ b − margin), ``margin`` (on the mean difference) and ``tie`` (a seed whose
  |a − b| ≤ tie is a tie);
- ``seeds`` / ``quick_seeds``: seeds per arm in a full / ``--quick`` run; ``quick_as_full``:
  ``--quick`` runs the claim as the full run does (its setup and its seeds, the same
  trials), for a claim whose verdict a shorter run or fewer seeds would change;
- ``literature`` / ``literature_ko``: what the cited paper found, when the claim is one a
  paper tested (the ICS claims: Santurkar et al. 2018); ``fmt``: how numbers print;
- ``run_metric``: the screen's name (``bntui.live.captions``) of what one lesson run
  measures for the claim, compared BN twin (a) against plain twin (b) with the claim's
  own direction and tie (``run_outcome``): "" when a run on screen cannot measure it.

The verdict rule is ``decide`` (in ``bntui.experiments.stats``, re-exported here; also
``RULE`` / ``RULE_KO``, printed by ``verify --help``):
with d_i = a_i − b_i per seed (sign flipped for ``"less"``), a seed is a win when
d_i > tie, a loss when d_i < −tie, a tie otherwise; need = ⌈0.8·N⌉ of N seeds;

- supported: mean d > margin and wins ≥ need;
- not supported (the other side is ahead): mean d < −margin and losses ≥ need;
- tie: |mean d| ≤ margin;
- mixed: anything else (a mean beyond the margin that too few seeds agree with).

``"not-worse"`` claims: supported when mean(a − b) ≥ −margin and ≥ need seeds have
a_i − b_i ≥ −margin; not supported when mean(a − b) < −margin and ≥ need seeds have
a_i − b_i < −margin; mixed otherwise.

One run (one seed) is not a verdict: ``run_outcome(c, a, b)`` says whether that run's
numbers go the claim's way (+1: a win by the rule's per-seed test, -1: a loss, 0: a tie;
None: not measured), and ``RUN_WORDS`` / ``RUN_WORDS_KO`` name it ("agrees", "does not
agree", …). A lesson caption's ``{claim:ID}`` and ``{claim:ID:run}`` and view 6 use them.

A lesson or view quotes a claim like this (no Textual needed)::

    from bntui.experiments.claims import claim
    c = claim("ics-cos")
    c.text("ko"), c.paper("en"), c.direction, c.margin   # sentence, finding, rule inputs
    decide(bn_values, plain_values, direction=c.direction, margin=c.margin, tie=c.tie)

The base configuration each claim's arms override (dataset, depth, steps, grids) is set up
in ``bntui.experiments.verification`` / ``verify_norms`` and printed as the claim's ``setup``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bntui.experiments.stats import (  # the rule lives with the statistics; re-exported
    MIXED,
    NOT_MEASURED,
    NOT_SUPPORTED,
    QUORUM,
    RULE,
    RULE_KO,
    SUPPORTED,
    TIE,
    VERDICTS,
    VERDICTS_KO,
    Decision,
    decide,
    need_of,
)

__all__ = [
    "CLAIMS",
    "MIXED",
    "NOT_MEASURED",
    "NOT_SUPPORTED",
    "QUORUM",
    "RULE",
    "RULE_KO",
    "RUN_WORDS",
    "RUN_WORDS_KO",
    "SUPPORTED",
    "TIE",
    "VERDICTS",
    "VERDICTS_KO",
    "Arm",
    "ClaimDef",
    "Decision",
    "claim",
    "decide",
    "need_of",
    "run_outcome",
    "run_word",
    "seeds_for",
]  # fmt: skip


@dataclass(frozen=True)
class Arm:
    """One configuration a claim trains on every seed: Config overrides of its base."""

    key: str
    label: str
    label_ko: str
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimDef:
    """One claim (see the module docstring for every field)."""

    id: str
    sentence: str
    sentence_ko: str
    source: str
    quote: str
    measure: str
    measure_ko: str
    arms: tuple[Arm, ...]
    effect: str
    a_label: str
    b_label: str
    direction: str
    margin: float = 0.0
    tie: float = 0.0
    seeds: int = 10
    quick_seeds: int = 5
    quick_as_full: bool = False
    literature: str = ""
    literature_ko: str = ""
    fmt: str = ".3f"
    run_metric: str = ""

    def text(self, lang: str = "en") -> str:
        """The sentence in ``lang`` (``ko``: Korean, anything else: English)."""
        return self.sentence_ko if lang == "ko" else self.sentence

    def paper(self, lang: str = "en") -> str:
        """What the cited paper found, in ``lang`` ("" when the claim cites none)."""
        return self.literature_ko if lang == "ko" else self.literature

    def arm(self, key: str) -> Arm:
        for a in self.arms:
            if a.key == key:
                return a
        raise KeyError(f"claim {self.id!r} has no arm {key!r}")


def _bn_arms(extra: dict[str, Any] | None = None) -> tuple[Arm, Arm]:
    extra = extra or {}
    return (
        Arm("bn", "BN", "BN", {"bn": True, **extra}),
        Arm("plain", "no BN", "BN 없음", {"bn": False, **extra}),
    )


QUICK_AS_FULL = (
    "gap, dropout, ics-l2 and ics-cos run in --quick as in the full run: with 5 seeds or "
    "quick's shorter setups (4×64 for 600 steps, 300 ICS steps) their verdicts came out "
    "supported, mixed or not supported where the full run's are tie, tie, supported"
)
"""Why some claims ignore --quick (measured on 10 seeds, issue 24)."""

BN_MINUS_PLAIN = "a = arm bn, b = arm plain (same seed: same data, batches, initial weights)"
SANTURKAR = (
    "Santurkar et al. 2018 (Fig. 5, Def. 2.1): ICS measured on the actual update was as "
    "large with BN as without, or larger, by both ‖G − G′‖ and cos∠(G, G′); BN's benefit "
    "came from a smoother loss"
)
SANTURKAR_KO = (
    "Santurkar 외 2018 (그림 5, 정의 2.1): 실제 갱신으로 잰 ICS는 ‖G − G′‖ 로도 "
    "cos∠(G, G′) 로도 BN이 있을 때 없을 때만큼 크거나 더 컸고, BN의 이점은 더 매끄러운 "
    "손실에서 왔습니다"
)

_DEFS = [
    ClaimDef(
        id="steps",
        sentence="BN reaches a target accuracy in fewer steps",
        sentence_ko="BN은 목표 정확도에 더 적은 스텝으로 도달한다",
        source="004 (DLFS §6.3.1), 001",
        quote="학습속도 개선",
        measure="steps until val acc ≥ 0.9 (eval every 20 steps; not reached = the cap)",
        measure_ko="검증 정확도가 0.9 이상이 될 때까지의 스텝 (20 스텝마다 평가; 못 닿으면 상한)",
        arms=_bn_arms(),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="less",
        margin=20.0,
        fmt=".0f",
    ),
    ClaimDef(
        id="lr",
        sentence="BN trains stably at higher learning rates",
        sentence_ko="BN은 더 높은 학습률에서도 안정적으로 학습한다",
        source="001, 004",
        quote="높은 학습률 사용이 가능하다",
        measure="log10 of the largest lr on the grid that neither diverges nor ends below "
        "val acc 0.6",
        measure_ko="발산하지 않고 검증 정확도 0.6 이상으로 끝나는 가장 큰 학습률의 log10",
        arms=_bn_arms(),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="greater",
        fmt=".2f",
    ),
    ClaimDef(
        id="init",
        sentence="BN makes accuracy robust to the initial weight scale",
        sentence_ko="BN은 정확도를 초기 가중치 크기에 덜 민감하게 만든다",
        source="004 (DLFS fig. 6-18)",
        quote="초기값 설정에 크게 의존하지 않음",
        measure="val acc, mean over 16 init scales std:s, s in logspace(0, −4, 16); per "
        "scale, a seed where both arms end at chance (val acc < chance + 0.05) is a tie",
        measure_ko="초기화 크기 16개 (std:s, s ∈ logspace(0, −4, 16)) 에 걸친 검증 정확도 "
        "평균; 크기마다 두 팔이 모두 우연 수준 (우연 + 0.05 미만) 이면 무승부",
        arms=_bn_arms(),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="greater",
        margin=0.01,
        tie=0.005,
    ),
    ClaimDef(
        id="gradient",
        sentence="BN keeps the first layer's gradient from vanishing in a deep sigmoid net",
        sentence_ko="깊은 시그모이드 신경망에서 BN은 첫 층의 기울기가 사라지지 않게 한다",
        source="002 (Vanishing Gradient), 004",
        quote="saturating 한 함수를 활성화 함수로 써도 saturation 문제가 일어나지 않음",
        measure="log10 of the mean |∇W₁| (every 10 steps), in a net where the plain arm's "
        "first-layer gradient is ≥ 100× below its last hidden layer's (reported)",
        measure_ko="|∇W₁| 평균 (10 스텝마다) 의 log10; BN 없는 팔의 첫 층 기울기가 마지막 "
        "은닉층보다 100배 이상 작은 신경망에서 (그 비율도 보고)",
        arms=_bn_arms(),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="greater",
        margin=1.0,
        fmt=".2f",
    ),
    ClaimDef(
        id="gap",
        sentence="BN narrows the train/val gap with 300 training samples (a regulariser)",
        sentence_ko="학습 샘플 300개에서 BN은 학습/검증 정확도 차이를 줄인다 (정규화 효과)",
        source="000, 004 (DLFS §6.4.1)",
        quote="오버피팅 억제",
        measure="train acc (eval mode, all 300) − val acc",
        measure_ko="학습 정확도 (평가 모드, 300개 전부) − 검증 정확도",
        arms=_bn_arms(),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="less",
        margin=0.005,
        quick_as_full=True,  # see QUICK_AS_FULL
    ),
    ClaimDef(
        id="dropout",
        sentence="BN makes dropout less necessary: dropout gains less with BN than without",
        sentence_ko="BN은 드롭아웃의 필요성을 줄인다: 드롭아웃의 이득이 BN이 있을 때 더 작다",
        source="004, 001",
        quote="오버피팅 억제(드롭아웃 필요성 감소)",
        measure="dropout's gain in val acc, (arm + dropout 0.3) − arm, with BN (a) and "
        "without (b): a 2×2 design",
        measure_ko="드롭아웃 (0.3) 의 검증 정확도 이득 (팔 + 드롭아웃) − 팔, BN 있음 (a) 과 "
        "없음 (b): 2×2 설계",
        arms=(
            Arm("bn", "BN", "BN", {"bn": True}),
            Arm("bn+dropout", "BN + dropout", "BN + 드롭아웃", {"bn": True, "dropout": 0.3}),
            Arm("plain", "no BN", "BN 없음", {"bn": False}),
            Arm("plain+dropout", "dropout", "드롭아웃", {"bn": False, "dropout": 0.3}),
        ),
        effect="a = bn+dropout − bn, b = plain+dropout − plain",
        a_label="gain with BN",
        b_label="gain without BN",
        direction="less",
        margin=0.005,
        quick_as_full=True,  # see QUICK_AS_FULL
    ),
    ClaimDef(
        id="ics-l2",
        sentence="BN reduces internal covariate shift: ‖G − G′‖ is smaller with BN",
        sentence_ko="BN은 내부 공변량 변화를 줄인다: BN이 있으면 ‖G − G′‖ 가 더 작다",
        source="001, 002, 003, 004 (Internal Covariate Shift)",
        quote="Batch Normalization의 가장 궁극적인 목표는 internal covariate shift를 줄이는 것이다",
        measure="‖G − G′‖ (Santurkar et al. Def. 2.1 with the optimizer's actual update), "
        "mean over layers 2…head and over the measurements every 50 steps",
        measure_ko="‖G − G′‖ (Santurkar 외 정의 2.1, 최적화기의 실제 갱신), 2층…출력층과 50 "
        "스텝마다의 측정에 걸친 평균",
        arms=_bn_arms({"optimizer": "momentum", "lr": 0.02}),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="less",
        literature=SANTURKAR,
        literature_ko=SANTURKAR_KO,
        fmt=".3g",
        run_metric="ics_l2",
        quick_as_full=True,  # see QUICK_AS_FULL
    ),
    ClaimDef(
        id="ics-cos",
        sentence="BN reduces internal covariate shift: cos∠(G, G′) is closer to 1 with BN",
        sentence_ko="BN은 내부 공변량 변화를 줄인다: BN이 있으면 cos∠(G, G′) 가 1에 더 가깝다",
        source="001, 002, 003, 004 (Internal Covariate Shift)",
        quote="Batch Normalization의 가장 궁극적인 목표는 internal covariate shift를 줄이는 것이다",
        measure="cos∠(G, G′) (Def. 2.1, the optimizer's actual update), mean over layers "
        "2…head and over the measurements every 50 steps",
        measure_ko="cos∠(G, G′) (정의 2.1, 최적화기의 실제 갱신), 2층…출력층과 50 스텝마다의 "
        "측정에 걸친 평균",
        arms=_bn_arms({"optimizer": "momentum", "lr": 0.02}),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="greater",
        literature=SANTURKAR,
        literature_ko=SANTURKAR_KO,
        fmt=".4f",
        run_metric="ics_cos",
        quick_as_full=True,  # see QUICK_AS_FULL
    ),
    ClaimDef(
        id="titanic",
        sentence="BN raises Titanic accuracy (69 % → 71 % after 200 epochs in the text)",
        sentence_ko="BN은 타이타닉 정확도를 올린다 (본문: 200 에폭 후 69 % → 71 %)",
        source="001 (Titanic: Pclass, Fare, Age → Survived)",
        quote="BN을 적용하지않은 신경망의경우 epoch을 200번 돌렸을때의 정확도는 69%에 "
        "머물렀고 BN을 적용한 신경망의경우 같은 epoch후 71%까지 오르는것을 확인할수 있었다",
        measure="val acc after 200 epochs (--titanic FILE: Kaggle's train.csv)",
        measure_ko="200 에폭 후 검증 정확도 (--titanic FILE: Kaggle 의 train.csv)",
        arms=_bn_arms(),
        effect=BN_MINUS_PLAIN,
        a_label="BN",
        b_label="no BN",
        direction="greater",
        margin=0.005,
    ),
    ClaimDef(
        id="small-batch",
        sentence="BN degrades at small batch sizes and GN/LN do not",
        sentence_ko="BN은 작은 배치에서 나빠지고 GN/LN은 그렇지 않다",
        source="Wu & He 2018 (Group Normalization, fig. 1)",
        quote="",
        measure="val-acc drop: mean at the 2 largest batch sizes − mean at the 2 smallest",
        measure_ko="검증 정확도 하락: 가장 큰 배치 2개의 평균 − 가장 작은 배치 2개의 평균",
        arms=tuple(
            Arm(
                n,
                n.upper() if n != "none" else "no norm",
                n.upper() if n != "none" else "없음",
                {"norm": n, "bn": n != "none"},
            )
            for n in ("bn", "brn", "gn", "ln", "none")
        ),
        effect="a = drop(bn), b = max(drop(gn), drop(ln))",
        a_label="BN",
        b_label="worse of GN, LN",
        direction="greater",
        margin=0.01,
    ),
    ClaimDef(
        id="noisy-bn",
        sentence="Noisy BN trains as well as BN",
        sentence_ko="잡음 섞인 BN도 BN만큼 잘 학습한다",
        source="Santurkar et al. 2018 (§2.1, fig. 2)",
        quote="",
        measure="train acc (train mode), mean over the last steps",
        measure_ko="학습 정확도 (학습 모드), 마지막 스텝들의 평균",
        arms=(
            Arm("noisy-bn", "noisy BN", "잡음 BN", {"norm": "noisy-bn", "bn": True}),
            Arm("bn", "BN", "BN", {"norm": "bn", "bn": True}),
        ),
        effect="a = arm noisy-bn, b = arm bn",
        a_label="noisy BN",
        b_label="BN",
        direction="not-worse",
        margin=0.02,
    ),
]

CLAIMS: dict[str, ClaimDef] = {c.id: c for c in _DEFS}


def claim(claim_id: str) -> ClaimDef:
    """The registry entry ``claim_id``."""
    try:
        return CLAIMS[claim_id]
    except KeyError:
        raise KeyError(f"no claim {claim_id!r}; known: {', '.join(CLAIMS)}") from None


def seeds_for(c: ClaimDef, *, quick: bool) -> int:
    """Seeds per arm the registry asks for in a full or quick run."""
    return c.seeds if c.quick_as_full or not quick else c.quick_seeds


RUN_WORDS = {1: "agrees", -1: "does not agree", 0: "is a tie", None: "has not measured it"}
RUN_WORDS_KO = {
    1: "일치합니다",
    -1: "일치하지 않습니다",
    0: "비깁니다",
    None: "아직 재지 않았습니다",
}


def run_outcome(c: ClaimDef, a: float | None, b: float | None) -> int | None:
    """One run's numbers against the claim (a: BN side, b: plain side): +1 when the run
    goes the claim's way (a seed ``decide`` counts as a win), -1 when it goes the other way
    (a loss), 0 for a tie (within ``tie``); None when either is missing or not finite."""
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    d = decide([a], [b], direction=c.direction, margin=c.margin, tie=c.tie)
    if c.direction == "not-worse":
        return 1 if d.wins else -1
    return 1 if d.wins else (-1 if d.losses else 0)


def run_word(outcome: int | None, lang: str = "en") -> str:
    """The words for ``run_outcome`` in ``lang`` (``ko``: Korean)."""
    return (RUN_WORDS_KO if lang == "ko" else RUN_WORDS)[outcome]
