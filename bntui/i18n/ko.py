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
    "replay, done": "재생, 이벤트 끝",
    "lesson finished: ← restarts, any key takes over, q quits": (
        "수업 끝: ← 처음부터, 다른 키는 직접 조작, q 종료"
    ),
    "worker error": "작업 스레드 오류",
    "early stop": "조기 종료",
    # ---------------------------------------------------------------- panels
    "Loss · train ⣿ / val •": "손실 · 학습 ⣿ / 검증 •",
    "Loss - train . / val x": "손실 - 학습 . / 검증 x",
    "loss {x}": "손실 {x}",
    "val {x}": "검증 {x}",
    "acc {x}": "정확도 {x}",
    "L{n} · act input p15 / p50 / p85": "L{n} · 활성화 입력 p15 / p50 / p85",
    "no BN": "BN 없음",
    "no hidden layer": "은닉층 없음",
    "Drift · act input |μ|, σ": "활성화 입력 이동 |μ|, σ",
    "Drift: act input |mean|, sd": "분포 이동: 활성화 입력 |mean|, sd",
    "Drift |mean|, sd": "분포 이동 |mean|, sd",
    "depth 0: no hidden layer (press + to add one)": "depth 0: 은닉층 없음 (+ 로 추가)",
    "scales |μ| 0..{m}  σ 0..{s}": "눈금 |μ| 0..{m}  σ 0..{s}",
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
    "? / Esc / Enter closes": "? / Esc / Enter 로 닫기",
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
}
