"""Korean UI strings: English text → Korean (see ``bntui.i18n``).

Terms follow the Korean seed texts: 배치 정규화 (batch normalization), 기울기 (gradient),
기울기 소실 (vanishing gradient), 활성화 함수 (activation function), 학습률 (learning
rate), 드롭아웃, 가중치 감소 (weight decay), 과적합, 내부 공변량 변화 (internal covariate
shift). Command words (``bn on``, ``lr /2``, ``reset``) stay as they are: they are what the
user types, and ``with_keys`` puts the key before each. Footer labels stay short: the
footer must fit 80 columns, and a Hangul syllable takes two.
"""

KO: dict[str, str] = {
    # ---------------------------------------------------------------- status, views
    "running": "실행 중",
    "paused": "일시정지",
    "diverged": "발산",
    "crashed": "오류 중단",
    "stopped": "멈춤",
    "main": "기본",
    "decision": "결정 경계",
    "histograms": "히스토그램",
    "events": "이벤트",
    "replay, next event @{step} (→)": "재생, 다음 이벤트 @{step} (→)",
    "next @{step} (→)": "다음 @{step} (→)",
    "replay, done": "재생, 이벤트 끝",
    "lesson finished: ← restarts, any key takes over, q quits": (
        "수업 끝: ← 처음부터, 다른 키는 직접 조작, q 종료"
    ),
    "worker error: {error} (reset clears it; --debug for details)": (
        "작업 스레드 오류: {error} (reset 으로 지워집니다; 자세한 내용은 --debug)"
    ),
    "early stop: val loss has not improved for {n} evaluations (best {best})": (
        "조기 종료: 검증 손실이 {n}번의 평가 동안 나아지지 않았습니다 (최저 {best})"
    ),
    # ---------------------------------------------------------------- panels
    "Loss · train ⣿ / val •": "손실 · 학습 ⣿ / 검증 •",
    "Loss - train . / val x": "손실 - 학습 . / 검증 x",
    "loss {x}": "손실 {x}",
    "val {x}": "검증 {x}",
    "acc {x}": "정확도 {x}",
    "no BN": "BN 없음",
    "no hidden layer": "은닉층 없음",
    "Drift · act input μ, σ": "활성화 입력 이동 μ, σ",
    "Drift: act input mean, sd": "분포 이동: 활성화 입력 mean, sd",
    "Drift mean, sd": "분포 이동 mean, sd",
    "depth 0: no hidden layer (press + to add one)": "depth 0: 은닉층 없음 (+ 로 추가)",
    "scales μ ±{m}  σ 0..{s}": "눈금 μ ±{m}  σ 0..{s}",
    "Gradients · |∇W| log · update": "기울기 · |∇W| 로그 · 갱신",
    "sat": "포화",
    "dead": "죽은",
    "Events ({n})": "이벤트 ({n})",
    "no events yet: every change of the net logs here": (
        "아직 이벤트 없음: 신경망의 모든 변화가 여기에 기록됩니다"
    ),
    "Boundary": "결정 경계",
    "Decision boundary": "결정 경계",
    "step {n}": "스텝 {n}",
    "no decision map yet": "아직 결정 경계 지도 없음",
    "the decision boundary needs 2-D data ({dataset} has {inputs} inputs): try dataset next": (
        "결정 경계는 2차원 데이터가 필요합니다 ({dataset} 의 입력은 {inputs}개): "
        "dataset next 를 해 보세요"
    ),
    "(no statistics yet)": "(아직 통계 없음)",
    "class": "클래스",
    "(glyph = training point; shade = prediction)": "(기호 = 학습 데이터, 색 = 예측)",
    "Activation histograms · {act} · step {n}": "활성화 히스토그램 · {act} · 스텝 {n}",
    "no activations yet: step once (n) or depth 0": "아직 활성화 값 없음: 한 스텝 (n) 또는 depth 0",
    # ---------------------------------------------------------------- app messages
    "terminal too small (need {w}×{h}) — enlarge it, or q to quit": (
        "터미널이 너무 작습니다 ({w}×{h} 필요) — 창을 키우거나 q 로 종료"
    ),
    "command, e.g. lr 0.05 · bn off · depth 6": "명령, 예: lr 0.05 · bn off · depth 6",
    "language: {lang}": "언어: {lang}",
    "you took over: the lesson is now a live session (← restarts it)": (
        "직접 조작 중: 수업이 실시간 세션이 되었습니다 (← 처음부터)"
    ),
    "no more events in this lesson": "이 수업에는 남은 이벤트가 없습니다",
    "skipping to the event at step {step}": "스텝 {step} 의 이벤트로 건너뜁니다",
    "lesson restarted": "수업을 처음부터 다시 시작합니다",
    "n steps while paused: press space first": "n 은 일시정지 중에만: 먼저 space",
    "screenshot failed: {why}": "스크린샷 실패: {why}",
    "screenshot saved: {path}": "스크린샷 저장: {path}",
    "could not save {path}: {why}": "{path} 저장 실패: {why}",
    "session saved: {path}": "세션 저장: {path}",
    "download failed: {why}": "다운로드 실패: {why}",
    "{name}: sent to the browser as a download": "{name}: 브라우저로 다운로드를 보냈습니다",
    # ---------------------------------------------------------------- help screen
    "close": "닫기",
    "Commands for : and replay scripts": ": 와 재생 스크립트의 명령",
    "bntui · help": "bntui · 도움말",
    "↑ ↓ PgDn scroll · ? / Esc / Enter closes": "↑ ↓ PgDn 스크롤 · ? / Esc / Enter 로 닫기",
    "palette": "팔레트",
    "Command palette: every action by name": "명령 팔레트: 모든 동작을 이름으로",
    # ---------------------------------------------------------------- key table
    "BN": "BN",
    "Toggle BN: batch normalization on/off": "BN 전환: 배치 정규화 켜기/끄기",
    "BN pos": "BN 위치",
    "BN before/after activation": "BN 을 활성화 함수 앞/뒤에",
    "act": "활성화",
    "Next activation": "다음 활성화 함수",
    "act-": "활성화-",
    "Previous activation": "이전 활성화 함수",
    "depth+": "깊게",
    "Deeper: depth +1": "더 깊게: 층 +1",
    "depth-": "얕게",
    "Shallower: depth -1": "더 얕게: 층 -1",
    "width/2": "폭/2",
    "Narrower: width ÷2": "더 좁게: 폭 ÷2",
    "width*2": "폭*2",
    "Wider: width ×2": "더 넓게: 폭 ×2",
    "lr/2": "lr/2",
    "Halve the learning rate": "학습률을 절반으로",
    "lr*2": "lr*2",
    "Double the learning rate": "학습률을 두 배로",
    "init": "초기화",
    "Next init (re-initializes the weights)": "다음 초기화 방법 (가중치를 새로 초기화)",
    "opt": "최적화",
    "Next optimizer": "다음 최적화 기법",
    "dropout": "드롭아웃",
    "Next dropout 0→0.1→0.3→0.5": "다음 드롭아웃 0→0.1→0.3→0.5",
    "data": "데이터",
    "Next dataset": "다음 데이터셋",
    "reset": "리셋",
    "Reset: fresh weights": "리셋: 새 가중치",
    "pause": "정지",
    "Pause / resume": "일시정지 / 계속",
    "next": "다음",
    "Lesson: skip to the next event": "수업: 다음 이벤트로 건너뛰기",
    "restart": "처음",
    "Lesson: start over": "수업: 처음부터 다시",
    "step": "스텝",
    "One step (while paused)": "한 스텝 (일시정지 중)",
    "layer up": "위 층",
    "Select the layer above (drift, bands)": "위 층 선택 (분포 이동, 분위 띠)",
    "layer down": "아래 층",
    "Select the layer below": "아래 층 선택",
    "log-y": "로그 y",
    "Loss chart: log / linear y axis": "손실 그래프: 로그 / 선형 y 축",
    "View: main": "화면: 기본",
    "boundary": "경계",
    "View: decision boundary": "화면: 결정 경계",
    "hist": "히스토그램",
    "View: activation histograms": "화면: 활성화 히스토그램",
    "log": "기록",
    "View: event log": "화면: 이벤트 기록",
    "svg": "svg",
    "Screenshot: SVG to bntui-<step>.svg": "스크린샷: SVG 를 bntui-<step>.svg 로",
    "save script": "스크립트 저장",
    "Save the session as a replay script": "세션을 재생 스크립트로 저장",
    "Save the script (ctrl+s in a browser)": "스크립트 저장 (브라우저의 ctrl+s 대신)",
    "Command palette (ctrl+p)": "명령 팔레트 (ctrl+p)",
    "cmd": "명령",
    "Type a command (Enter runs, Esc closes)": "명령 입력 (Enter 실행, Esc 닫기)",
    "help": "도움말",
    "Help: keys and commands": "도움말: 키와 명령",
    "quit": "종료",
    "Quit": "종료",
    "Quit (also while typing a command)": "종료 (명령 입력 중에도)",
    # ---------------------------------------------------------------- vocabulary help
    "batch normalization": "배치 정규화",
    "the normalization, gn:G for G groups": "정규화 방법, gn:G 는 G 개 그룹",
    "BN before or after the activation": "BN 을 활성화 함수 앞 또는 뒤에",
    "sigmoid, tanh, relu, leaky_relu, elu, gelu, identity": (
        "활성화 함수: sigmoid, tanh, relu, leaky_relu, elu, gelu, identity"
    ),
    "hidden layers 0..32": "은닉층 수 0..32",
    "units per hidden layer 1..1024": "은닉층당 유닛 수 1..1024",
    "learning rate": "학습률",
    "re-initializes the weights": "가중치를 새로 초기화",
    "L2 penalty λ": "L2 가중치 감소 λ",
    "L1 penalty λ": "L1 규제 λ",
    "cap each unit's weight norm": "유닛마다 가중치 노름 상한",
    "dropout probability (0 = off)": "드롭아웃 확률 (0 = 끔)",
    "mini-batch size": "미니배치 크기",
    "switch data set": "데이터셋 바꾸기",
    "new seed: re-draws weights and batch order": "새 시드: 가중치와 배치 순서를 다시 뽑음",
    "fresh weights (same init), optimizer state cleared": (
        "새 가중치 (같은 초기화), 최적화 상태 초기화"
    ),
    "put a labelled marker on the charts": "그래프에 이름 붙은 표시를 남김",
    "a caption (shown in replays)": "자막 (재생 때 표시)",
    "interface language (display only)": "화면 언어 (표시만 바뀜)",
    # ---------------------------------------------------------------- engine hints
    "loss is not finite: try lr /2, bn on or reset": (
        "손실이 유한하지 않습니다 (발산): lr /2, bn on 또는 reset 을 해 보세요"
    ),
    "BN with batch size 1: one sample has variance 0, so BN outputs β for every input "
    "and training cannot use x (no NaN: ε keeps 1/√(σ²+ε) finite); use batch size ≥ 2": (
        "배치 크기 1 의 BN: 샘플 하나의 분산은 0 이라 BN 은 모든 입력에 β 를 내보내고 "
        "학습은 x 를 쓸 수 없습니다 (NaN 은 아님: ε 이 1/√(σ²+ε) 를 유한하게 유지); "
        "배치 크기를 2 이상으로"
    ),
    # ---------------------------------------------------------------- bntui run
    "training": "학습 중",
    "loss {task.fields[loss]}  val acc {task.fields[val]}": (
        "손실 {task.fields[loss]}  검증 정확도 {task.fields[val]}"
    ),
    "interrupted": "중단됨",
    "stopped early": "조기 종료",
    "done": "완료",
    "run": "실행",
    "{status} after {n} steps ({rate} steps/s, {s} s)": (
        "{n} 스텝 후 {status} (초당 {rate} 스텝, {s} 초)"
    ),
    "net": "신경망",
    "train": "학습",
    "data loss {loss}{penalty}  acc {acc} (last batch, train mode)": (
        "데이터 손실 {loss}{penalty}  정확도 {acc} (마지막 배치, 학습 모드)"
    ),
    "+ penalty {p}": "+ 벌점 {p}",
    "acc {acc} on all {n} (BN running statistics, no dropout)": (
        "전체 {n}개 정확도 {acc} (BN 이동 평균 통계, 드롭아웃 없음)"
    ),
    "test": "테스트",
    "loss {loss}  acc {acc} (once)": "손실 {loss}  정확도 {acc} (마지막에 한 번)",
    "val": "검증",
    "loss {loss}  acc {acc}": "손실 {loss}  정확도 {acc}",
    "metrics": "지표",
    "hidden layers: activation input, weight gradients (last statistics)": (
        "은닉층: 활성화 입력, 가중치 기울기 (마지막 통계)"
    ),
    "layer": "층",
    "upd": "갱신",
    "note": "참고",
    # ---------------------------------------------------------------- replay, demos
    "bundled lessons (bntui replay NAME)": "내장 수업 (bntui replay 이름)",
    "name": "이름",
    "title": "제목",
    "steps": "스텝",
    "what it shows": "보여 주는 것",
    "checks": "검사",
    "event": "이벤트",
    "check": "검사",
    "measured": "측정값",
    "result": "결과",
    "pass": "통과",
    "FAIL": "실패",
    "ok": "성공",
    "FAILED": "실패",
    "slides: {n} in {path}": "슬라이드 {n}장: {path}",
    "{n} failed: {why}": "{n}장 실패: {why}",
    "; report in {path}": "; 보고서: {path}",
    "{verdict}: {passed}/{total} checks passed, {n} steps ({rate} steps/s)": (
        "{verdict}: 검사 {passed}/{total} 통과, {n} 스텝 (초당 {rate} 스텝)"
    ),
    # ---------------------------------------------------------------- pace, views, keys
    "pace: {pace}": "속도: {pace}",
    "already at full speed (pace max); < slows down": "이미 최고 속도 (pace max); < 로 늦추기",
    "slowest pace is 1 step/s (space pauses)": "가장 느린 속도는 초당 1 스텝 (space 로 일시정지)",
    "BN internals": "BN 내부",
    "no statistics yet (every {n} steps)": "아직 통계 없음 ({n} 스텝마다)",
    "explain": "설명",
    "Explain: what each mark of a panel means": "설명: 패널의 각 표시가 뜻하는 것",
    "fast": "빠르게",
    "Faster: double the pace": "빠르게: 속도 두 배",
    "slow": "느리게",
    "Slower: halve the pace": "느리게: 속도 절반",
    "norm": "정규화",
    "Next normalization (bn ln gn brn …)": "다음 정규화 방법 (bn ln gn brn …)",
    "BN in": "BN 내부",
    "View: BN internals": "화면: BN 내부",
    # ---------------------------------------------------------------- what changed, hints
    "sat/dead L{n} {a}→{b}": "포화/죽은 L{n} {a}→{b}",
    "new L{n}": "새 L{n}",
    "new L{a}–L{b}": "새 L{a}–L{b}",
    "statistics moved little (σ, |∇W| within 12 %)": "통계 변화 작음 (σ, |∇W| 12 % 이내)",
    "L{n}: {share} of units dead (input ≤ 0 on the whole batch, so no gradient "
    "reaches them): try lr /2, bn on or reset": (
        "L{n}: 유닛의 {share} 가 죽음 (배치 전체에서 입력 ≤ 0 이라 기울기가 닿지 않음): "
        "lr /2, bn on 또는 reset 을 해 보세요"
    ),
    # ---------------------------------------------------------------- BN internals (5)
    "BN internals · L{layer} · {norm} · step {step}": "BN 내부 · L{layer} · {norm} · 스텝 {step}",
    "last training batch ({n} samples): μ_B, σ_B vs the running statistics;": (
        "마지막 학습 배치 ({n}개): μ_B, σ_B 와 이동 평균 통계;"
    ),
    "sample 1's output in train mode (μ_B, σ_B) and eval mode (running)": (
        "샘플 1 의 출력: 학습 모드 (μ_B, σ_B), 평가 모드 (이동 평균)"
    ),
    "… {k} more units (a taller terminal shows them)": "… 유닛 {k}개 더 (터미널을 키우면 보임)",
    "L{layer} mean over its units: γ {gamma} · β {beta}": (
        "L{layer} 유닛 평균: γ {gamma} · β {beta}"
    ),
    "train − eval on the whole batch: RMS {d}": "배치 전체의 학습 − 평가: RMS {d}",
    "{m} fresh batches of {b}: sd(μ_B − run μ)/run σ {mu}, sd(σ_B/run σ) {sg}": (
        "새 배치 {m}개 ({b}개씩): sd(μ_B − run μ)/run σ {mu}, sd(σ_B/run σ) {sg}"
    ),
    "accuracy on them: train mode {t}, eval mode {e}, gap {g} ({d} of predictions differ)": (
        "정확도: 학습 모드 {t}, 평가 모드 {e}, 차이 {g} (예측 {d} 다름)"
    ),
    "smaller batches: μ_B, σ_B scatter more, train and eval part (batch-size /2)": (
        "배치가 작을수록 μ_B, σ_B 가 흩어지고 학습·평가가 갈림 (batch-size /2)"
    ),
    "noisy BN: train mode here is BN with batch statistics, the random s, t left out": (
        "noisy BN: 여기서 학습 모드는 배치 통계의 BN (무작위 s, t 는 뺌)"
    ),
    "BRN: train mode corrects μ_B, σ_B by r, d from the running statistics (as now)": (
        "BRN: 학습 모드는 이동 평균 통계의 r, d 로 μ_B, σ_B 를 보정 (현재 값)"
    ),
    "This view shows, for a batch normalization (bn, brn, noisy-bn):": (
        "이 화면은 배치 정규화 (bn, brn, noisy-bn) 에 대해 보여 줍니다:"
    ),
    "· batch μ_B and σ_B per unit beside the running mean and std, and their lag": (
        "· 유닛별 배치 μ_B, σ_B 와 이동 평균·표준편차, 그 차이"
    ),
    "· γ and β; one batch's output in train mode vs eval mode, and the difference": (
        "· γ 와 β; 한 배치의 학습 모드 대 평가 모드 출력과 그 차이"
    ),
    "· how batch statistics scatter around running ones, and the train/eval gap": (
        "· 배치 통계가 이동 평균 통계 주위로 흩어지는 정도, 학습/평가 차이"
    ),
    "It does not apply here:": "여기서는 해당 없음:",
    "Try norm bn (or press N to cycle the normalization).": (
        "norm bn 을 해 보세요 (N 으로 정규화 방법 순환)."
    ),
    "no normalization: there are no batch statistics, running statistics, gamma or "
    "beta to show, and train mode equals eval mode": (
        "정규화 없음: 보여 줄 배치 통계, 이동 평균 통계, γ, β 가 없고 학습 모드와 평가 "
        "모드가 같습니다"
    ),
    "each sample over its own features": "샘플마다 자기 특성들에 걸쳐",
    "each sample's groups": "샘플마다 그룹별로",
    "{kind} normalizes {what}: no batch statistics and no running "
    "statistics, so train mode equals eval mode and the batch size does not matter": (
        "{kind}: {what} 정규화합니다. 배치 통계도 이동 평균 통계도 없어 학습 모드와 "
        "평가 모드가 같고 배치 크기는 상관없습니다"
    ),
    "hidden layer {layer} does not exist": "은닉층 {layer} 이 없습니다",
    "no training step yet: step once (n)": "아직 학습 스텝 없음: 한 스텝 (n)",
    # ---------------------------------------------------------------- time travel
    "branch at step {at:,}: {do} · recorded: {recorded}": (
        "스텝 {at:,}에서 분기: {do} · 기록된 미래: {recorded}"
    ),
    "{steps:,} steps in {seconds:.1f} s": "{steps:,} 스텝, {seconds:.1f}초",
    "go back (or forward) to a step, the previous/next event (or a tenth of the run), "
    "step 0 or the newest; the recorded future is kept": (
        "그 스텝으로 돌아가기(또는 앞으로), 이전/다음 이벤트(없으면 전체의 1/10), 스텝 0 "
        "또는 최신 스텝으로; 기록된 미래는 보존"
    ),
    "back": "뒤로",
    "forward": "앞으로",
    "start": "처음",
    "newest": "최신",
    "Back: previous event (or a tenth of the run)": "뒤로: 이전 이벤트 (없으면 전체의 1/10)",
    "Forward: next event (or a tenth of the run)": "앞으로: 다음 이벤트 (없으면 전체의 1/10)",
    "To step 0 (the future is kept)": "스텝 0으로 (미래는 보존)",
    "To the newest step": "최신 스텝으로",
    "⏪ step {step:,} of {newest:,} · the future is kept": (
        "⏪ 스텝 {step:,} / {newest:,} · 미래는 보존됨"
    ),
    "Time travel: the session keeps checkpoints of its whole state, at most "
    "{mib} MiB (thinned like the history when full).": (
        "시간 여행: 세션은 전체 상태의 체크포인트를 최대 {mib} MiB까지 보관합니다 "
        "(가득 차면 기록처럼 솎아 냅니다)."
    ),
    "A change at a past step starts a branch beside the recorded future. "
    "Leaving the branch ([ ] { } or goto) drops the recorded future: the "
    "branch's own timeline goes on (ctrl+s saves it).": (
        "과거 스텝에서 바꾸면 기록된 미래 옆에 가지가 생깁니다. "
        "가지를 떠나면([ ] { } 또는 goto) 기록된 미래는 사라지고 "
        "가지 자신의 타임라인이 이어집니다 (ctrl+s로 저장)."
    ),
    # ---- the legend screen (key e): one line per mark of each panel
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
    # ---- compare mode, the ICS view, autosave and resuming
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
    "{target} exists (not replaced); screenshot saved: {path}": (
        "{target} 이(가) 이미 있습니다 (바꾸지 않음); 스크린샷 저장: {path}"
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
    "bntui verify: claims about BN (the registry), paired by seed": (
        "bntui verify: BN에 관한 주장 (등록부), 시드별 짝 비교"
    ),
    "claim": "주장",
    "arms: mean ± sd": "팔: 평균 ± 표준편차",
    "seeds +/=/−": "시드 승/무/패",
    "verdict": "판정",
    "init: val acc per scale, mean over seeds (both at chance: a tie)": (
        "init: 초기화 크기별 검증 정확도, 시드 평균 (둘 다 우연 수준이면 무승부)"
    ),
    "dropout: val acc, mean over seeds (2×2)": "dropout: 검증 정확도, 시드 평균 (2×2)",
    "source: {text}": "출처: {text}",
    "measure: {text}": "측정: {text}",
    "setup: {text}": "설정: {text}",
    "This run: ICS not measured yet (:ics-every 50).": (
        "이번 실행: ICS 아직 측정 안 함 (:ics-every 50)."
    ),
    "This run, steps {a}–{b}, layers 2…head:": "이번 실행, {a}–{b} 스텝, 2층…출력층:",
    "“{claim}”: this run {word}.": "“{claim}”: 이번 실행은 {word}.",
    "Compare with BN flipped (c) to measure BN's effect.": (
        "BN을 뒤집어 비교 (c) 하면 BN의 효과를 잴 수 있습니다."
    ),
    # lesson questions (bntui/tui/screens/question.py, bntui/cli/replay.py)
    "Q{n} (step {at}): {text} — answer {k}. {choice} ({shown})": (
        "Q{n} ({at} 스텝): {text} — 정답 {k}. {choice} ({shown})"
    ),
    "shown by the run": "실행 결과가 보여 줌",
    "NOT shown by the run": "실행 결과가 보여 주지 않음",
    "right": "맞음",
    "wrong": "틀림",
    "you: {k} {verdict}": "내 답: {k} {verdict}",
    "{right} of {asked} predictions right": "예측 {asked}개 중 {right}개 맞음",
    "skip": "건너뛰기",
    "predict · question {n}": "예측 · 질문 {n}",
    "{keys} answers · Esc skips": "{keys}로 답하기 · Esc 건너뛰기",
    "go on": "계속",
    "You skipped it.": "건너뛰었습니다.",
    "Your prediction was right.": "예측이 맞았습니다.",
    "You predicted: {choice}": "내 예측: {choice}",
    "The answer (true on at least 19 of 20 seeds): {choice}": (
        "답 (시드 20개 중 19개 이상에서 참): {choice}"
    ),
    "Why: {why}": "이유: {why}",
    "answer · question {n}": "정답 · 질문 {n}",
    "Enter goes on": "Enter로 계속",
    "your predictions": "내 예측",
    "Q{n}, answer: {right}. {why}": "Q{n} 정답: {right}. {why}",
    "the teacher releases the answer for everyone": "선생님이 모두에게 정답을 공개합니다",
}
