"""Korean UI strings of compare mode, the ICS view, autosave and resuming (see ``bntui.i18n``)."""

MORE_KO: dict[str, str] = {
    "bntui: resuming {source}: replaying {steps} steps …": (
        "bntui: {source} 이어서 시작: {steps} 스텝을 다시 재생합니다 …"
    ),
    "nothing to resume: no autosaved session at {path}": (
        "이어 할 것 없음: {path} 에 자동 저장된 세션이 없습니다"
    ),
    "computing the decision map …": "결정 경계 지도를 계산하는 중 …",
    "{target} exists (not written here); session saved: {path}": (
        "{target} 이(가) 이미 있습니다 (이 세션이 쓴 파일 아님); 세션 저장: {path}"
    ),
    "could not save {path}: no free numbered name": (
        "{path} 저장 실패: 비어 있는 번호 이름이 없습니다"
    ),
    "autosave: {path} (bntui --resume-last)": "자동 저장: {path} (bntui --resume-last)",
    "autosave failed: {path}: {why}": "자동 저장 실패: {path}: {why}",
    "ICS & smoothness": "ICS와 매끄러움",
    "{mark} chart failed to draw ({kind}; {n} so far)": (
        "{mark} 차트를 그리지 못했습니다 ({kind}; 지금까지 {n}번)"
    ),
    "Smoothness along the gradient (Fig. 4)": "기울기 방향의 매끄러움 (그림 4)",
    "not measured: type :smooth-every 50": "측정 안 함: :smooth-every 50 을 입력하세요",
    "scales: 0..max of both twins": "눈금: 두 쌍둥이의 0..최댓값",
    "Santurkar et al. 2018 found BN's benefit in a smoother loss (lower β, more predictive "
    "gradients), not in less internal covariate shift: BN did not reduce it.": (
        "Santurkar 외(2018)는 BN의 이점을 더 매끄러운 손실(더 낮은 β, 더 잘 예측되는 "
        "기울기)에서 찾았고, 내부 공변량 변화 감소에서 찾지 않았습니다: BN은 그것을 "
        "줄이지 않았습니다."
    ),
    "ICS & smoothness · step {n}": "ICS와 매끄러움 · 스텝 {n}",
    "ICS: bars 1 − cos∠(G, G′) per layer (0 = no shift), full at {top}": (
        "ICS: 층마다 막대 1 − cos∠(G, G′) (0 = 변화 없음), {top} 에서 가득"
    ),
    "not measured: type :ics-every 50 (a measurement ≈ 3–8 steps)": (
        "측정 안 함: :ics-every 50 을 입력하세요 (측정 한 번 ≈ 3–8 스텝)"
    ),
    "Drift · μ, σ": "분포 이동 · μ, σ",
    "Gradients · |∇W|": "기울기 · |∇W|",
    "coarse {cols}×{rows}": "거친 {cols}×{rows}",
    "This session is autosaved to {path}; bntui --resume-last brings it back.": (
        "이 세션은 {path} 에 자동 저장됩니다; bntui --resume-last 로 되살립니다."
    ),
    "a twin differing in one setting (BN flipped by default)": (
        "설정 하나만 다른 쌍둥이 (기본: BN 반대)"
    ),
    "log internal covariate shift every K steps": "K 스텝마다 내부 공변량 변화를 기록",
    "log loss smoothness every N steps": "N 스텝마다 손실의 매끄러움을 기록",
    "Compare: BN twin in lockstep, on/off": "비교: BN 쌍둥이를 나란히 학습, 켜기/끄기",
    "View: ICS and smoothness": "보기: ICS와 매끄러움",
    "compare": "비교",
    "ICS": "ICS",
}
