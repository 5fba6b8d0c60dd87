/*
 * display.js: the LED wall (/display). Read-only: renders every `state`, plays the moment's
 * sound and animation, runs the countdown ring with audible ticks for the last 5 s and keeps
 * all text fitted to its box. It only ever sends `sync` (from common.js).
 */
(function () {
  "use strict";

  var Q = window.Quiz;
  var t = Q.t;
  var $ = Q.$;
  var setText = Q.setText;

  var stage = $("#stage");
  var current = null; // the model last rendered
  var lastMomentKey = null;
  var lastTick = null;

  /* ------------------------------------------------------------------ helpers */

  function pips(won, toWin) {
    var out = [];
    for (var i = 0; i < toWin; i++) out.push(i < won ? "●" : "○");
    return out.join(" ");
  }

  function matchLabel(m) {
    var parts = [];
    if (m.matchNo != null) parts.push(t("match.number", { n: m.matchNo }));
    if (m.gameNo != null && m.gameNo > 0) parts.push(t("match.game", { n: m.gameNo }));
    parts.push(t("match.best_of", { total: m.bestOf, win: m.gamesToWin }));
    return parts.join(" · ");
  }

  function violated(m, side) {
    return m.violations.some(function (v) {
      return v && v.side === side;
    });
  }

  /* The status band: its words and its colour tone. */
  function status(m) {
    if (m.paused) return { text: t("status.paused"), tone: "warn" };
    switch (m.phase) {
      case "ready":
        return { text: t("status.ready"), tone: "" };
      case "question":
        return { text: t("status.question"), tone: "" };
      case "countdown":
        return { text: t("status.countdown"), tone: "gold" };
      case "buzzing":
        return {
          text: m.rebound ? t("status.rebound_buzzing") : t("status.buzzing"),
          tone: "gold",
        };
      case "arbitrating":
        return { text: t("status.arbitrating"), tone: "gold" };
      case "tie":
        return { text: t("status.tie"), tone: "warn" };
      case "answering":
        return {
          text: t(m.rebound ? "status.rebound_answering" : "status.answering", {
            side: Q.sideName(m.answering),
          }),
          tone: m.answering || "",
        };
      case "result":
        return resultStatus(m);
      case "finished":
        if (m.winner) {
          return {
            text: t("status.match_won", {
              side: Q.sideName(m.winner),
              name: m.sides[m.winner].name,
            }),
            tone: m.winner,
          };
        }
        return { text: t("status.match_over"), tone: "" };
      default:
        return { text: "", tone: "" };
    }
  }

  function resultStatus(m) {
    if (m.voidReason || (!m.questionWinner && !m.lastAttempt)) {
      return { text: t("status.void"), tone: "warn" };
    }
    var a = m.lastAttempt;
    if (a && a.correct) {
      return { text: "✓ " + t("status.correct", { side: Q.sideName(a.side) }), tone: "ok" };
    }
    if (a) return { text: "✗ " + t("status.wrong", { side: Q.sideName(a.side) }), tone: "bad" };
    return { text: t("status.result"), tone: "" };
  }

  /* ------------------------------------------------------------------ rendering */

  function renderSides(m) {
    Q.SIDES.forEach(function (side) {
      var s = m.sides[side];
      var panel = $("#panel-" + side);
      setText($("#name-" + side), s.name || Q.sideName(side));
      setText($("#score-" + side), s.games);
      setText($("#pips-" + side), pips(Math.min(s.games, m.gamesToWin), m.gamesToWin));
      var out =
        m.phase !== "result" &&
        m.phase !== "finished" &&
        m.question != null &&
        (m.eligible.indexOf(side) < 0 || violated(m, side));
      var flag = "";
      if (m.phase === "finished" && m.winner === side) flag = t("display.winner");
      else if (violated(m, side) && m.question) flag = t("display.early");
      else if (out) flag = t("display.no_answer_right");
      else if (m.matchPoint.indexOf(side) >= 0) flag = t("display.match_point");
      else if (m.match && s.online === false) flag = t("display.offline");
      setText($("#flag-" + side), flag);
      panel.classList.toggle("is-answering", m.answering === side && m.phase === "answering");
      panel.classList.toggle("is-out", out);
      panel.classList.toggle("is-offline", s.online === false);
      panel.classList.toggle("is-match-point", m.matchPoint.indexOf(side) >= 0);
      panel.classList.toggle("is-winner", m.phase === "finished" && m.winner === side);
    });
  }

  function renderQuestion(m) {
    var centre = $("#centre");
    var prompt = $("#q-prompt");
    var q = m.question;
    var list = $("#q-options");
    var judged = m.phase === "result" || m.phase === "finished";
    if (!q) {
      prompt.classList.add("is-placeholder");
      setText(prompt, m.phase === "finished" ? t("display.thanks") : t("display.waiting_question"));
      setText($("#q-meta"), "");
      Q.fill(list, []);
      centre.classList.add("no-options");
      centre.classList.remove("has-explain");
      $("#q-explain").hidden = true;
      return;
    }
    prompt.classList.remove("is-placeholder");
    setText(prompt, q.prompt);
    var meta = [];
    if (q.category) meta.push(Q.categoryName(q.category));
    if (q.difficulty) meta.push(t("display.difficulty", { n: q.difficulty }));
    setText($("#q-meta"), meta.join(" · "));

    // The answer is shown only once judged; before that a stale one is never rendered.
    var answer = judged && q.answer ? q.answer : [];
    var chosen = judged && m.lastAttempt && m.lastAttempt.choices ? m.lastAttempt.choices : [];
    list.className = "q-options count-" + q.options.length;
    Q.fill(
      list,
      q.options.map(function (o) {
        var isAnswer = answer.indexOf(o.key) >= 0;
        var cls = "opt";
        if (isAnswer) cls += " is-answer";
        else if (chosen.indexOf(o.key) >= 0) cls += " is-chosen-wrong";
        return Q.el("li", { class: cls, "data-key": o.key }, [
          Q.el("span", { class: "opt-key", text: isAnswer ? "✓" : o.key }),
          Q.el("span", { class: "opt-text", "data-fit": "5.5", "data-fit-group": "opts", text: o.text }),
        ]);
      }),
    );
    centre.classList.toggle("no-options", q.options.length === 0);
    var explain = judged ? q.explanation : "";
    if (judged && q.options.length === 0 && q.answerText && q.answerText.length) {
      explain = t("display.answer_is", { answer: q.answerText.join(" / ") }) + " " + explain;
    }
    $("#q-explain").hidden = !explain;
    centre.classList.toggle("has-explain", !!explain);
    setText($("#q-explain-text"), explain);
  }

  function renderAttract(state) {
    var page = Q.page;
    var ev = (state && state.event) || page.event || {};
    setText($("#attract-title"), ev.title || t("app.title"));
    setText($("#attract-slogan"), ev.slogan || t("slogan.default"));
    var url = page.join_url || "";
    setText($("#attract-url"), url.replace(/^https?:\/\//, ""));
    var img = $("#join-qr");
    if (page.join_qr_url && img.getAttribute("src") !== page.join_qr_url) {
      img.setAttribute("src", page.join_qr_url);
    }
  }

  function render(state) {
    var m = Q.model(state);
    current = m;
    Q.setPhase(m.phase);
    var attract = !m.match;
    $("#attract").hidden = !attract;
    var ev = m.event || {};
    setText($("#event-title"), ev.title || t("app.title"));
    setText($("#slogan"), ev.slogan || t("slogan.default"));
    if (attract) {
      renderAttract(state);
    } else {
      setText($("#match-label"), matchLabel(m));
      renderSides(m);
      renderQuestion(m);
      var st = status(m);
      setText($("#status"), st.text);
      $("#status-band").className = "band band-bottom" + (st.tone ? " tone-" + st.tone : "");
    }
    tickTimer();
    Q.fitAll(stage);
    playMoment(m);
  }

  /* ------------------------------------------------------------------ moments */

  function momentView(moment, m) {
    var side = moment.side;
    switch (moment.type) {
      case "buzz_won":
        return { text: t("moment.buzz_won", { side: Q.sideName(side) }), tone: side, flash: side };
      case "early_buzz":
        return { text: t("moment.early", { side: Q.sideName(side) }), icon: "⚠", shake: side };
      case "answer_judged":
        return moment.correct
          ? { text: t("moment.correct"), icon: "✓", tone: "" }
          : { text: t("moment.wrong"), icon: "✗", tone: "" };
      case "game_won":
        return {
          // A game that brings a side to match point says so: match_point ranks below it.
          text:
            t("moment.game_won", { side: Q.sideName(side), n: moment.game || m.gameNo || "" }) +
            (m.matchPoint.length && m.phase !== "finished" ? " · " + t("moment.match_point") : ""),
          tone: side,
          flash: side,
        };
      case "match_point":
        return { text: t("moment.match_point"), icon: "!" };
      case "match_won":
        return {
          text: t("moment.match_won", { side: Q.sideName(side) }),
          tone: side,
          flash: side,
          icon: "★",
        };
      case "question_voided":
        return { text: t("moment.void") };
      case "buzzing_opened":
        return { open: true };
      default:
        return null;
    }
  }

  var momentTimer = null;

  function playMoment(m) {
    var moment = m.moment;
    if (!moment || !moment.type) return;
    // The same moment can arrive again with a later seq (e.g. a presence change); show once.
    var key = [m.matchId, moment.type, moment.side || "", moment.at || m.state.seq].join("|");
    if (key === lastMomentKey) return;
    lastMomentKey = key;
    var sound = Q.momentSound(moment, m);
    if (sound) Q.sound.play(sound);
    var view = momentView(moment, m);
    if (!view) return;
    if (view.open) Q.flash(stage, "flash-open");
    if (view.flash) Q.flash($("#panel-" + view.flash), "flash");
    if (view.shake) Q.flash($("#panel-" + view.shake), "shake");
    if (!view.text) return;
    var box = $("#moment");
    box.className = "moment" + (view.tone ? " tone-" + view.tone : "") + (view.icon ? "" : " no-icon");
    setText($("#moment-icon"), view.icon || "");
    setText($("#moment-text"), view.text);
    box.hidden = false;
    Q.fitAll(box);
    Q.flash(box, "is-shown");
    if (momentTimer) window.clearTimeout(momentTimer);
    momentTimer = window.setTimeout(function () {
      box.hidden = true;
    }, 1400);
  }

  /* ------------------------------------------------------------------ countdown */

  function tickTimer() {
    var m = current;
    var timer = $("#timer");
    if (!m || m.deadline == null || m.paused) {
      timer.hidden = true;
      lastTick = null;
      return;
    }
    timer.hidden = false;
    var now = Q.serverNow();
    var leftMs = Math.max(0, m.deadline - now);
    var secs = Math.ceil(leftMs / 1000);
    var total = m.deadlineTotal || Math.max(leftMs, 1000);
    var fraction = Math.max(0, Math.min(1, leftMs / total));
    $("#timer-arc").style.strokeDashoffset = String(100 - fraction * 100);
    var num = $("#timer-num");
    setText(num, secs);
    num.style.fontSize = Math.floor(timer.clientHeight * 0.46) + "px";
    var low = secs <= 5 && m.phase !== "arbitrating";
    timer.classList.toggle("is-low", low);
    if (low && secs !== lastTick && leftMs > 0) {
      lastTick = secs;
      Q.sound.play(secs <= 1 ? "tick_last" : "tick");
      Q.flash(num, "pop");
    } else if (!low) {
      lastTick = null;
    }
  }

  /* ------------------------------------------------------------------ start overlay */

  function start() {
    Q.sound.unlock();
    var root = document.documentElement;
    if (root.requestFullscreen && !document.fullscreenElement) {
      var p = root.requestFullscreen();
      if (p && p.catch) p.catch(function () {});
    }
    $("#start-overlay").hidden = true;
  }

  $("#start-overlay").addEventListener("click", start);
  document.addEventListener("keydown", function (e) {
    if (!$("#start-overlay").hidden && (e.key === "Enter" || e.key === " ")) start();
    if (e.key === "m" || e.key === "M") Q.sound.setMuted(!Q.sound.isMuted());
  });

  /* ------------------------------------------------------------------ wiring */

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    if (resizeTimer) window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      Q.fitAll(stage);
      tickTimer();
    }, 80);
  });
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () {
      Q.fitAll(stage);
    });
  }
  window.setInterval(tickTimer, 100);

  Q.on("status", function (s) {
    if (!Q.lastState()) Q.setPhase("connecting");
    // A wall that lost the server says so in a corner instead of freezing silently.
    $("#conn-badge").hidden = s.status === "online" || s.status === "connecting";
  });

  Q.setRenderer(render);
  // Before the first state the wall already shows the attract screen (title, QR).
  renderAttract(null);
  $("#attract").hidden = false;
  Q.fitAll(stage);
  Q.connect({ role: "display" });
})();
