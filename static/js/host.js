/*
 * host.js: the host console (/host). Keeps the host token (from ?token= once, then
 * sessionStorage), renders the live match from `state` and the event admin from `console`,
 * and turns buttons and keyboard shortcuts into `command`s. Destructive actions ask once in
 * an in-page dialog; every ack error is shown in the alert line.
 */
(function () {
  "use strict";

  var Q = window.Quiz;
  var t = Q.t;
  var $ = Q.$;
  var el = Q.el;
  var setText = Q.setText;

  var TOKEN_KEY = "quiz.host_token";
  var current = null; // model of the last state
  var consoleData = null; // last `console` message
  var consoleRev = -1;
  var pending = {}; // action id -> true while its command awaits the ack

  /* ------------------------------------------------------------------ the token */

  /* ?token= is read once, kept in sessionStorage and removed from the address bar so it
   * does not linger in history, screenshots or a projected browser window. */
  (function takeToken() {
    var params = new URLSearchParams(window.location.search);
    var token = params.get("token");
    if (!token) return;
    if (Q.session) Q.session.setItem(TOKEN_KEY, token);
    params.delete("token");
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  })();

  function token() {
    return (Q.session && Q.session.getItem(TOKEN_KEY)) || "";
  }

  // A console reloaded without ?token= still gets the report cookie (the token in a header).
  if (token()) fetch("/host/report", { headers: { "X-Host-Token": token() }, credentials: "same-origin" });

  $("#token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var value = $("#token-input").value.trim();
    if (!value) return;
    if (Q.session) Q.session.setItem(TOKEN_KEY, value);
    $("#token-input").value = "";
    $("#token-form").hidden = true;
    Q.reconnect();
  });

  /* ------------------------------------------------------------------ alerts */

  var alertTimer = null;
  var alertKind = null; // "conn" while the alert is about the connection: cleared once online
  function showError(message, kind) {
    var box = $("#h-error");
    setText(box, message);
    box.hidden = !message;
    alertKind = message ? kind || "command" : null;
    if (alertTimer) window.clearTimeout(alertTimer);
    if (message && alertKind !== "conn") {
      alertTimer = window.setTimeout(function () {
        box.hidden = true;
      }, 10000);
    }
  }

  /* The server cannot write its database (docs/protocol.md §13): a lasting alert. */
  function renderStorage(storage) {
    var box = $("#h-storage");
    var failing = storage && storage.ok === false;
    box.hidden = !failing;
    if (failing) {
      var reason = String(storage.reason || "io_error");
      setText(box, t("host.storage.alert", { reason: t("host.storage." + reason) }));
    }
  }


  /* A short confirmation of what a command did (e.g. what an undo took back). */
  var noticeTimer = null;
  function showNotice(message) {
    var box = $("#h-notice");
    setText(box, message);
    box.hidden = !message;
    if (noticeTimer) window.clearTimeout(noticeTimer);
    if (message) {
      noticeTimer = window.setTimeout(function () {
        box.hidden = true;
      }, 8000);
    }
  }

  /* What an undo took back, in words: the ack's `undone` command type, with the verdict of a
   * judge read from the state the undo was sent from. */
  function undoneText(undone, before) {
    var what;
    if (undone === "judge") {
      var a = before && before.lastAttempt;
      what = t(a && a.correct === false ? "host.undone.judge_wrong" : "host.undone.judge_correct");
    } else if (undone && Q.hasText("host.cmd." + undone)) {
      what = t("host.cmd." + undone);
    } else {
      what = t("host.undone.other");
    }
    return t("host.undone", { what: what });
  }

  /* Send a command; `withSeq` for engine commands on the live match. */
  function send(type, args, withSeq, actionId) {
    if (actionId) {
      if (pending[actionId]) return Promise.resolve({ ok: false, busy: true });
      pending[actionId] = true;
      renderControls();
    }
    return Q.command(type, args, withSeq).then(function (ack) {
      if (actionId) {
        delete pending[actionId];
        renderControls();
      }
      if (ack.ok) showError("");
      else showError(t("host.command_failed", { command: t("host.cmd." + type), message: ack.error.message }));
      return ack;
    });
  }

  /* ------------------------------------------------------------------ dialog */

  /* ask(text, [{label, kbd, value, danger}]) -> Promise of the chosen value (null = cancel).
   * In-page (not window.confirm) so it is styled, keyboard-driven and testable. */
  var dialogResolve = null;
  var dialogChoices = [];

  function ask(text, choices) {
    closeDialog(null);
    dialogChoices = choices.concat([{ label: t("host.cancel"), kbd: "Esc", value: null, id: "no" }]);
    setText($("#dialog-text"), text);
    Q.fill(
      $("#dialog-buttons"),
      dialogChoices.map(function (c) {
        return el(
          "button",
          {
            type: "button",
            class: "h-btn" + (c.danger ? " is-danger" : ""),
            "data-testid": "confirm-" + (c.id || "yes"),
            onclick: function () {
              closeDialog(c.value);
            },
          },
          [el("kbd", { text: c.kbd }), " ", c.label],
        );
      }),
    );
    $("#dialog").hidden = false;
    var first = $("#dialog-buttons button");
    if (first) first.focus();
    return new Promise(function (resolve) {
      dialogResolve = resolve;
    });
  }

  function closeDialog(value) {
    $("#dialog").hidden = true;
    var resolve = dialogResolve;
    dialogResolve = null;
    if (resolve) resolve(value);
  }

  function dialogKey(e) {
    if (e.key === "Escape") {
      closeDialog(null);
      return;
    }
    for (var i = 0; i < dialogChoices.length; i++) {
      var c = dialogChoices[i];
      if (c.value == null) continue;
      if (c.kbd === "Enter" ? e.key === "Enter" : e.key.toLowerCase() === String(c.kbd).toLowerCase()) {
        e.preventDefault();
        closeDialog(c.value);
        return;
      }
    }
  }

  /* ------------------------------------------------------------------ actions */

  function sideChoices(noneLabel) {
    return [
      { label: t("side.red"), kbd: "1", value: "red", id: "red" },
      { label: t("side.blue"), kbd: "2", value: "blue", id: "blue" },
      { label: noneLabel, kbd: "0", value: "none", id: "none", danger: true },
    ];
  }

  /* The run panel: one row per control, its shortcut and what it does. `key` is matched
   * against KeyboardEvent.key (lower-cased). */
  var ACTIONS = [
    { id: "next", key: "arrowright", kbd: "→", label: "host.act.next", phases: ["ready", "result"], run: function () {
        return send("show_question", {}, true, "next");
      } },
    { id: "open", key: " ", kbd: "Space", label: "host.act.open", phases: ["question"], run: function () {
        // Buzzing with a side's phone away would hand the question to the other side: ask.
        var away = Q.SIDES.filter(function (side) {
          return !sideOnline(side);
        });
        if (!away.length) return send("open_buzzing", {}, true, "open");
        var sides = away.map(Q.sideName).join("、");
        return ask(t("host.confirm.open_offline", { sides: sides }), [
          { label: t("host.act.open_anyway"), kbd: "Enter", value: "yes", danger: true },
        ]).then(function (v) {
          if (v) return send("open_buzzing", {}, true, "open");
        });
      } },
    { id: "begin", key: "b", kbd: "B", label: "host.act.begin", phases: [], run: function () {
        return send("begin_answer", {}, true, "begin");
      } },
    { id: "correct", key: "y", kbd: "Y", label: "host.act.correct", phases: ["answering"], cls: "is-ok", run: function () {
        return send("judge", { correct: true }, true, "correct");
      } },
    { id: "wrong", key: "n", kbd: "N", label: "host.act.wrong", phases: ["answering"], cls: "is-bad", run: function () {
        return send("judge", { correct: false }, true, "wrong");
      } },
    { id: "tie-red", key: "1", kbd: "1", label: "host.act.tie_red", phases: ["tie"], only: ["tie"], run: function () {
        return send("resolve_tie", { side: "red" }, true, "tie-red");
      } },
    { id: "tie-blue", key: "2", kbd: "2", label: "host.act.tie_blue", phases: ["tie"], only: ["tie"], run: function () {
        return send("resolve_tie", { side: "blue" }, true, "tie-blue");
      } },
    { id: "pause", key: "p", kbd: "P", label: "host.act.pause", phases: [], run: function () {
        var paused = current && current.paused;
        return send(paused ? "resume" : "pause", {}, true, "pause");
      } },
    { id: "undo", key: "u", kbd: "U", label: "host.act.undo", phases: [], run: function () {
        var before = current;
        return send("undo", {}, true, "undo").then(function (ack) {
          if (ack.ok) showNotice(undoneText(ack.undone && ack.undone.command, before));
          return ack;
        });
      } },
    { id: "void", key: "v", kbd: "V", label: "host.act.void", phases: [], cls: "is-danger", run: function () {
        return ask(t("host.confirm.void"), [{ label: t("host.act.void"), kbd: "Enter", value: "yes", danger: true }]).then(
          function (v) {
            if (v) return send("void", {}, true, "void");
          },
        );
      } },
    { id: "override", key: "o", kbd: "O", label: "host.act.override", phases: [], cls: "is-danger", run: function () {
        return ask(t("host.confirm.override"), sideChoices(t("host.override_void"))).then(function (v) {
          if (v) return send("override", { winner: v === "none" ? null : v }, true, "override");
        });
      } },
    { id: "end", key: "e", kbd: "E", label: "host.act.end", phases: [], cls: "is-danger", run: function () {
        return ask(t("host.confirm.end"), sideChoices(t("host.end_abandon"))).then(function (v) {
          if (!v) return;
          var args = { reason: v === "none" ? "abandoned" : "forfeit" };
          if (v !== "none") args.winner = v;
          return send("end_match", args, true, "end");
        });
      } },
  ];

  var ADJUST = [
    { id: "adj-red-plus", key: "q", kbd: "Q", side: "red", delta: 1 },
    { id: "adj-red-minus", key: "a", kbd: "A", side: "red", delta: -1 },
    { id: "adj-blue-plus", key: "w", kbd: "W", side: "blue", delta: 1 },
    { id: "adj-blue-minus", key: "s", kbd: "S", side: "blue", delta: -1 },
  ];
  ADJUST.forEach(function (a) {
    a.label = a.delta > 0 ? "host.act.adjust_plus" : "host.act.adjust_minus";
    a.run = function () {
      return send("adjust_games", { side: a.side, delta: a.delta }, true, a.id);
    };
  });

  var buttons = {};

  function buildControls() {
    function make(a, adjust) {
      var label = adjust ? t(a.label, { side: Q.sideName(a.side) }) : t(a.label);
      var b = el(
        "button",
        {
          type: "button",
          class: "h-btn " + (a.cls || "") + (adjust ? " h-btn-small h-" + a.side : ""),
          "data-testid": "btn-" + a.id,
          "data-action": a.id,
          onclick: function () {
            if (!b.disabled) a.run();
          },
        },
        [el("kbd", { text: a.kbd }), " ", el("span", { class: "h-btn-label", text: label })],
      );
      buttons[a.id] = { node: b, action: a };
      return b;
    }
    Q.fill(
      $("#h-controls"),
      ACTIONS.map(function (a) {
        return make(a, false);
      }),
    );
    Q.fill(
      $("#h-adjust"),
      [el("span", { class: "h-adjust-label", text: t("host.adjust_games") })].concat(
        ADJUST.map(function (a) {
          return make(a, true);
        }),
      ),
    );
  }

  function renderControls() {
    var m = current;
    var live = !!(m && m.match && m.match.status !== "finished" && m.phase !== "finished");
    var phase = m ? m.phase : "connecting";
    Object.keys(buttons).forEach(function (id) {
      var b = buttons[id];
      var a = b.action;
      var enabled = live || id === "undo";
      if (a.only) enabled = enabled && a.only.indexOf(phase) >= 0;
      if (!m || !m.match) enabled = false;
      b.node.disabled = !enabled || !!pending[id];
      b.node.classList.toggle("is-suggested", enabled && !!a.phases && a.phases.indexOf(phase) >= 0);
      b.node.classList.toggle("is-busy", !!pending[id]);
      b.node.hidden = !!a.only && a.only.indexOf(phase) < 0;
    });
    if (buttons.pause) {
      setText($(".h-btn-label", buttons.pause.node), t(m && m.paused ? "host.act.resume" : "host.act.pause"));
    }
  }

  document.addEventListener("keydown", function (e) {
    if (!$("#dialog").hidden) {
      dialogKey(e);
      return;
    }
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) {
      // Space on a focused button would click it as well as open buzzing: blur, then act.
      e.target.blur();
    }
    var key = e.key.toLowerCase();
    var all = ACTIONS.concat(ADJUST);
    for (var i = 0; i < all.length; i++) {
      if (all[i].key === key) {
        e.preventDefault();
        var b = buttons[all[i].id];
        if (b && !b.node.disabled && !e.repeat) all[i].run();
        return;
      }
    }
  });

  /* ------------------------------------------------------------------ the live match */

  /* A side's phone presence: from the state if it says, else from the console's seats. */
  function sideOnline(side) {
    var s = current.sides[side];
    if (s.online != null) return s.online;
    var seatInfo = seatFor(current.matchId, side);
    return !!(seatInfo && seatInfo.online);
  }

  function connText(side) {
    var online = sideOnline(side);
    var seatInfo = seatFor(current.matchId, side);
    var text = online ? t("conn.online") : t("conn.offline");
    if (online && seatInfo && typeof seatInfo.latency_ms === "number") {
      text += " · " + t("host.latency", { ms: Math.round(seatInfo.latency_ms) });
    }
    return text;
  }

  function renderMatch() {
    var m = current;
    Q.setPhase(m.phase);
    var phaseText = m.match ? t("phase." + m.phase) : t("host.no_live_match");
    if (m.paused) phaseText += " · " + t("status.paused");
    setText($("#h-phase"), phaseText);
    $("#h-phase").dataset.phase = m.phase;
    if (m.event && m.event.title) setText($("#h-event-title"), m.event.title);
    var label = [];
    if (m.matchNo != null) label.push(t("match.number", { n: m.matchNo }));
    if (m.gameNo) label.push(t("match.game", { n: m.gameNo }));
    if (m.match) label.push(t("match.best_of", { total: m.bestOf, win: m.gamesToWin }));
    setText($("#h-match-label"), label.join(" · "));

    Q.SIDES.forEach(function (side) {
      var s = m.sides[side];
      setText($("#h-name-" + side), m.match ? s.name : "");
      setText($("#h-games-" + side), m.match ? s.games : "");
      $("#h-dot-" + side).className = "conn-dot" + (m.match ? (sideOnline(side) ? " is-online" : " is-offline") : "");
      setText($("#h-conn-" + side), m.match ? connText(side) : "");
      var flags = [];
      if (m.answering === side && m.phase === "answering") flags.push(t("host.flag_answering"));
      if (m.violations.some(function (v) { return v.side === side; })) flags.push(t("display.early"));
      if (m.question && m.eligible.indexOf(side) < 0 && m.phase !== "result") flags.push(t("display.no_answer_right"));
      if (m.matchPoint.indexOf(side) >= 0) flags.push(t("display.match_point"));
      if (m.phase === "finished" && m.winner === side) flags.push(t("display.winner"));
      setText($("#h-flag-" + side), flags.join(" · "));
      $("#h-side-" + side).classList.toggle("is-answering", m.answering === side && m.phase === "answering");
    });

    var q = m.question;
    setText($("#h-q-meta"), q ? [q.code, Q.categoryName(q.category), q.difficulty ? t("display.difficulty", { n: q.difficulty }) : ""].filter(Boolean).join(" · ") : "");
    setText($("#h-q-prompt"), q ? q.prompt : m.match ? t("host.no_question") : t("host.no_live_match"));
    var answer = q && q.answer ? q.answer : [];
    Q.fill(
      $("#h-q-options"),
      q
        ? q.options.map(function (o) {
            return el("li", { class: answer.indexOf(o.key) >= 0 ? "is-answer" : "" }, [
              el("b", { text: o.key + ". " }),
              o.text,
            ]);
          })
        : [],
    );
    var keyText = answer.join(", ");
    if (q && q.answerText && q.answerText.length) keyText = q.answerText.join(" / ");
    setText($("#h-answer"), q ? keyText || t("host.answer_unknown") : "");
    setText($("#h-explain"), q ? q.explanation : "");
    renderLog();
    renderControls();
    renderAlerts();
    tick();
  }

  /* ------------------------------------------------------------------ what the host needs now */

  function liveMatch() {
    return !!(current && current.match && current.match.status === "live" && current.phase !== "finished");
  }

  /* The alerts at the top of the console: a side's phone offline or not yet seated, and
   * seat takeovers waiting for the host (with a sound when one arrives). During a live match
   * the seats and QR codes come up to the top until both phones are bound, and the setup
   * cards step aside (a button brings them back). */
  var knownTakeovers = {};
  function renderAlerts() {
    var live = liveMatch();
    document.body.classList.toggle("h-in-match", live);
    var items = [];
    var unbound = false;
    if (live) {
      Q.SIDES.forEach(function (side) {
        var seatInfo = seatFor(current.matchId, side);
        var args = { side: Q.sideName(side), name: current.sides[side].name };
        if (!seatInfo || !seatInfo.device) {
          unbound = true;
          items.push(el("div", { class: "h-alert-item is-unbound h-" + side, "data-testid": "alert-unbound-" + side, text: t("host.alert.unbound", args) }));
        } else if (!sideOnline(side)) {
          items.push(el("div", { class: "h-alert-item is-offline h-" + side, "data-testid": "alert-offline-" + side, text: t("host.alert.offline", args) }));
        }
      });
    }
    var seen = {};
    var fresh = false;
    ((consoleData && consoleData.takeovers) || []).forEach(function (req) {
      var id = req.match_id + "-" + req.side;
      var keyId = id + "-" + req.device;
      seen[keyId] = true;
      if (!knownTakeovers[keyId]) fresh = true;
      var args = { match_id: req.match_id, side: req.side, device: req.device };
      var mt = matchById(req.match_id);
      items.push(
        el("div", { class: "h-alert-item is-takeover h-" + req.side, "data-testid": "takeover-" + id }, [
          el("span", { text: t("host.alert.takeover", { side: Q.sideName(req.side), name: mt ? contestantName(mt[req.side]) : "" }) }),
          " ",
          el("button", {
            type: "button",
            class: "h-btn h-btn-small is-ok",
            "data-testid": "takeover-approve-" + id,
            text: t("host.takeover_approve"),
            onclick: function () {
              send("approve_takeover", args);
            },
          }),
          " ",
          el("button", {
            type: "button",
            class: "h-btn h-btn-small",
            "data-testid": "takeover-deny-" + id,
            text: t("host.takeover_deny"),
            onclick: function () {
              send("deny_takeover", args);
            },
          }),
        ]),
      );
    });
    knownTakeovers = seen;
    if (fresh) Q.sound.play("takeover");
    Q.fill($("#h-alerts"), items);
    $("#h-alerts").hidden = !items.length;
    // Seats and QR codes at the top until both phones are bound; back in the side column after.
    var seats = $("#card-seats");
    var slot = unbound ? $("#h-seats-slot") : $("#h-setup");
    if (seats.parentNode !== slot) slot.appendChild(seats);
    $("#h-seats-slot").hidden = !unbound;
  }

  function matchById(id) {
    var list = (consoleData && consoleData.matches) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  }

  $("#h-setup-toggle").addEventListener("click", function () {
    var shown = document.body.classList.toggle("h-setup-shown");
    setText($("#h-setup-toggle"), t(shown ? "host.setup_hide" : "host.setup_show"));
  });

  /* Buzz receipts: who, when after opening, and the gap to the first press. */
  function renderLog() {
    var m = current;
    var rows = [];
    var eng = (m.match && m.match.engine) || {};
    var opensAt = typeof eng.opens_at === "number" ? eng.opens_at : null;
    var buzzes = m.buzzes.slice().sort(function (a, b) {
      return (a.press_at || 0) - (b.press_at || 0);
    });
    var first = buzzes.length ? buzzes[0].press_at : null;
    buzzes.forEach(function (b, i) {
      var parts = [String(i + 1) + ". " + Q.sideName(b.side)];
      if (opensAt != null && typeof b.press_at === "number") {
        parts.push(t("host.log_after_open", { ms: Math.round(b.press_at - opensAt) }));
      }
      if (i > 0 && first != null && typeof b.press_at === "number") {
        parts.push(t("host.log_gap", { ms: Math.round(b.press_at - first) }));
      }
      rows.push(el("li", { class: "h-log-" + b.side, text: parts.join("  ") }));
    });
    m.violations.forEach(function (v) {
      var text = t("display.early") + " · " + Q.sideName(v.side);
      if (typeof v.early_ms === "number") text += "  " + t("host.log_early", { ms: Math.round(v.early_ms) });
      rows.push(el("li", { class: "h-log-early h-log-" + v.side, text: text }));
    });
    if (m.tied.length) rows.push(el("li", { class: "h-log-tie", text: t("status.tie") }));
    if (!rows.length) rows.push(el("li", { class: "h-log-empty", text: t("host.log_empty") }));
    Q.fill($("#h-log"), rows);
    renderReceipts(m, opensAt);
  }

  /* Fair-buzzing receipts of the question in play: how each buzz was timed and judged. */
  var RECEIPT_OUTCOME = {
    pending: "host.receipt.pending",
    won: "host.receipt.won",
    lost: "host.receipt.lost",
    tie: "host.receipt.tie",
    early: "host.receipt.early",
    rejected: "host.receipt.rejected",
  };
  var RECEIPT_CLAMP = {
    too_early: "host.receipt.too_early",
    before_visible: "host.receipt.before_visible",
    after_arrival: "host.receipt.after_arrival",
  };

  function renderReceipts(m, opensAt) {
    var fair = (m.match && m.match.fair) || null;
    var q = m.match && m.match.question;
    var rule = "";
    if (fair) rule = t(fair.rule === "compensated" ? "host.receipt.rule_compensated" : "host.receipt.rule_arrival");
    setText($("#h-fair-rule"), rule);
    // A receipt of an opening that an undo took back (the question is being read again) is
    // not shown: it belongs to a state that no longer exists.
    var list = fair && q
      ? fair.receipts.filter(function (r) {
          return r.question_id === q.id && !(r.opens_at != null && opensAt == null);
        })
      : [];
    // Times relative to the opening the buzz was judged against (never raw server ms).
    function rel(ms, opening) {
      if (typeof ms !== "number" || opening == null) return "–";
      return (ms >= opening ? "+" : "") + Math.round(ms - opening) + " ms";
    }
    var rows = list.map(function (r) {
      var opening = r.opens_at != null ? r.opens_at : opensAt;
      var parts = [
        "#" + r.number + " " + Q.sideName(r.side) + " · " + t(RECEIPT_OUTCOME[r.outcome] || "host.receipt.pending"),
        t("host.receipt.times", {
          press: rel(r.press_server_ms, opening),
          arrival: rel(r.arrival_ms, opening),
          rtt: r.rtt_ms == null ? "–" : Math.round(r.rtt_ms),
          unc: r.uncertainty_ms,
        }),
      ];
      if (r.margin_ms != null && r.outcome !== "pending") parts.push(t("host.receipt.margin", { ms: r.margin_ms }));
      if (r.tie_rule) parts.push(t("host.receipt.tie_rule", { rule: r.tie_rule }));
      if (r.clamp) parts.push(t(RECEIPT_CLAMP[r.clamp], { ms: Math.round(r.clamped_by_ms) }));
      if (r.early_ms != null) parts.push(t("host.log_early", { ms: r.early_ms }));
      if (r.commit_window_ms) parts.push(t("host.receipt.window", { ms: r.commit_window_ms }));
      return el("li", {
        class: "h-log-" + (r.side || "none") + (r.clamp ? " h-receipt-clamped" : ""),
        title: JSON.stringify(r),
        text: parts.join("  "),
      });
    });
    Q.fill($("#h-receipts"), rows);
  }

  function tick() {
    var m = current;
    if (!m) return;
    var text = "";
    if (m.deadline != null && !m.paused) text = t("host.seconds_left", { n: Q.secondsLeft(m.deadline) });
    setText($("#h-timer"), text);
  }
  window.setInterval(tick, 200);

  function render(state) {
    current = Q.model(state);
    renderMatch();
    if (consoleData) renderSeats();
  }

  /* ------------------------------------------------------------------ the console */

  function seatFor(matchId, side) {
    if (!consoleData || !consoleData.seats) return null;
    for (var i = 0; i < consoleData.seats.length; i++) {
      var s = consoleData.seats[i];
      if (s.match_id === matchId && s.side === side) return s;
    }
    return null;
  }

  function contestantName(id) {
    var list = (consoleData && consoleData.contestants) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i].name;
    return "#" + id;
  }

  function renderConsole(c) {
    if (!c || typeof c !== "object") return;
    if (typeof c.rev === "number") {
      if (c.rev <= consoleRev) return;
      consoleRev = c.rev;
    }
    renderStorage(c.storage);
    consoleData = c;
    if (current) renderMatch();
    if (c.event && c.event.title) setText($("#h-event-title"), c.event.title);
    if (c.join_url) setText($("#join-url"), c.join_url);

    Q.fill(
      $("#event-list"),
      (c.events || []).map(function (ev) {
        var isCurrent = c.event && c.event.id === ev.id;
        return el("li", { class: isCurrent ? "is-current" : "" }, [ev.title, isCurrent ? " · " + t("host.current") : ""]);
      }),
    );

    var contestants = c.contestants || [];
    Q.fill(
      $("#contestant-list"),
      contestants.map(function (p) {
        return el("li", { "data-id": p.id, text: p.name });
      }),
    );
    ["red", "blue"].forEach(function (side, index) {
      var select = $("#match-" + side);
      var previous = select.value;
      Q.fill(
        select,
        [el("option", { value: "", text: t("host.pick_contestant") })].concat(
          contestants.map(function (p) {
            return el("option", { value: String(p.id), text: p.name });
          }),
        ),
      );
      if (previous) select.value = previous;
      else if (contestants.length >= 2) {
        // Suggest the two most recently added contestants: usually the next pair.
        select.value = String(contestants[contestants.length - 2 + index].id);
      }
    });

    var cats = (c.bank && c.bank.categories) || [];
    var box = $("#filter-categories");
    var checked = {};
    Q.$all("input", box).forEach(function (i) {
      checked[i.value] = i.checked;
    });
    Q.fill(
      box,
      cats.map(function (cat) {
        return el("label", {}, [
          el("input", { type: "checkbox", value: cat, checked: checked[cat] !== false, "data-testid": "cat-" + cat }),
          " " + Q.categoryName(cat),
        ]);
      }),
    );

    Q.fill(
      $("#match-list"),
      (c.matches || [])
        .slice()
        .reverse()
        .map(function (mt) {
          var parts = [
            el("span", { class: "h-red-text", text: contestantName(mt.red) }),
            " vs ",
            el("span", { class: "h-blue-text", text: contestantName(mt.blue) }),
            " · " + t("host.match_status." + mt.status),
          ];
          if (mt.outcome && mt.outcome.games) {
            parts.push(" · " + mt.outcome.games.red + ":" + mt.outcome.games.blue);
          }
          var actions = [];
          if (mt.status === "pending") {
            actions.push(
              el("button", {
                type: "button",
                class: "h-btn h-btn-small is-ok",
                "data-testid": "match-start-" + mt.id,
                text: t("host.match_start"),
                onclick: function () {
                  send("start_match", { match_id: mt.id });
                },
              }),
            );
          }
          if (mt.status === "pending" || mt.status === "live") {
            actions.push(
              el("button", {
                type: "button",
                class: "h-btn h-btn-small is-danger",
                "data-testid": "match-abort-" + mt.id,
                text: t("host.match_abort"),
                onclick: function () {
                  ask(t("host.confirm.abort"), [{ label: t("host.match_abort"), kbd: "Enter", value: "yes", danger: true }]).then(
                    function (v) {
                      if (v) send("abort_match", { match_id: mt.id });
                    },
                  );
                },
              }),
            );
          }
          return el("li", { "data-match": mt.id }, [el("span", {}, parts)].concat(actions));
        }),
    );
    renderSeats();
    if (current) renderAlerts();
    if (Q.hostTournament) Q.hostTournament.render(c);
  }

  /* Seats of the live match and of pending ones: code, QR, phone presence, re-issue. */
  function renderSeats() {
    var c = consoleData;
    var matches = ((c && c.matches) || []).filter(function (mt) {
      return mt.status === "live" || mt.status === "pending";
    });
    var blocks = matches.map(function (mt) {
      var cells = Q.SIDES.map(function (side) {
        var s = seatFor(mt.id, side);
        var online = s && s.online;
        var status = s ? (s.device ? (online ? t("conn.online") : t("conn.offline")) : t("host.seat_unused")) : t("host.seat_none");
        if (online && typeof s.latency_ms === "number") status += " · " + t("host.latency", { ms: Math.round(s.latency_ms) });
        var children = [
          el("div", { class: "h-seat-side h-" + side, text: Q.sideName(side) + " · " + contestantName(mt[side]) }),
        ];
        if (s) {
          children.push(el("div", { class: "h-seat-code", "data-testid": "seat-code-" + mt.id + "-" + side, text: s.code }));
          if (s.qr) children.push(el("img", { class: "h-seat-qr", src: s.qr, alt: t("host.seat_qr_alt", { side: Q.sideName(side) }) }));
          if (s.url) children.push(el("div", { class: "h-seat-url", text: s.url }));
        }
        children.push(
          el("div", { class: "h-seat-status" }, [
            el("span", { class: "conn-dot" + (s && s.device ? (online ? " is-online" : " is-offline") : "") }),
            " ",
            el("span", { "data-testid": "seat-status-" + mt.id + "-" + side, text: status }),
          ]),
        );
        children.push(
          el("button", {
            type: "button",
            class: "h-btn h-btn-small",
            "data-testid": "seat-issue-" + mt.id + "-" + side,
            text: s ? t("host.seat_reissue") : t("host.seat_issue"),
            onclick: function () {
              var go = s && s.device
                ? ask(t("host.confirm.reissue"), [{ label: t("host.seat_reissue"), kbd: "Enter", value: "yes", danger: true }])
                : Promise.resolve("yes");
              go.then(function (v) {
                if (v) send("issue_seat", { match_id: mt.id, side: side });
              });
            },
          }),
        );
        return el("div", { class: "h-seat" }, children);
      });
      return el("div", { class: "h-seat-match" }, [
        el("div", { class: "h-seat-title", text: t("host.match_status." + mt.status) + " #" + mt.id }),
        el("div", { class: "h-seat-row" }, cells),
      ]);
    });
    if (!blocks.length) blocks = [el("p", { class: "h-muted", text: t("host.no_seats") })];
    Q.fill($("#seat-list"), blocks);
  }

  /* ------------------------------------------------------------------ admin forms */

  $("#event-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var title = $("#event-title-input").value.trim();
    if (!title) return;
    $("#event-title-input").value = "";
    send("create_event", { title: title, lang: $("#event-lang").value }).then(function (ack) {
      if (!ack.ok && !$("#event-title-input").value) $("#event-title-input").value = title;
    });
  });

  $("#contestant-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("#contestant-name");
    var name = input.value.trim();
    if (!name) return;
    input.value = "";
    send("add_contestant", { name: name }).then(function (ack) {
      // On failure give the name back, unless the host has typed the next one meanwhile.
      if (!ack.ok && !input.value) input.value = name;
      input.focus();
    });
  });

  function intField(id, min, max) {
    var v = parseInt($(id).value, 10);
    if (isNaN(v) || v < min || v > max) return null;
    return v;
  }

  /* The rules and question filter of the "new match" form, or null (with the error shown):
   * used for a single match and for every match of a tournament. */
  function matchSettings() {
    var games = intField("#rule-games", 1, 9);
    var answer = intField("#rule-answer", 1, 600);
    var windowS = intField("#rule-window", 1, 600);
    var pre = intField("#rule-pre", 0, 10);
    if (games == null || answer == null || windowS == null || pre == null) {
      return showError(t("host.error.rules_range"));
    }
    // Fair buzzing: rank by compensated press time within a 300 ms commit window, or (box
    // unticked) by plain arrival order.
    var rules = {
      commit_window_ms: $("#rule-compensation").checked ? 300 : 0,
      games_to_win: games,
      rebound: $("#rule-rebound").value,
      early_penalty: $("#rule-early").value,
      answer_time_ms: answer * 1000,
      rebound_answer_time_ms: answer * 1000,
      buzz_window_ms: windowS * 1000,
      pre_countdown_ms: pre * 1000,
    };
    var boxes = Q.$all("#filter-categories input");
    var cats = boxes.filter(function (i) {
      return i.checked;
    }).map(function (i) {
      return i.value;
    });
    if (boxes.length && !cats.length) return showError(t("host.error.no_category"));
    var dmin = parseInt($("#filter-dmin").value, 10);
    var dmax = parseInt($("#filter-dmax").value, 10);
    if (dmin > dmax) return showError(t("host.error.difficulty_range"));
    var filter = { difficulty: [dmin, dmax] };
    if (cats.length && cats.length < boxes.length) filter.categories = cats;
    return { rules: rules, filter: filter };
  }

  $("#match-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var red = parseInt($("#match-red").value, 10);
    var blue = parseInt($("#match-blue").value, 10);
    if (isNaN(red) || isNaN(blue)) return showError(t("host.error.pick_both"));
    if (red === blue) return showError(t("host.error.same_contestant"));
    var settings = matchSettings();
    if (!settings) return;
    // The server issues both seat codes with the match; they appear under the seats.
    send("create_match", {
      red: red,
      blue: blue,
      rules: settings.rules,
      filter: settings.filter,
      compensation: $("#rule-compensation").checked,
    });
  });

  /* ------------------------------------------------------------------ audience and prizes */

  /* The audience panel (docs/protocol.md §14): live count, what the LED shows, the
   * audience-only round, settings, nickname approvals, prize draws and their export. Drawn
   * from `audience_admin` (and the count from `audience`); every button is one command. */
  var audAdmin = null;
  var audCount = null;
  var AUD_SCREENS = ["match", "result", "leaderboard", "draw", "survey"];

  function audStageName(stage) {
    if (!stage) return t("host.aud.stage_all");
    return t(stage.kind === "match" ? "display.aud.stage_match" : "display.aud.stage_quiz", { n: stage.number });
  }

  function renderAudLive() {
    var a = audAdmin;
    var c = audCount;
    var parts = [t("host.aud.online", { n: c ? c.online : a ? a.online : 0 })];
    if (c && c.round) parts.push(t("host.aud.answered", { n: c.count }) + (c.open ? " · " + t("host.aud.round_open") : ""));
    if (a) parts.push(t("host.aud.scored", { n: a.scored }));
    setText($("#ha-live"), parts.join(" · "));
  }

  function renderAudAdmin(a) {
    if (!a || typeof a !== "object") return;
    audAdmin = a;
    renderAudLive();
    Q.fill(
      $("#ha-screens"),
      [el("span", { class: "h-muted", text: t("host.aud.screen") + " " })].concat(
        AUD_SCREENS.map(function (screen) {
          return el("button", {
            type: "button",
            class: "h-btn h-btn-small" + (a.screen === screen ? " is-suggested" : ""),
            "data-testid": "screen-" + screen,
            text: t("host.aud.screen." + screen),
            onclick: function () {
              send("audience_screen", { screen: screen });
            },
          });
        }),
      ),
    );
    var quiz = a.quiz;
    setText($("#ha-quiz-state"), quiz ? t("host.aud.quiz_running", { n: quiz.number, asked: quiz.asked }) : t("host.aud.quiz_idle"));
    var open = !!(a.round && a.round.status === "open");
    $("#ha-quiz-start").disabled = !!quiz;
    $("#ha-quiz-next").disabled = !quiz || open;
    $("#ha-quiz-close").disabled = !open || a.round.match_id != null;
    $("#ha-quiz-stop").disabled = !quiz;
    var r = a.round;
    Q.fill(
      $("#ha-round"),
      r
        ? [
            el("div", { class: "ha-round-q", text: t("host.aud.current") + "：" + Q.pick(r.question.prompt) }),
            el("div", { class: "ha-round-key" }, [el("span", { class: "h-muted", text: t("host.answer_key") + " " }), el("strong", { text: r.key.join(", ") })]),
          ]
        : [],
    );

    var settings = a.settings || {};
    if (document.activeElement == null || !$("#ha-settings").contains(document.activeElement)) {
      $("#ha-scoring").value = settings.scoring || "count";
      $("#ha-timer").value = settings.timer_ms ? Math.round(settings.timer_ms / 1000) : 0;
      $("#ha-change").checked = !!settings.allow_change;
    }

    var pending = a.pending || [];
    Q.fill(
      $("#ha-approvals"),
      pending.length
        ? pending.map(function (p) {
            return el("li", { "data-member": p.member }, [
              el("span", { class: "ha-name-old", text: Q.pick(p.current) }),
              " → ",
              el("strong", { class: "ha-name-new", text: p.requested }),
              el("button", {
                type: "button",
                class: "h-btn h-btn-small is-ok",
                "data-testid": "approve-" + p.member,
                text: t("host.aud.approve"),
                onclick: function () {
                  send("approve_nickname", { member: p.member, approve: true, name: p.requested });
                },
              }),
              el("button", {
                type: "button",
                class: "h-btn h-btn-small is-danger",
                "data-testid": "reject-" + p.member,
                text: t("host.aud.reject"),
                onclick: function () {
                  send("approve_nickname", { member: p.member, approve: false });
                },
              }),
            ]);
          })
        : [el("li", { class: "h-muted", text: t("host.aud.no_approvals") })],
    );

    // Addresses with more phones than a draw counts: the host may leave them out of draws.
    var clusters = a.clusters || [];
    Q.fill(
      $("#ha-clusters"),
      clusters.length
        ? clusters.map(function (c) {
            return el("li", { "data-address": c.address }, [
              el("span", { text: t("host.aud.cluster", { address: c.address, phones: c.phones }) }),
              el("button", {
                type: "button",
                class: "h-btn h-btn-small" + (c.excluded ? "" : " is-danger"),
                "data-testid": "exclude-" + c.address,
                text: t(c.excluded ? "host.aud.include" : "host.aud.exclude"),
                onclick: function () {
                  send("exclude_address", { address: c.address, exclude: !c.excluded });
                },
              }),
            ]);
          })
        : [el("li", { class: "h-muted", text: t("host.aud.no_clusters") })],
    );

    var stageSelect = $("#ha-stage");
    var chosen = stageSelect.value;
    Q.fill(
      stageSelect,
      [el("option", { value: "", text: t("host.aud.stage_all") })].concat(
        (a.stages || []).map(function (s) {
          return el("option", { value: s.stage, text: audStageName(s) });
        }),
      ),
    );
    stageSelect.value = chosen;
    if (stageSelect.value !== chosen) stageSelect.value = "";

    var draws = (a.draws || []).slice().reverse();
    Q.fill(
      $("#ha-draws"),
      draws.length ? draws.map(renderAudDraw) : [el("li", { class: "h-muted", text: t("host.aud.no_draws") })],
    );
  }

  function renderAudDraw(d) {
    var head = el("div", { class: "ha-draw-head" }, [
      el("strong", { text: d.prize.name }),
      " · " + t("host.aud.draw_line", { count: d.prize.count, eligible: d.eligible_count }),
      " · " + audRule(d.eligibility),
      el("span", { class: "ha-draw-state" + (d.winners ? " is-drawn" : ""), text: " " + t(d.winners ? "host.aud.drawn" : "host.aud.undrawn") }),
    ]);
    // The hash is a code, not words: in <code>, like seat codes.
    var commit = el("div", { class: "ha-commit" }, [t("display.aud.commitment") + " ", el("code", { text: d.commitment })]);
    var parts = [head, commit];
    if (!d.winners) {
      var input = el("input", { type: "text", maxlength: "64", placeholder: t("host.aud.public_input"), "data-testid": "public-input-" + d.draw });
      parts.push(
        el("div", { class: "ha-row" }, [
          input,
          el("button", {
            type: "button",
            class: "h-btn h-btn-small is-ok",
            "data-testid": "run-" + d.draw,
            text: t("host.aud.run"),
            onclick: function () {
              send("run_draw", { draw: d.draw, public_input: input.value.trim() });
            },
          }),
        ]),
      );
    } else {
      parts.push(
        el(
          "ol",
          { class: "ha-winners", "data-testid": "winners-" + d.draw },
          d.winners.map(function (w) {
            return el("li", {}, [w.nickname + " ", el("code", { text: w.claim_code || "" })]);
          }),
        ),
      );
    }
    return el("li", { class: "ha-draw", "data-draw": d.draw }, parts);
  }

  function audRule(rule) {
    var stage = null;
    (audAdmin && audAdmin.stages ? audAdmin.stages : []).forEach(function (s) {
      if (s.stage === rule.stage) stage = s;
    });
    if (!rule.stage) return t("display.aud.rule_event", { n: rule.min_correct });
    return t("display.aud.rule_stage", { stage: stage ? audStageName(stage) : rule.stage, n: rule.min_correct });
  }

  function audDownload(format, includeCodes) {
    send("export_draws", { format: format, include_codes: includeCodes }).then(function (ack) {
      if (!ack.ok) return;
      // A byte-order mark lets spreadsheet programs read the Chinese in the CSV correctly.
      var parts = format === "csv" ? ["\ufeff", ack.content] : [ack.content];
      var url = URL.createObjectURL(new Blob(parts, { type: ack.mime + ";charset=utf-8" }));
      var a = el("a", { href: url, download: ack.filename });
      document.body.appendChild(a);
      a.click();
      document.body.removeChild(a);
      window.setTimeout(function () {
        URL.revokeObjectURL(url);
      }, 1000);
    });
  }

  $("#ha-quiz-start").addEventListener("click", function () {
    var timer = parseInt($("#ha-timer").value, 10);
    var args = {};
    if (timer >= 3) args.timer_ms = timer * 1000;
    send("audience_start", args);
  });
  $("#ha-quiz-next").addEventListener("click", function () {
    send("audience_next", {});
  });
  $("#ha-quiz-close").addEventListener("click", function () {
    send("audience_close", {});
  });
  $("#ha-quiz-stop").addEventListener("click", function () {
    send("audience_stop", {});
  });

  /* The satisfaction survey and the LED playlist (docs/protocol.md §14, §16). */
  $("#hs-start").addEventListener("click", function () {
    send("survey_start", {});
  });
  $("#hs-stop").addEventListener("click", function () {
    send("survey_stop", {});
  });
  $("#hp-start").addEventListener("click", function () {
    var insert = [];
    if ($("#hp-board").checked) insert.push("leaderboard");
    if ($("#hp-draw").checked) insert.push("draw");
    send("playlist_start", { insert: insert });
  });
  $("#hp-stop").addEventListener("click", function () {
    send("playlist_stop", {});
  });
  Q.on("survey", function (s) {
    if (!s || typeof s !== "object") return;
    var r = s.result;
    var line = !s.survey
      ? t("host.survey.none")
      : t(s.open ? "host.survey.open" : "host.survey.closed", {
          n: r ? r.answered : 0,
          mean: r && r.mean != null ? r.mean.toFixed(2) : "–",
        });
    setText($("#hs-state"), line);
  });
  Q.on("playlist", function (p) {
    if (!p || typeof p !== "object") return;
    setText($("#hp-state"), p.running ? t("host.playlist.running", { n: p.slides.length }) : t("host.playlist.stopped"));
  });

  $("#ha-settings").addEventListener("submit", function (e) {
    e.preventDefault();
    var seconds = intField("#ha-timer", 0, 600);
    if (seconds == null || (seconds > 0 && seconds < 3)) return showError(t("host.error.rules_range"));
    var args = { scoring: $("#ha-scoring").value, allow_change: $("#ha-change").checked };
    if (seconds) args.timer_ms = seconds * 1000;
    else args.no_timer = true;
    send("audience_settings", args);
  });

  $("#ha-draw-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var count = intField("#ha-count", 1, 1000);
    var min = intField("#ha-min", 0, 10000);
    var prize = $("#ha-prize").value.trim();
    if (!prize || count == null || min == null) return showError(t("host.error.rules_range"));
    var args = {
      prize: prize,
      count: count,
      min_correct: min,
      allow_repeat: $("#ha-repeat").checked,
      exclude_winners: $("#ha-exclude").checked,
    };
    if ($("#ha-stage").value) args.stage = $("#ha-stage").value;
    send("prepare_draw", args);
  });

  $("#ha-export-json").addEventListener("click", function () {
    audDownload("json", true);
  });
  $("#ha-export-csv").addEventListener("click", function () {
    audDownload("csv", true);
  });
  $("#ha-export-public").addEventListener("click", function () {
    audDownload("json", false);
  });

  Q.on("audience_admin", renderAudAdmin);
  Q.on("audience", function (c) {
    if (!c || typeof c !== "object") return;
    audCount = c;
    renderAudLive();
  });

  /* ------------------------------------------------------------------ connection */

  Q.on("status", function (s) {
    var dot = $("#conn-dot");
    dot.className = "conn-dot" + (s.status === "online" ? " is-online" : s.status === "connecting" ? "" : " is-offline");
    setText($("#conn-text"), t("conn." + (s.status === "error" ? "offline" : s.status)));
    if (!Q.lastState()) Q.setPhase("connecting");
    if (s.status === "error" && s.error) {
      showError(s.error.message, "conn");
      if (s.error.code === "unauthorized" || s.error.code === "bad_auth") {
        $("#token-form").hidden = false;
        $("#token-input").focus();
      } else {
        // A refusal the client library does not retry (a server still starting after a
        // restart): try again, so the console comes back by itself like the LED and phones.
        scheduleRetry();
      }
    }
    if (s.status === "online") {
      $("#token-form").hidden = true;
      // The trouble is over: its alert goes with it.
      if (alertKind === "conn") showError("");
    }
  });

  var retryTimer = null;
  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      if (Q.status().status !== "online") Q.reconnect();
    }, 2000);
  }

  Q.on("console", renderConsole);
  // Browsers allow sound only after a gesture: the host's first key or click unlocks it.
  ["keydown", "pointerdown"].forEach(function (name) {
    document.addEventListener(
      name,
      function () {
        Q.sound.unlock();
      },
      { once: true },
    );
  });
  buildControls();
  renderControls();
  Q.setRenderer(render);
  // Test hook (kept stable): render a `console` message without a server.
  window.__quizConsole = renderConsole;
  if (!token()) {
    $("#token-form").hidden = false;
    showError(t("error.unauthorized"), "conn");
  }
  Q.connect({
    role: "host",
    auth: function () {
      return { token: token() };
    },
  });
  /* ------------------------------------------------------------------ for host-tournament.js */

  /* The tournament card lives in host-tournament.js, loaded after this file: it takes what
   * it needs of the console from here and registers its renderer as Q.hostTournament. */
  Q.hostConsole = {
    send: send,
    showError: showError,
    ask: ask,
    matchSettings: matchSettings,
    token: token,
    console: function () {
      return consoleData;
    },
    state: function () {
      return current;
    },
  };
})();
