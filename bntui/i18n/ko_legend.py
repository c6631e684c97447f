"""Korean for the legend screen (key ``e``): one line per mark of each panel.

Merged into ``bntui.i18n.ko.KO``; the terms are the ones of ``ko.py``.
"""

LEGEND_KO: dict[str, str] = {
    "bntui · what the panels show": "bntui · 패널이 보여 주는 것",
    "↑ ↓ PgDn scroll · e / Esc closes": "↑ ↓ PgDn 스크롤 · e / Esc 로 닫기",
    "Status line (top)": "상태 줄 (맨 위)",
    "▶ running ‖ paused": "▶ 실행 중 ‖ 일시정지",
    "training state; ✖ diverged (loss not finite), ■ stopped": (
        "학습 상태; ✖ 발산 (손실이 유한하지 않음), ■ 멈춤"
    ),
    "batches trained so far; epochs = passes over the training set": (
        "지금까지 학습한 배치 수; 에폭 = 학습 데이터를 한 번 도는 것"
    ),
    "steps per second measured over the last half second": "최근 0.5초 동안 잰 초당 스텝 수",
    "the pace asked for: < halves it, > doubles it, max = unpaced": (
        "요청한 속도: < 는 절반, > 는 두 배, max = 제한 없음"
    ),
    "batch normalization in every hidden layer (green on, yellow off)": (
        "모든 은닉층의 배치 정규화 (초록 켜짐, 노랑 꺼짐)"
    ),
    "the experiment now: BN before/after the activation, …": (
        "지금의 실험: BN 이 활성화 함수 앞/뒤, …"
    ),
    "Loss": "손실",
    "⣿ cyan line": "⣿ 청록 선",
    "training loss of each batch (buckets averaged)": "배치마다의 학습 손실 (구간 평균)",
    "• magenta dots": "• 자홍 점",
    "validation loss, every 50 steps, in eval mode (running stats)": (
        "검증 손실, 50 스텝마다, 평가 모드 (이동 평균 통계)"
    ),
    "│ orange line": "│ 주황 선",
    "an event (a command) at that step, labelled with its new value": (
        "그 스텝의 이벤트 (명령), 새 값이 이름표로 붙음"
    ),
    "│ red line": "│ 빨간 선",
    "the loss stopped being finite (divergence)": "손실이 유한하지 않게 됨 (발산)",
    "a logarithmic y axis: y toggles it; automatic when losses span >1000×": (
        "로그 y 축: y 로 전환; 손실 범위가 1000배를 넘으면 자동"
    ),
    "accuracy on the last training batch / on the validation set": (
        "마지막 학습 배치의 정확도 / 검증 데이터의 정확도"
    ),
    "no value yet (statistics come every 30 steps, validation every 50)": (
        "아직 값 없음 (통계는 30 스텝마다, 검증은 50 스텝마다)"
    ),
    "Drift · activation input": "분포 이동 · 활성화 입력",
    "hidden layer 3; ▸ marks the selected layer (↑ ↓ choose)": (
        "은닉층 3; ▸ 는 선택한 층 (↑ ↓ 로 선택)"
    ),
    "▁─▆ first": "▁─▆ 첫째",
    "μ over time: mean of the activation's input; ─ is zero, lower bars are "
    "negative, higher bars positive (scale ±m in the frame)": (
        "시간에 따른 μ: 활성화 함수 입력의 평균; ─ 는 0, 낮은 막대는 음수, "
        "높은 막대는 양수 (눈금 ±m 은 테두리에)"
    ),
    "▁▂▃ second": "▁▂▃ 둘째",
    "σ over time: its standard deviation (green BN on, yellow BN off)": (
        "시간에 따른 σ: 그 표준편차 (초록 BN 켜짐, 노랑 BN 꺼짐)"
    ),
    "the latest values; with BN on, σ ≈ γ and μ ≈ β": "최신 값; BN 이 켜지면 σ ≈ γ, μ ≈ β",
    "the same before BN (the Linear output): what BN takes away": (
        "BN 전의 같은 값 (Linear 출력): BN 이 없애는 것"
    ),
    "tall panels: 15th/50th/85th percentile over time (BN fig. 1)": (
        "높은 패널: 시간에 따른 15/50/85 백분위 (BN 논문 그림 1)"
    ),
    "a value that is not finite (NaN or ±inf)": "유한하지 않은 값 (NaN 또는 ±inf)",
    "Gradients": "기울기",
    "████ bar": "████ 막대",
    "‖∇W‖, the size of the weight gradient, log scale 1e-6 … 1e1": (
        "‖∇W‖, 가중치 기울기의 크기, 로그 눈금 1e-6 … 1e1"
    ),
    "its value: tiny in the first layers = vanishing gradients": (
        "그 값: 앞쪽 층에서 아주 작으면 = 기울기 소실"
    ),
    "grad:data = std(∇W) / std(W) (wide panels only)": (
        "grad:data = std(∇W) / std(W) (넓은 패널에서만)"
    ),
    "update:data = log10 of how much one step moves W relative to W": (
        "update:data = 한 스텝이 W 를 W 에 비해 얼마나 움직이는지의 log10"
    ),
    "the −3 guide: a step changes the weights by about 1/1000": (
        "−3 기준선: 한 스텝이 가중치를 약 1/1000 바꿈"
    ),
    "green / yellow / red": "초록 / 노랑 / 빨강",
    "−4…−2 healthy; below −4 barely learning; above −2 too big": (
        "−4…−2 건강; −4 아래는 거의 학습 안 됨; −2 위는 너무 큼"
    ),
    "sigmoid/tanh: share of outputs stuck near the bounds (σ′ ≈ 0)": (
        "sigmoid/tanh: 출력이 경계 근처에 붙은 비율 (σ′ ≈ 0)"
    ),
    "ReLU: share of units whose input is ≤ 0 for the whole batch": (
        "ReLU: 배치 전체에서 입력이 ≤ 0 인 유닛의 비율"
    ),
    "tall panels: ‖∇W‖ over time, one decade scale for all layers": (
        "높은 패널: 시간에 따른 ‖∇W‖, 모든 층에 같은 로그 눈금"
    ),
    "Percentile bands (selected layer)": "백분위 띠 (선택한 층)",
    "blue lines": "파란 선",
    "p15 and p85 of the activation input: the middle 70 % of values": (
        "활성화 입력의 p15 와 p85: 가운데 70 % 의 값"
    ),
    "green line": "초록 선",
    "p50, the median": "p50, 중앙값",
    "mean and std before BN of the same layer (BN on only)": (
        "같은 층의 BN 전 평균과 표준편차 (BN 켜짐일 때만)"
    ),
    "the statistics are of step 330: they come every 30 steps and lag by less": (
        "통계는 스텝 330 의 값: 30 스텝마다 오며 지연은 그 이하"
    ),
    "Message line (bottom)": "메시지 줄 (맨 아래)",
    "what the last event changed: statistics after vs just before": (
        "마지막 이벤트가 바꾼 것: 직후 통계 대 직전 통계"
    ),
    "the layer whose gradient moved most, by that factor": "기울기가 가장 많이 변한 층과 그 배율",
    "yellow text": "노란 글자",
    "a note; it disappears after a few seconds": "알림; 몇 초 뒤 사라짐",
    "red text": "빨간 글자",
    "divergence or an error, with what to try": "발산 또는 오류, 해 볼 것과 함께",
}
