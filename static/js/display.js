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
  var el = Q.el;

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
    if (q.multiple) {
      // 多选 as a badge after the category line (the fit routine sizes the row as a whole).
      Q.fill($("#q-meta"), [meta.join(" · ") + " ", Q.el("span", { class: "kind-badge", text: t("display.multiple") })]);
    } else {
      setText($("#q-meta"), meta.join(" · "));
    }

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

  /* Fit all text, then share the centre's height among the prompt, the options and the
   * explanation by what their text needs: fixed shares left a long question's options at the
   * smallest size, overflowing, beside a prompt three times their size. The countdown ring
   * spans the meta and prompt rows, so the prompt's row keeps room for it. */
  function fitStage() {
    var centre = $("#centre");
    centre.style.gridTemplateRows = "";
    Q.fitAll(stage);
    if (!centre.offsetParent || $("#q-prompt").classList.contains("is-placeholder")) return;
    var meta = $("#q-meta");
    var timer = $("#timer");
    var gap = parseFloat(window.getComputedStyle(centre).rowGap) || 0;
    var rows = [
      { el: meta, fixed: true },
      { el: $("#q-prompt"), min: timer.hidden ? 0 : timer.offsetHeight - meta.offsetHeight - gap },
    ];
    if (!centre.classList.contains("no-options")) rows.push({ el: $("#q-options") });
    if (centre.classList.contains("has-explain")) rows.push({ el: $("#q-explain") });
    Q.shareRows(centre, rows);
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
    var m = Q.syncOpening(Q.model(state), function () {
      render(state);
    });
    current = m;
    noteMatchEnd(m);
    var tour = tourShown(m, state && state.tournament) ? state.tournament : null;
    Q.setPhase(tour ? "tournament" : m.phase);
    var attract = !m.match && !tour;
    $("#attract").hidden = !attract;
    $("#tour").hidden = !tour;
    var ev = m.event || {};
    setText($("#event-title"), ev.title || t("app.title"));
    setText($("#slogan"), ev.slogan || t("slogan.default"));
    if (tour) renderTour(tour, ev);
    if (attract) {
      renderAttract(state);
    } else if (m.match) {
      setText($("#match-label"), matchLabel(m));
      renderSides(m);
      renderQuestion(m);
      var st = status(m);
      setText($("#status"), st.text);
      $("#status-band").className = "band band-bottom" + (st.tone ? " tone-" + st.tone : "");
    }
    tickTimer();
    fitStage();
    if (tour) fitTour();
    playMoment(m);
  }

  /* ------------------------------------------------------------------ the tournament */

  /* Between matches the wall shows the tournament (docs/protocol.md §12): the bracket of a
   * knockout, else the standings, with the next pairing highlighted. A match that has just
   * ended keeps the wall for TOUR_AFTER_MS first, so everyone sees who won it; a wall that
   * connects after the end shows the tournament at once. */
  var TOUR_AFTER_MS = 8000;
  var BRACKET_FIRST_MAX = 8; // first round shown has at most this many matches
  var STANDINGS_MAX = 10;
  var endedAt = {}; // match id -> Date.now() when its end was seen live
  var tourKey = null; // the tournament view on the wall (JSON), to rebuild only on change
  var shownTour = null;
  var dropTo = 0; // bracket rounds before this one are left off (the wall is too small)
  var shownFirst = 1; // the first round the bracket shows
  var canDrop = false; // that round is decided and a later one exists

  function noteMatchEnd(m) {
    var type = m.moment && m.moment.type;
    if ((type !== "match_won" && type !== "match_ended") || endedAt[m.matchId] != null) return;
    endedAt[m.matchId] = Date.now();
    window.setTimeout(function () {
      var last = Q.lastState();
      if (last) render(last);
    }, TOUR_AFTER_MS + 50);
  }

  function tourShown(m, tour) {
    if (!tour || !Array.isArray(tour.matches)) return false;
    if (!m.match) return true;
    if (m.phase !== "finished") return false;
    var seen = endedAt[m.matchId];
    return seen == null || Date.now() - seen >= TOUR_AFTER_MS;
  }

  function findPairing(tour, id) {
    for (var i = 0; i < tour.matches.length; i++) if (tour.matches[i].id === id) return tour.matches[i];
    return null;
  }

  function renderTour(tour, ev) {
    var knockout = tour.format === "single_elimination";
    var title = knockout ? "display.tour.knockout" : tour.format === "round_robin" ? "display.tour.round_robin" : "display.tour.manual";
    setText($("#tour-title"), t(title));
    setText($("#tour-event"), ev.title || t("app.title"));
    var key = JSON.stringify(tour);
    if (key !== tourKey) {
      tourKey = key;
      shownTour = tour;
      dropTo = 0;
      buildTour();
      renderTourFoot(tour);
    }
  }

  function buildTour() {
    var tour = shownTour;
    Q.fill($("#tour-body"), tour.format === "single_elimination" ? bracket(tour) : standings(tour));
  }

  function renderTourFoot(tour) {
    var foot = $("#tour-foot");
    var box = $("#tour-next");
    var next = tour.next ? findPairing(tour, tour.next) : null;
    foot.classList.toggle("is-champion", !!(tour.finished && tour.champion));
    if (tour.finished && tour.champion) {
      Q.fill(box, [
        el("span", { class: "tn-label", text: "★ " + t("display.tour.champion") + " " }),
        el("span", { class: "tn-name", text: tour.champion.name }),
      ]);
    } else if (next && next.red && next.blue) {
      Q.fill(box, [
        el("span", { class: "tn-label", text: t("display.tour.next", { label: Q.pairingLabel(tour, next) }) + " " }),
        el("span", { class: "tn-red", text: next.red.name }),
        el("span", { class: "tn-vs", text: " " + t("display.tour.vs") + " " }),
        el("span", { class: "tn-blue", text: next.blue.name }),
      ]);
    } else {
      Q.fill(box, [el("span", { text: t("display.tour.waiting") })]);
    }
  }

  /* Columns of the knockout, then the third-place match in a column of its own. A big draw
   * starts at a later round; so does a small wall whose names would not fit, once the
   * rounds left off are decided (their winners are in the next column). Columns still
   * without names are narrower. */
  function bracket(tour) {
    var byRound = {};
    var third = null;
    tour.matches.forEach(function (mt) {
      if (mt.id === "3P") third = mt;
      else (byRound[mt.round] = byRound[mt.round] || []).push(mt);
    });
    var first = Math.max(1, dropTo);
    while (byRound[first + 1] && byRound[first].length > BRACKET_FIRST_MAX) first++;
    shownFirst = first;
    canDrop = !!byRound[first + 1] && byRound[first].every(function (mt) {
      return mt.status === "done" || mt.status === "bye";
    });
    var slots = byRound[first].length;
    // A box is at most a quarter of the column: a small draw does not get giant boxes.
    var height = Math.min(90 / slots, 24) + "%";
    var cols = [];
    for (var r = first; r <= tour.rounds; r++) {
      cols.push(column(Q.pairingLabel(tour, { id: "", round: r }), byRound[r] || [], tour, height, false));
    }
    if (third) cols.push(column(t("display.tour.third"), [third], tour, height, true));
    var grid = el("div", { class: "tb" }, cols);
    grid.style.gridTemplateColumns = cols
      .map(function (col) {
        return "minmax(0, " + (col.querySelector(".tb-side:not(.is-empty)") ? 1 : 0.55) + "fr)";
      })
      .join(" ");
    return grid;
  }

  function column(label, matches, tour, height, isThird) {
    return el("div", { class: "tb-col" + (isThird ? " is-third" : "") }, [
      el("div", { class: "tb-round", "data-fit": "2.8", text: label }),
      el(
        "div",
        { class: "tb-slots" },
        matches.map(function (mt) {
          var cls = "tb-match is-" + mt.status;
          if (mt.id === tour.next) cls += " is-next";
          if (mt.id === tour.live) cls += " is-live";
          return el("div", { class: cls, "data-pairing": mt.id, style: "height:" + height }, [
            bracketSide(mt, "red"),
            bracketSide(mt, "blue"),
          ]);
        }),
      ),
    ]);
  }

  function bracketSide(mt, side) {
    var who = mt[side];
    var result = mt.result;
    var cls = "tb-side tb-" + side;
    var name = who ? who.name : t(mt.status === "bye" ? "display.tour.bye" : "display.tour.tbd");
    if (!who) cls += " is-empty";
    if (result) cls += result.winner === side ? " is-winner" : " is-loser";
    return el("div", { class: cls }, [
      el("div", { class: "tb-seed", text: who ? who.seeding : "" }),
      el("div", { class: "tb-name", text: name }),
      el("div", { class: "tb-score", text: result ? result.games[side === "red" ? 0 : 1] : "" }),
    ]);
  }

  var STANDING_COLUMNS = [
    ["rank", "is-rank"],
    ["name", "is-name"],
    ["played", ""],
    ["wins", ""],
    ["losses", ""],
    ["games_won", ""],
    ["games_lost", ""],
    ["violations", ""],
    ["decided_by", "is-by"],
  ];

  function standings(tour) {
    var rows = (tour.standings || []).slice(0, STANDINGS_MAX);
    var next = tour.next ? findPairing(tour, tour.next) : null;
    var playing = next ? [next.red && next.red.id, next.blue && next.blue.id] : [];
    var champion = tour.finished && tour.champion ? tour.champion.id : null;
    var head = el(
      "div",
      { class: "ts-row is-head" },
      STANDING_COLUMNS.map(function (c) {
        return el("div", { class: "ts-cell " + c[1], text: t("display.tour.col." + c[0]) });
      }),
    );
    var body = rows.map(function (row) {
      var cls = "ts-row";
      if (playing.indexOf(row.entrant) >= 0) cls += " is-next";
      if (row.entrant === champion) cls += " is-champion";
      return el(
        "div",
        { class: cls, "data-entrant": row.entrant },
        STANDING_COLUMNS.map(function (c) {
          var value = row[c[0]];
          // Wins order the table; the column names only what broke a tie.
          if (c[0] === "decided_by") value = value && value !== "wins" ? t("display.tour.by." + value) : "";
          return el("div", { class: "ts-cell " + c[1], text: value });
        }),
      );
    });
    var table = el("div", { class: "ts" }, [head].concat(body));
    table.style.gridTemplateRows = "repeat(" + (body.length + 1) + ", minmax(0, 1fr))";
    return table;
  }

  /* Text sizes from the boxes the layout gave: a name takes most of its row's height and
   * shrinks (or wraps, when one line would be much smaller) until it fits. If a bracket name
   * cannot fit, decided rounds are left off and the rest is laid out again. `fresh` (after a
   * resize) starts again from the whole bracket. */
  function fitTour(fresh) {
    if (fresh && dropTo) {
      dropTo = 0;
      buildTour();
      Q.fitAll($("#tour"));
    }
    for (var attempt = 0; attempt < 8; attempt++) {
      if (fitTourText() || !canDrop || shownTour.format !== "single_elimination") return;
      dropTo = shownFirst + 1;
      buildTour();
      Q.fitAll($("#tour"));
    }
  }

  function fitTourText() {
    var fitted = true;
    Q.$all(".tb-match", stage).forEach(function (box) {
      var row = box.clientHeight / 2;
      box.style.fontSize = Math.max(6, Math.min(row * 0.58, box.clientWidth * 0.1)) + "px";
      Q.$all(".tb-name", box).forEach(function (node) {
        fitted = fitName(node) && fitted;
      });
    });
    Q.$all(".ts-row", stage).forEach(function (row) {
      row.style.fontSize = Math.max(6, row.clientHeight * 0.5) + "px";
      Q.$all(".ts-cell", row).forEach(function (node) {
        fitted = fitName(node) && fitted;
      });
    });
    return fitted;
  }

  /* Returns whether the text fits its box at the size it ends with. */
  function fitName(node) {
    node.style.fontSize = "";
    node.style.whiteSpace = "nowrap";
    var max = parseFloat(window.getComputedStyle(node).fontSize);
    var size = Q.fitText(node, max, 6);
    var line = fits(node);
    var wraps = node.classList.contains("tb-name") || node.classList.contains("is-name");
    if (wraps && (size < 0.7 * max || !line)) {
      node.style.whiteSpace = "normal";
      var wrapped = Q.fitText(node, max, 6);
      // Wrapped text stays if it is what fits, or if it is clearly bigger.
      if (!(fits(node) && (!line || wrapped > size * 1.1))) {
        node.style.whiteSpace = "nowrap";
        Q.fitText(node, max, 6);
      }
    }
    return fits(node);
  }

  function fits(node) {
    return node.scrollWidth <= node.clientWidth && node.scrollHeight <= node.clientHeight;
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
        if (moment.correct) return { text: t("moment.correct"), icon: "✓", tone: "" };
        // A wrong answer that hands the question over (补答): a short band low on the wall,
        // so the other side can read the question at once.
        return { text: t("moment.wrong"), icon: "✗", tone: "", compact: m.phase !== "result" && m.phase !== "finished" };
      case "game_won":
        return {
          // A game that brings a side to match point says so: match_point ranks below it.
          text:
            t("moment.game_won", { side: Q.sideName(side), n: moment.game || m.gameNo || "" }) +
            (m.matchPoint.length && m.phase !== "finished" ? "\u00a0· " + t("moment.match_point") : ""),
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
  var MOMENT_MS = 1400;
  var MOMENT_COMPACT_MS = 800; // over the question being handed over: read it at once

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
    box.className =
      "moment" + (view.tone ? " tone-" + view.tone : "") + (view.icon ? "" : " no-icon") + (view.compact ? " is-compact" : "");
    setText($("#moment-icon"), view.icon || "");
    setText($("#moment-text"), view.text);
    box.hidden = false;
    Q.fitAll(box);
    Q.flash(box, "is-shown");
    if (momentTimer) window.clearTimeout(momentTimer);
    momentTimer = window.setTimeout(
      function () {
        box.hidden = true;
      },
      view.compact ? MOMENT_COMPACT_MS : MOMENT_MS,
    );
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
      fitStage();
      if (!$("#tour").hidden) fitTour(true);
      tickTimer();
    }, 80);
  });
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () {
      fitStage();
    });
  }
  window.setInterval(tickTimer, 100);

  /* ------------------------------------------------------------------ audience layer */

  /* Audience play-along and prize draws over the arena (docs/protocol.md §14): an
   * audience-only question, the audience's result (share correct, a bar chart per option,
   * the fastest correct nicknames), the leaderboard, and the prize draw with its animation.
   * The server says what to show (`audience_screen`); the question and result come in
   * `audience_round`, the live count in `audience`. */
  var aud = { screen: null, round: null, count: null, notBefore: 0, draw: null, undrawn: {}, roll: null, survey: null };
  var AUD_FASTEST = 5;
  var AUD_WINNERS_MAX = 24;
  var AUD_ROLL_MS = 2600;
  var AUD_ROLL_STEP_MS = 70;
  var audTimer = null;

  /* A match question's audience result once the wall has moved on to another question:
   * never shown over it (the server also returns the screen to the match then). */
  function staleResult(r) {
    var q = current && current.question;
    return r.match_id != null && !!q && current.matchId === r.match_id && q.id !== r.question.id;
  }

  function audView() {
    var sc = aud.screen;
    var r = aud.round;
    if (!sc || sc.screen === "match") return null;
    if (Date.now() < aud.notBefore) return null;
    if (sc.screen === "question") {
      if (r && r.match_id == null && r.status === "closed" && r.result) return "result";
      return "question";
    }
    if (sc.screen === "result") return r && r.result && !staleResult(r) ? "result" : null;
    if (sc.screen === "leaderboard") return "leaderboard";
    if (sc.screen === "draw") return sc.draw ? "draw" : null;
    if (sc.screen === "survey") return aud.survey && aud.survey.survey ? "survey" : null;
    return null;
  }

  function audStageName(stage) {
    if (!stage) return "";
    return t(stage.kind === "match" ? "display.aud.stage_match" : "display.aud.stage_quiz", { n: stage.number });
  }

  function audQuestion() {
    var r = aud.round && aud.round.match_id == null && aud.round.status === "open" ? aud.round : null;
    var quiz = aud.screen && aud.screen.quiz;
    var n = (quiz ? quiz.asked : 0) + (r ? 1 : 0);
    setText($("#aud-title"), r ? t("display.aud.question_title", { n: n }) : t("display.aud.quiz"));
    var q = r ? r.question : null;
    setText($("#aud-sub"), q ? [Q.categoryName(q.category), t("display.difficulty", { n: q.difficulty })].join(" · ") : "");
    var prompt = $("#aud-prompt");
    prompt.classList.toggle("is-placeholder", !q);
    setText(prompt, q ? Q.pick(q.prompt) : t("display.waiting_question"));
    var list = $("#aud-options");
    list.className = "aud-options count-" + (q ? q.options.length : 0);
    Q.fill(
      list,
      (q ? q.options : []).map(function (o) {
        return el("li", { class: "aud-opt" }, [
          el("span", { class: "aud-opt-key", text: o.key }),
          el("span", { class: "aud-opt-text", "data-fit": "7", "data-fit-group": "aud-opts", text: Q.pick(o) }),
        ]);
      }),
    );
    audQuestionFoot();
  }

  function audQuestionFoot() {
    var r = aud.round;
    var parts = [];
    if (r && r.status === "open" && r.deadline != null) {
      var left = Q.secondsLeft(r.deadline);
      parts.push(left > 0 ? t("display.aud.seconds_left", { n: left }) : t("display.aud.time_up"));
    }
    var c = aud.count;
    if (r && c && c.round === r.round) parts.push(t("display.aud.count", { n: c.count }));
    if (!parts.length) parts.push(audJoinHint());
    setText($("#aud-status"), parts.join(" · "));
  }

  function audJoinHint() {
    var url = (Q.page.join_url || "").replace(/^https?:\/\//, "");
    return t("display.aud.join", { url: url });
  }

  function audResult() {
    var r = aud.round;
    var res = r.result;
    setText($("#aud-title"), t("display.aud.result_title"));
    setText($("#aud-sub"), Q.pick(r.question.prompt));
    setText($("#aud-share-num"), Math.round(res.share_correct * 100) + "%");
    setText($("#aud-share-count"), t("display.aud.correct_of", { correct: res.correct, answered: res.answered }));
    var most = 1;
    r.question.options.forEach(function (o) {
      most = Math.max(most, res.distribution[o.key] || 0);
    });
    Q.fill(
      $("#aud-bars"),
      r.question.options.map(function (o) {
        var n = res.distribution[o.key] || 0;
        var right = res.key.indexOf(o.key) >= 0;
        var share = res.answered ? Math.round((100 * n) / res.answered) : 0;
        var fill = el("div", { class: "aud-bar-fill" });
        fill.style.width = Math.round((100 * n) / most) + "%";
        return el("li", { class: "aud-bar" + (right ? " is-right" : ""), "data-key": o.key }, [
          el("span", { class: "aud-bar-key", "data-fit": "5", "data-fit-group": "aud-bar-keys", text: right ? "✓" + o.key : o.key }),
          el("div", { class: "aud-bar-track" }, [
            fill,
            el("span", { class: "aud-bar-text", "data-fit": "4.2", "data-fit-group": "aud-bar-texts", text: Q.pick(o) }),
          ]),
          el("span", { class: "aud-bar-num", "data-fit": "4.2", "data-fit-group": "aud-bar-nums", text: n + " · " + share + "%" }),
        ]);
      }),
    );
    var fastest = res.fastest.slice(0, AUD_FASTEST);
    Q.fill(
      $("#aud-fastest"),
      fastest.length
        ? fastest.map(function (f, i) {
            var secs = (f.t_ms / 1000).toFixed(1);
            return el("li", { class: "aud-fast", "data-fit": "3.6", "data-fit-group": "aud-fast", text: i + 1 + ". " + Q.pick(f.name) + " " + t("display.aud.seconds", { n: secs }) });
          })
        : [el("li", { class: "aud-fast", "data-fit": "3.6", "data-fit-group": "aud-fast", text: t("display.aud.nobody_fast") })],
    );
    var keys = r.question.options
      .filter(function (o) {
        return res.key.indexOf(o.key) >= 0;
      })
      .map(function (o) {
        return o.key + " " + Q.pick(o);
      });
    setText($("#aud-status"), t("display.aud.key", { key: keys.join("；") }));
  }

  function audBoard() {
    var board = aud.screen.leaderboard || { rows: [], phones: 0 };
    setText($("#aud-title"), t("display.aud.board_title"));
    setText($("#aud-sub"), t("display.aud.players", { n: board.phones }));
    var rows = board.rows || [];
    var list = $("#aud-rows");
    list.classList.toggle("is-empty", !rows.length);
    Q.fill(
      list,
      rows.length
        ? rows.map(function (row) {
            return el("li", { class: "aud-row" + (row.rank <= 3 ? " is-top" : "") }, [
              el("span", { class: "aud-rank", "data-fit": "5", "data-fit-group": "aud-ranks", text: row.rank }),
              el("span", { class: "aud-name", "data-fit": "5", "data-fit-group": "aud-names", text: Q.pick(row.name) }),
              el("span", { class: "aud-points", "data-fit": "5", "data-fit-group": "aud-points", text: t("display.aud.points", { n: row.points }) }),
            ]);
          })
        : [el("li", { class: "aud-empty", "data-fit": "6", text: t("display.aud.empty_board") })],
    );
    setText($("#aud-status"), audJoinHint());
  }

  function audDraw() {
    var d = aud.screen.draw;
    setText($("#aud-title"), t("display.aud.draw_title"));
    // Once drawn: how many did win (fewer than the prizes when fewer phones were eligible).
    setText($("#aud-sub"), t("display.aud.prize_count", { n: d.winners ? d.winners.length : d.count }));
    setText($("#aud-prize"), d.prize);
    var rule = d.eligibility.stage
      ? t("display.aud.rule_stage", { stage: audStageName(d.eligibility.stage), n: d.eligibility.min_correct })
      : t("display.aud.rule_event", { n: d.eligibility.min_correct });
    setText($("#aud-draw-meta"), t("display.aud.eligible", { n: d.eligible_count }) + " · " + rule);
    var commitment = (d.commitment.match(/.{1,8}/g) || []).join(" ");
    setText($("#aud-commit"), t("display.aud.commitment") + " " + commitment);
    if (!d.drawn) {
      aud.undrawn[d.id] = true;
      audStopRoll();
      audShow("wait");
      setText($("#aud-wait"), t("display.aud.waiting_draw"));
      setText($("#aud-status"), d.public_input ? t("display.aud.public_input", { value: d.public_input }) : t("display.aud.waiting_draw"));
      return;
    }
    if (aud.undrawn[d.id] && !aud.roll) {
      // Seen before it was drawn: the wall rolls names for a moment, then the winners.
      delete aud.undrawn[d.id];
      audRoll(d);
      return;
    }
    if (aud.roll) return;
    audWinners(d);
  }

  function audShow(which) {
    $("#aud-wait").hidden = which !== "wait";
    $("#aud-roll").hidden = which !== "roll";
    $("#aud-winners").hidden = which !== "winners";
  }

  function audRoll(d) {
    var names = (d.sample && d.sample.length ? d.sample : d.winners) || [];
    var node = $("#aud-roll");
    var started = Date.now();
    audShow("roll");
    setText($("#aud-status"), t("display.aud.drawing"));
    Q.sound.play("open");
    aud.roll = window.setInterval(function () {
      if (Date.now() - started >= AUD_ROLL_MS) {
        audStopRoll();
        Q.sound.play("match_won");
        renderAud();
        return;
      }
      setText(node, names.length ? names[Math.floor(Math.random() * names.length)] : "…");
      Q.fitText(node, 12 * Math.min(window.innerWidth, window.innerHeight) / 100, 6);
    }, AUD_ROLL_STEP_MS);
  }

  function audStopRoll() {
    if (aud.roll) window.clearInterval(aud.roll);
    aud.roll = null;
  }

  function audWinners(d) {
    var winners = d.winners || [];
    var list = $("#aud-winners");
    var key = d.id + "|" + winners.join("|") + "|" + window.innerWidth + "x" + window.innerHeight;
    audShow("winners");
    setText($("#aud-status"), t("display.aud.winners"));
    // Rebuilt only when something changed: a rebuild replays the cards' entrance.
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    var shown = winners.slice(0, winners.length > AUD_WINNERS_MAX ? AUD_WINNERS_MAX - 1 : AUD_WINNERS_MAX);
    var cells = shown.map(function (name) {
      return el("li", { class: "aud-winner", "data-fit": "6", "data-fit-group": "aud-winners", text: name });
    });
    if (winners.length > shown.length) {
      cells.push(el("li", { class: "aud-winner is-more", "data-fit": "6", "data-fit-group": "aud-winners", text: t("display.aud.more_winners", { n: winners.length - shown.length }) }));
    }
    var n = Math.max(1, cells.length);
    var wide = window.innerWidth / Math.max(1, window.innerHeight) > 2.4;
    var cols = n <= 2 ? n : n <= 4 ? 2 : n <= 9 ? 3 : n <= 16 ? 4 : 6;
    if (wide) cols = Math.min(n, cols * 2);
    list.style.gridTemplateColumns = "repeat(" + cols + ", minmax(0, 1fr))";
    list.style.gridTemplateRows = "repeat(" + Math.ceil(n / cols) + ", minmax(0, 1fr))";
    var fresh = !list.dataset.drawn || list.dataset.drawn !== d.id;
    list.dataset.drawn = d.id;
    list.classList.toggle("is-fresh", fresh);
    Q.fill(list, cells);
  }

  /* The satisfaction survey (满意率): the mean rating and one bar per rating 5..1 (`survey`);
   * the free text never reaches the wall. */
  function audSurvey() {
    var s = aud.survey;
    var res = s.result || { answered: 0, mean: null, distribution: {} };
    setText($("#aud-title"), Q.pick(s.survey.title));
    setText($("#aud-sub"), Q.pick(s.survey.rating));
    setText($("#aud-survey-mean"), res.mean == null ? "–" : res.mean.toFixed(1));
    setText($("#aud-survey-count"), t("display.survey.answered", { n: res.answered }));
    var most = 1;
    [1, 2, 3, 4, 5].forEach(function (r) {
      most = Math.max(most, res.distribution[r] || 0);
    });
    Q.fill(
      $("#aud-survey-bars"),
      [5, 4, 3, 2, 1].map(function (r) {
        var n = res.distribution[r] || 0;
        var share = res.answered ? Math.round((100 * n) / res.answered) : 0;
        var fill = el("div", { class: "aud-bar-fill" });
        fill.style.width = Math.round((100 * n) / most) + "%";
        return el("li", { class: "aud-bar", "data-rating": r }, [
          el("span", { class: "aud-bar-key", "data-fit": "5", "data-fit-group": "aud-bar-keys", text: r + "★" }),
          el("div", { class: "aud-bar-track" }, [fill]),
          el("span", { class: "aud-bar-num", "data-fit": "4.2", "data-fit-group": "aud-bar-nums", text: n + " · " + share + "%" }),
        ]);
      }),
    );
    setText($("#aud-status"), s.open ? t("display.survey.open") + " · " + audJoinHint() : t("display.survey.closed"));
  }

  function renderAud() {
    var forced = plAudView();
    var view = forced || (plShowing() ? null : audView());
    var layer = $("#aud");
    layer.hidden = !view;
    document.body.dataset.audience = view || "";
    $("#aud-question").hidden = view !== "question";
    $("#aud-result").hidden = view !== "result";
    $("#aud-board").hidden = view !== "leaderboard";
    $("#aud-draw").hidden = view !== "draw";
    $("#aud-survey").hidden = view !== "survey";
    if (view !== "draw") audStopRoll();
    if (!view) return;
    if (view === "question") audQuestion();
    else if (view === "result") audResult();
    else if (view === "leaderboard") audBoard();
    else if (view === "survey") audSurvey();
    else audDraw();
    Q.fitAll(layer);
  }

  Q.on("audience_screen", function (sc) {
    if (!sc || typeof sc.screen !== "string") return;
    var was = aud.screen;
    aud.screen = sc;
    // A match's own verdict stays on the wall for a moment before the audience's result.
    if (sc.show_after_ms > 0 && (!was || was.screen !== sc.screen)) {
      aud.notBefore = Date.now() + sc.show_after_ms;
      if (audTimer) window.clearTimeout(audTimer);
      audTimer = window.setTimeout(renderAud, sc.show_after_ms + 20);
    } else if (!sc.show_after_ms) {
      aud.notBefore = 0;
    }
    renderAud();
  });

  Q.on("audience_round", function (r) {
    if (!r || typeof r.round !== "string") return;
    aud.round = r;
    renderAud();
  });

  Q.on("survey", function (s) {
    if (!s || typeof s !== "object") return;
    aud.survey = s;
    if (document.body.dataset.audience === "survey" || (aud.screen && aud.screen.screen === "survey")) renderAud();
  });

  /* ------------------------------------------------------------------ the playlist */

  /* Between matches the organiser's slides loop on the wall (docs/playlist.md): text, an image
   * from the organiser's folder, a QR code made by the server, or the audience layer's
   * leaderboard or draw. Shown only while the wall would show its attract screen; a slide of
   * a draw that does not exist is skipped. Each wall loops on its own clock. */
  var pl = { msg: null, index: -1, timer: null };

  function plShowing() {
    return !!(pl.msg && pl.msg.running && pl.msg.slides.length && !$("#attract").hidden);
  }

  function plSlide() {
    return plShowing() && pl.index >= 0 ? pl.msg.slides[pl.index] : null;
  }

  function plAudView() {
    var s = plSlide();
    if (!s) return null;
    if (s.kind === "leaderboard") return aud.screen ? "leaderboard" : null;
    if (s.kind === "draw") return aud.screen && aud.screen.draw ? "draw" : null;
    return null;
  }

  function plUsable(s) {
    if (s.kind === "leaderboard") return !!aud.screen;
    if (s.kind === "draw") return !!(aud.screen && aud.screen.draw);
    return true;
  }

  function plNext() {
    if (pl.timer) window.clearTimeout(pl.timer);
    pl.timer = null;
    if (!plShowing()) {
      pl.index = -1;
      plRender();
      return;
    }
    var slides = pl.msg.slides;
    for (var step = 1; step <= slides.length; step++) {
      var i = (pl.index + step) % slides.length;
      if (plUsable(slides[i])) {
        pl.index = i;
        break;
      }
    }
    plRender();
    pl.timer = window.setTimeout(plNext, slides[pl.index].ms);
  }

  function plRender() {
    var s = plSlide();
    var layer = $("#playlist");
    var own = !!s && s.kind !== "leaderboard" && s.kind !== "draw";
    layer.hidden = !own;
    document.body.dataset.playlist = s ? s.kind : "";
    renderAud();
    if (!own) return;
    layer.className = "pl is-" + s.kind;
    var title = s.title ? Q.pick(s.title) : "";
    $("#pl-title").hidden = !title;
    setText($("#pl-title"), title);
    var text = s.kind === "text" ? Q.pick(s.text) : "";
    $("#pl-text").hidden = s.kind !== "text";
    setText($("#pl-text"), text);
    var caption = s.kind !== "text" && s.text ? Q.pick(s.text) : "";
    $("#pl-caption").hidden = !caption;
    setText($("#pl-caption"), caption);
    var img = $("#pl-img");
    img.hidden = !s.src;
    if (s.src && img.getAttribute("src") !== s.src) img.setAttribute("src", s.src);
    Q.fitAll(layer);
  }

  Q.on("playlist", function (p) {
    if (!p || typeof p !== "object" || !Array.isArray(p.slides)) return;
    var restart = !pl.msg || pl.msg.started_at !== p.started_at;
    pl.msg = p;
    if (restart) pl.index = -1;
    plNext();
  });

  // Test hook (like __quizRender): show slide i now; the loop goes on from there.
  window.__quizPlaylistShow = function (i) {
    if (!pl.msg || !pl.msg.slides.length) return null;
    pl.index = (i - 1 + pl.msg.slides.length) % pl.msg.slides.length;
    plNext();
    return document.body.dataset.playlist || null;
  };

  // The attract screen comes and goes with the matches: the playlist follows it.
  window.setInterval(function () {
    var showing = plShowing();
    if (showing && pl.index < 0) plNext();
    else if (!showing && pl.index >= 0) plNext();
  }, 500);

  Q.on("audience", function (c) {
    if (!c || typeof c !== "object") return;
    aud.count = c;
    if (document.body.dataset.audience === "question") audQuestionFoot();
  });

  window.setInterval(function () {
    if (document.body.dataset.audience === "question") audQuestionFoot();
  }, 250);

  window.addEventListener("resize", function () {
    // After the page's own refit (80 ms): the winners' grid depends on the wall's shape.
    if (!$("#aud").hidden) window.setTimeout(renderAud, 90);
    if (!$("#playlist").hidden) window.setTimeout(plRender, 90);
  });

  Q.on("status", function (s) {
    if (!Q.lastState()) Q.setPhase("connecting");
    // A wall that lost the server says so in a corner instead of freezing silently.
    $("#conn-badge").hidden = s.status === "online" || s.status === "connecting";
  });

  Q.setRenderer(render);
  // Before the first state the wall already shows the attract screen (title, QR).
  renderAttract(null);
  $("#attract").hidden = false;
  fitStage();
  Q.connect({ role: "display" });
})();
