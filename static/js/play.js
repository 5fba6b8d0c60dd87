/*
 * play.js: the phone (/play). With a seat code it is a contestant's buzzer: one giant button
 * acting on pointerdown, the press time converted to server time, vibration, a one-glance
 * state line, options to pick when answering, and a screen wake lock while in a match.
 * Without a seat it is an audience phone: the question and its options to play along.
 */
(function () {
  "use strict";

  var Q = window.Quiz;
  var t = Q.t;
  var $ = Q.$;
  var setText = Q.setText;
  var body = document.body;

  var SEAT_KEY = "quiz.seat";
  var seatPattern = /^[A-Za-z0-9]{3,16}$/;

  var current = null;
  var selected = []; // option keys picked for the current question
  var selectedFor = null; // question id those picks belong to
  var submittedFor = null; // question id a guess/choice was sent for

  /* ------------------------------------------------------------------ the seat */

  function seat() {
    var fromPage = (Q.page.seat || "").toUpperCase();
    if (fromPage && seatPattern.test(fromPage)) return fromPage;
    var stored = Q.session && Q.session.getItem(SEAT_KEY);
    return stored && seatPattern.test(stored) ? stored : "";
  }

  function forgetSeat() {
    Q.page.seat = "";
    if (Q.session) Q.session.removeItem(SEAT_KEY);
  }

  function showSeatError(text) {
    var err = $("#seat-error");
    setText(err, text);
    err.hidden = !text;
    err.dataset.pending = "";
    if (text) $("#seat-form").hidden = false;
  }

  /* The host moved this phone's seat to another phone: say so, forget the code and carry on
   * as an audience phone, so it never asks for the seat back by itself. */
  Q.on("notice", function (n) {
    if (n.code !== "seat_moved") return;
    forgetSeat();
    showSeatError(t("play.seat_moved"));
    // The server closes this socket next and the page comes back without a seat; should it
    // still show the side a moment later (the close raced the reconnect), connect again.
    window.setTimeout(function () {
      if (body.dataset.role !== "audience") Q.reconnect();
    }, 1500);
  });

  $("#seat-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var code = $("#seat-input").value.replace(/\s+/g, "").toUpperCase();
    if (!seatPattern.test(code)) {
      showSeatError(t("play.seat_invalid"));
      return;
    }
    showSeatError("");
    Q.page.seat = code;
    if (Q.session) Q.session.setItem(SEAT_KEY, code);
    Q.sound.unlock();
    Q.reconnect();
  });

  $("#show-seat").addEventListener("click", function () {
    var form = $("#seat-form");
    form.hidden = !form.hidden;
    if (!form.hidden) $("#seat-input").focus();
  });

  /* ------------------------------------------------------------ audience play-along */

  /* An audience phone answers the question put to the audience (`audience_round`), sees its
   * verdict with the explanation once the question is closed, its own rank, its nickname
   * (a new one waits for the host) and the claim codes of prizes it won (`audience_you`).
   * docs/protocol.md §14. */
  var aud = {
    round: null, // the newest audience_round
    you: null, // the newest audience_you
    count: null, // the newest audience count (its `open` turns false when the timer ends)
    sent: {}, // round id -> choices the server acknowledged
    sending: null, // round id of an answer awaiting its ack
    picks: [], // options picked on a multiple-choice question, before sending
    picksFor: null,
    error: "",
    prizes: 0, // prizes shown so far (a new one vibrates)
    late: false, // the open round's timer had run out at the last render
  };

  function audienceRound(m) {
    /* The round this phone shows: an audience-only round, or the one of the match question
     * on screen (until its round arrives the state's question is answered without a round
     * id, and the server takes it for the round open now). */
    var r = aud.round;
    if (!r || r.status === "cancelled") return null;
    if (r.match_id == null) return !m.question || m.phase === "finished" || m.phase === "ready" ? r : null;
    return m.question && m.matchId === r.match_id && m.question.id === r.question.id ? r : null;
  }

  /* A match question's round that was published, then taken back by the host's undo: the
   * match is playing the question again, so its verdict and key are not shown until the
   * match concludes it again (the audience's answers were counted once and stay). */
  function heldBack(r, m) {
    return !!r && r.match_id != null && r.status === "closed" && m.phase !== "result" && m.phase !== "finished";
  }

  function mineFor(r) {
    if (aud.sent[r.round]) return aud.sent[r.round];
    var a = aud.you && aud.you.answer;
    if (a && a.round === r.round) return a.choices;
    var o = aud.you && aud.you.outcome;
    return o && o.round === r.round ? o.choices : null;
  }

  function timeIsUp(r) {
    if (r.status !== "open") return false;
    if (aud.count && aud.count.round === r.round && aud.count.open === false) return true;
    return r.deadline != null && Q.serverNow() > r.deadline;
  }

  function sendAnswer(ref, keys, localKey) {
    aud.sending = ref || "?";
    aud.error = "";
    var args = { choices: keys };
    if (ref) args.round = ref;
    Q.command("answer", args).then(function (ack) {
      aud.sending = null;
      if (ack.ok) {
        aud.sent[ack.round] = ack.choices;
        if (localKey) aud.sent[localKey] = ack.choices;
        aud.picks = [];
        if (navigator.vibrate) navigator.vibrate(30);
      } else {
        aud.error = ack.error.message;
      }
      rerender();
    });
    rerender();
  }

  function pickAudience(r, q, key) {
    if (r && r.multiple) {
      if (aud.picksFor !== r.round) {
        aud.picks = [];
        aud.picksFor = r.round;
      }
      var i = aud.picks.indexOf(key);
      if (i >= 0) aud.picks.splice(i, 1);
      else aud.picks.push(key);
      aud.picks.sort();
      rerender();
      return;
    }
    sendAnswer(r ? r.round : null, [key], r ? null : "?" + q.id);
    aud.picks = [key];
    aud.picksFor = r ? r.round : q.id;
  }

  /* The options of a question, for a contestant answering and for the audience alike: one
   * button per letter (`data-letter`). A multiple-choice question's buttons toggle
   * (`aria-pressed`) and the picks go out with the submit button; a single-choice question
   * answers on one tap. docs/protocol.md §"Multiple choice". */
  function renderOptions(options, o) {
    Q.fill(
      $("#options"),
      options.map(function (opt) {
        var picked = o.selected.indexOf(opt.key) >= 0;
        var isAnswer = o.answer.indexOf(opt.key) >= 0;
        var attrs = {
          type: "button",
          class: "p-opt" + (picked ? " is-selected" : "") + (isAnswer ? " is-answer" : ""),
          "data-key": opt.key,
          "data-letter": opt.key,
          disabled: !o.canPick,
          onclick: function () {
            o.onPick(opt.key);
          },
        };
        if (o.multiple) attrs["aria-pressed"] = picked ? "true" : "false";
        return Q.el("button", attrs, [Q.el("span", { class: "p-opt-key", text: isAnswer ? "✓" : opt.key }), opt.text]);
      }),
    );
    $("#kind-badge").hidden = !o.multiple;
    $("#submit-choices").hidden = !(o.canPick && o.multiple);
    $("#submit-choices").disabled = !o.selected.length;
  }

  function audienceQuestion(m) {
    var box = $("#question");
    var r = audienceRound(m);
    var stateQ = m.question;
    if (!r && !stateQ) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    var prompt = r ? Q.pick(r.question.prompt) : stateQ.prompt;
    var options = r
      ? r.question.options.map(function (o) {
          return { key: o.key, text: Q.pick(o) };
        })
      : stateQ.options;
    setText($("#prompt"), prompt);
    var held = heldBack(r, m);
    var closed = r ? r.status === "closed" : m.phase === "result" || m.phase === "finished";
    var mine = r ? mineFor(r) : aud.sent["?" + stateQ.id] || null;
    var late = r ? timeIsUp(r) : false;
    var canPick =
      !closed && !late && !aud.sending && options.length > 0 && (!mine || (r && r.allow_change));
    var key = held ? [] : r && r.result ? r.result.key : closed && stateQ && stateQ.answer ? stateQ.answer : [];
    var picks = r && r.multiple && aud.picksFor === r.round ? aud.picks : [];
    renderOptions(options, {
      selected: picks.length ? picks : mine || [],
      answer: key,
      canPick: canPick,
      multiple: !!(r && r.multiple),
      onPick: function (letter) {
        pickAudience(r, stateQ, letter);
      },
    });
    var verdict = held
      ? { text: mine ? t("play.aud.waiting_result") : "", tone: "" }
      : audienceVerdict(r, mine, closed, late, options.length);
    var vbox = $("#verdict");
    setText(vbox, verdict.text);
    vbox.hidden = !verdict.text;
    vbox.className = "p-verdict" + (verdict.tone ? " is-" + verdict.tone : "");
    var explanation = held ? "" : r && r.result ? Q.pick(r.result.explanation) : closed && stateQ ? stateQ.explanation : "";
    var explain = $("#explain");
    setText(explain, explanation ? t("display.explanation") + "：" + explanation : "");
    explain.hidden = !explanation;
  }

  function audienceVerdict(r, mine, closed, late, optionCount) {
    if (aud.error) return { text: aud.error, tone: "bad" };
    if (!optionCount) return { text: t("play.aud.not_this_one"), tone: "" };
    if (closed) {
      var o = r && aud.you && aud.you.outcome && aud.you.outcome.round === r.round ? aud.you.outcome : null;
      if (!r) return { text: "", tone: "" };
      if (!o) return { text: t("play.aud.missed"), tone: "" };
      // The status line above says right or wrong; this line adds what it is worth.
      if (o.correct) return { text: t("play.aud.points", { n: o.points }), tone: "ok" };
      var key = r.result ? r.result.key.join("、") : "";
      return { text: t("play.aud.answer_was", { key: key }), tone: "bad" };
    }
    if (aud.sending) return { text: "…", tone: "" };
    if (mine) return { text: late ? t("play.aud.time_up") : t("play.aud.waiting_result"), tone: "ok" };
    if (late) return { text: "", tone: "" }; // the status line above says the time is up
    if (r && r.multiple) return { text: t("play.aud.multiple_hint"), tone: "" };
    return { text: "", tone: "" };
  }

  function audienceStatus(m) {
    var r = audienceRound(m);
    if (!r) return audienceLine(m);
    if (heldBack(r, m)) return mineFor(r) ? { text: t("play.submitted"), tone: "ok" } : audienceLine(m);
    if (r.status === "closed") {
      var o = aud.you && aud.you.outcome && aud.you.outcome.round === r.round ? aud.you.outcome : null;
      if (!o) return { text: t("play.audience_result"), tone: "" };
      return o.correct ? { text: "✓ " + t("play.aud.right"), tone: "ok" } : { text: "✗ " + t("play.aud.wrong"), tone: "bad" };
    }
    var title = r.match_id == null ? t("play.aud.quiz") + " · " : "";
    if (mineFor(r)) return { text: title + t("play.submitted"), tone: "ok" };
    if (timeIsUp(r)) return { text: t("play.aud.time_up"), tone: "muted" };
    return { text: title + t("play.audience_guess"), tone: "go" };
  }

  function audienceSub(m) {
    var r = audienceRound(m);
    if (!r || r.status !== "open" || r.deadline == null || timeIsUp(r)) return null;
    return t("play.seconds_left", { n: Q.secondsLeft(r.deadline) });
  }

  /* Nickname, rank and prizes: the parts of the page only an audience phone has. */
  function audienceChrome(show) {
    $("#nick-row").hidden = !show;
    var you = aud.you;
    var scoreBox = $("#aud-score");
    var prize = $("#prize");
    if (!show || !you) {
      scoreBox.hidden = true;
      prize.hidden = true;
      if (!show) $("#rename-form").hidden = true;
      return;
    }
    setText($("#nick-name"), Q.pick(you.nickname));
    $("#nick-pending").hidden = !you.pending;
    var s = you.score;
    setText(
      scoreBox,
      s
        ? t("play.aud.rank", { rank: s.rank, of: s.of }) + " · " + t("play.aud.score", { correct: s.correct, points: s.points })
        : t("play.aud.no_score"),
    );
    scoreBox.hidden = false;
    var prizes = you.prizes || [];
    prize.hidden = !prizes.length;
    Q.fill(
      $("#prize-list"),
      prizes.map(function (p) {
        return Q.el("li", { class: "p-prize-item" }, [
          Q.el("span", { class: "p-prize-name", text: p.prize }),
          Q.el("code", { class: "p-prize-code", "data-testid": "claim-code", text: p.code }),
        ]);
      }),
    );
    if (prizes.length > aud.prizes && navigator.vibrate) navigator.vibrate([120, 60, 120, 60, 240]);
    aud.prizes = prizes.length;
  }

  function rerender() {
    if (current) render(current.state);
  }

  $("#nick-edit").addEventListener("click", function () {
    var form = $("#rename-form");
    form.hidden = !form.hidden;
    if (!form.hidden) {
      $("#nick-input").value = aud.you ? Q.pick(aud.you.nickname) : "";
      $("#nick-input").focus();
    }
  });

  $("#rename-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var name = $("#nick-input").value;
    var err = $("#rename-error");
    Q.command("nickname", { name: name }).then(function (ack) {
      setText(err, ack.ok ? t("play.aud.pending") : ack.error.message);
      err.hidden = false;
      err.classList.toggle("is-ok", !!ack.ok);
      if (ack.ok) $("#rename-form").hidden = true;
    });
  });

  Q.on("audience_round", function (r) {
    if (!r || typeof r.round !== "string") return;
    if (!aud.round || aud.round.round !== r.round) aud.error = "";
    aud.round = r;
    rerender();
  });

  Q.on("audience_you", function (you) {
    if (!you || typeof you !== "object") return;
    aud.you = you;
    if (you.notice === "name_approved" || you.notice === "name_rejected") {
      var err = $("#rename-error");
      setText(err, t("play.aud." + (you.notice === "name_approved" ? "approved" : "rejected")));
      err.hidden = false;
      err.classList.toggle("is-ok", you.notice === "name_approved");
    }
    rerender();
  });

  Q.on("audience", function (count) {
    if (!count || typeof count !== "object") return;
    var was = aud.count && aud.count.open;
    aud.count = count;
    if (was !== count.open) rerender();
  });

  /* ------------------------------------------------------------ the survey (满意率) */

  /* While the host has the survey open (`survey`), an audience phone shows it above
   * everything else: a one-tap 1-5 rating (sent at once), the organiser's questions and an
   * optional comment (sent with 提交, replacing the phone's earlier answer). The server keeps
   * one answer per phone; this phone remembers what it sent per survey run. */
  var survey = { msg: null, rating: 0, picks: {}, sent: false, sending: false, note: "", bad: false, shownRun: null };

  function surveySend() {
    var s = survey.msg;
    if (!s || !survey.rating || survey.sending) return;
    var args = { rating: survey.rating, choices: survey.picks };
    var box = $("#survey-comment");
    if (s.survey.comment && box.value.trim()) args.comment = box.value;
    survey.sending = true;
    Q.command("survey_answer", args).then(function (ack) {
      survey.sending = false;
      survey.sent = !!ack.ok;
      survey.bad = !ack.ok;
      survey.note = ack.ok ? t("play.survey.thanks") : ack.error.message;
      if (ack.ok && navigator.vibrate) navigator.vibrate(30);
      renderSurvey(true);
    });
    renderSurvey(true);
  }

  function surveyButton(label, on, testid, onclick) {
    return Q.el("button", { type: "button", class: "p-opt" + (on ? " is-selected" : ""), "data-testid": testid, onclick: onclick }, [label]);
  }

  function renderSurvey(show) {
    var s = survey.msg;
    var box = $("#survey");
    var open = !!(show && s && s.open && s.survey);
    box.hidden = !open;
    document.body.dataset.survey = open ? (survey.sent ? "sent" : "open") : "";
    if (!open) return;
    if (survey.shownRun !== s.run) {
      survey.shownRun = s.run;
      survey.note = "";
    }
    var sv = s.survey;
    setText($("#survey-title"), Q.pick(sv.title));
    setText($("#survey-rating-q"), Q.pick(sv.rating));
    Q.fill(
      $("#survey-rating"),
      [1, 2, 3, 4, 5].map(function (n) {
        var b = surveyButton(String(n), survey.rating === n, "rating-" + n, function () {
          survey.rating = n;
          surveySend();
        });
        b.classList.add("p-rate");
        b.setAttribute("aria-label", t("play.survey.rate", { n: n }));
        return b;
      }),
    );
    Q.fill(
      $("#survey-questions"),
      sv.questions.map(function (q) {
        return Q.el("fieldset", { class: "p-survey-field" }, [
          Q.el("legend", { class: "p-survey-q", text: Q.pick(q.prompt) }),
          Q.el(
            "div",
            { class: "p-options" },
            q.options.map(function (o) {
              var on = survey.picks[q.id] === o.key;
              return surveyButton(Q.pick(o), on, "survey-" + q.id + "-" + o.key, function () {
                if (on) delete survey.picks[q.id];
                else survey.picks[q.id] = o.key;
                survey.sent = false;
                renderSurvey(true);
              });
            }),
          ),
        ]);
      }),
    );
    var comment = $("#survey-comment");
    comment.hidden = !sv.comment;
    $("#survey-comment-label").hidden = !sv.comment;
    if (sv.comment) {
      setText($("#survey-comment-label"), Q.pick(sv.comment));
      comment.maxLength = sv.comment_max;
    }
    var submit = $("#survey-submit");
    submit.hidden = !survey.rating || (!sv.questions.length && !sv.comment);
    submit.disabled = survey.sending;
    var note = $("#survey-note");
    var text = survey.sending ? "…" : survey.note || (survey.rating ? "" : t("play.survey.tap"));
    setText(note, text);
    note.hidden = !text;
    note.className = "p-verdict" + (survey.bad ? " is-bad" : survey.sent ? " is-ok" : "");
  }

  $("#survey-submit").addEventListener("click", surveySend);
  $("#survey-comment").addEventListener("input", function () {
    survey.sent = false;
  });

  Q.on("survey", function (s) {
    if (!s || typeof s !== "object") return;
    survey.msg = s;
    rerender();
  });

  /* ------------------------------------------------------------------ the buzzer */

  var buzz = $("#buzz");
  var lastPress = -1e9;

  function pressTime(e) {
    // Event timestamps share performance.now()'s time origin in current browsers; older ones
    // used epoch ms, which this range check rejects in favour of "now".
    var now = performance.now();
    var ts = e && typeof e.timeStamp === "number" ? e.timeStamp : -1;
    return ts > 0 && ts <= now + 5 && now - ts < 1000 ? ts : now;
  }

  function onPress(e) {
    var at = pressTime(e);
    if (e.cancelable) e.preventDefault();
    // pointerdown and a touchstart fallback may both fire for one touch: one press only.
    if (at - lastPress < 250) return;
    lastPress = at;
    // Sent whatever the phase: a press before buzzing opens is a 违规 the server records.
    // Both clocks: the server converts the phone's own time with its estimate (fair buzzing).
    // Sent before any feedback: creating the audio context on the first press can take tens
    // of ms, which would eat into the commit window and the server's trust allowance.
    var local = Math.round(at * 1000) / 1000;
    Q.command("buzz", { press_at: Q.pressAt(at), press_local: local }).then(function (ack) {
      if (!ack.ok) setText($("#sub"), ack.error.message);
    });
    Q.sound.unlock();
    if (navigator.vibrate) navigator.vibrate(40);
    Q.sound.play("press");
    buzz.classList.add("is-pressed");
    window.setTimeout(function () {
      buzz.classList.remove("is-pressed");
    }, 160);
  }

  if (window.PointerEvent) {
    buzz.addEventListener("pointerdown", onPress);
  } else {
    buzz.addEventListener("touchstart", onPress, { passive: false });
    buzz.addEventListener("mousedown", onPress);
  }
  // Keep the long-press menu and the synthetic click from doing anything.
  buzz.addEventListener("contextmenu", function (e) {
    e.preventDefault();
  });

  /* ------------------------------------------------------------------ answering */

  function sendChoice(q, keys) {
    submittedFor = q.id;
    Q.command("choice", { choices: keys }).then(function (ack) {
      if (!ack.ok) {
        submittedFor = null;
        setText($("#sub"), ack.error.message);
      } else if (ack.applied === false) {
        // Acknowledged but not counted (docs/protocol.md §4): the phone may answer again.
        submittedFor = null;
        setText($("#sub"), t("play.not_counted"));
      } else if (current) {
        render(current.state);
      }
    });
  }

  function onOption(q, key) {
    if (selectedFor !== q.id) {
      selected = [];
      selectedFor = q.id;
    }
    if (q.multiple) {
      var i = selected.indexOf(key);
      if (i >= 0) selected.splice(i, 1);
      else selected.push(key);
      selected.sort();
      render(current.state);
      return;
    }
    selected = [key];
    sendChoice(q, selected.slice());
    render(current.state);
  }

  $("#submit-choices").addEventListener("click", function () {
    if (!current || !current.you || !current.you.side) {
      // An audience phone sends its multiple-choice picks.
      var r = current && audienceRound(current);
      if (r && aud.picks.length) sendAnswer(r.round, aud.picks.slice());
      return;
    }
    if (!current.question || !selected.length) return;
    sendChoice(current.question, selected.slice());
  });

  /* ------------------------------------------------------------------ state line */

  function violated(m, side) {
    return m.violations.some(function (v) {
      return v && v.side === side;
    });
  }

  function provisional(m, side) {
    var eng = (m.match && m.match.engine) || {};
    return (eng.candidates || []).some(function (c) {
      return c && c.side === side;
    });
  }

  /* The one-glance state of a contestant: words, a sub line and a tone. */
  function contestantLine(m, side) {
    var mine = m.answering === side;
    var out = m.eligible.indexOf(side) < 0;
    if ((!m.match && !m.result) || (m.you && m.you.waiting)) {
      return { text: t("play.waiting_start"), tone: "muted" };
    }
    if (m.paused) return { text: t("play.paused"), tone: "muted" };
    switch (m.phase) {
      case "attract":
      case "ready":
        return { text: t("play.waiting_host"), tone: "muted" };
      case "question":
      case "countdown":
        if (violated(m, side)) return { text: t("play.early"), tone: "early" };
        return { text: t("play.get_ready"), tone: "" };
      case "buzzing":
        if (violated(m, side)) return { text: t("play.early"), tone: "early" };
        if (out) return { text: t("play.no_right"), tone: "muted" };
        return { text: t("play.go"), tone: "go" };
      case "arbitrating":
        // The provisional winner waits out the commit window: presses may still be in flight.
        if (provisional(m, side)) return { text: t("play.checking"), tone: "" };
        return { text: t("play.arbitrating"), tone: "" };
      case "tie":
        return { text: t("play.tie"), tone: "" };
      case "answering":
        if (mine) return { text: t("play.you_answer"), tone: "go" };
        if (out) return { text: t("play.no_right"), tone: "muted" };
        return { text: t("play.opponent_answering"), tone: "muted" };
      case "result": {
        var a = m.lastAttempt;
        if (!a || m.voidReason) return { text: t("play.void"), tone: "muted" };
        if (a.side === side) {
          return a.correct
            ? { text: "✓ " + t("play.you_correct"), tone: "ok" }
            : { text: "✗ " + t("play.you_wrong"), tone: "bad" };
        }
        return a.correct
          ? { text: t("play.opponent_correct"), tone: "muted" }
          : { text: t("play.opponent_wrong"), tone: "muted" };
      }
      case "finished":
        if (m.winner === side) return { text: t("play.you_won"), tone: "ok" };
        if (m.winner) {
          // The other side's phone names the winner: the result, not just "over".
          var won = { side: Q.sideName(m.winner), name: m.sides[m.winner].name };
          return { text: t("play.you_lost", won), tone: "muted" };
        }
        return { text: t("play.match_over"), tone: "muted" };
      default:
        return { text: "", tone: "" };
    }
  }

  function audienceLine(m) {
    if (m.paused) return { text: t("play.paused"), tone: "muted" };
    if (!m.match || m.phase === "ready") return { text: t("play.waiting_match"), tone: "muted" };
    if (m.phase === "finished") {
      return m.winner
        ? { text: t("status.match_won", { side: Q.sideName(m.winner), name: m.sides[m.winner].name }), tone: "" }
        : { text: t("play.match_over"), tone: "muted" };
    }
    if (m.phase === "result") return { text: t("play.audience_result"), tone: "" };
    // An open question is the contestants' alone (the line below it says so too).
    if (m.question && !m.question.options.length) return { text: t("play.aud.watch"), tone: "muted" };
    if (m.question) return { text: t("play.audience_guess"), tone: "" };
    return { text: t("play.waiting_match"), tone: "muted" };
  }

  /* ------------------------------------------------------------------ rendering */

  function renderQuestion(m, side) {
    if (!side) {
      audienceQuestion(m);
      return;
    }
    var q = m.question;
    var box = $("#question");
    var answeringHere = m.phase === "answering" && m.answering === side;
    var judged = m.phase === "result" || m.phase === "finished";
    // Contestants watch the LED while racing; the phone shows the question only when it is
    // theirs to answer (an audience phone's question is audienceQuestion's).
    var show = !!q && answeringHere;
    box.hidden = !show;
    $("#verdict").hidden = true;
    if (!show) return;
    if (selectedFor !== q.id) {
      selected = [];
      selectedFor = q.id;
    }
    setText($("#prompt"), q.prompt);
    var canPick = submittedFor !== q.id && !judged && answeringHere && q.options.length > 0;
    renderOptions(q.options, {
      selected: selected,
      answer: judged && q.answer ? q.answer : [],
      canPick: canPick,
      multiple: q.multiple,
      onPick: function (letter) {
        onOption(q, letter);
      },
    });
    var explain = $("#explain");
    var text = judged ? q.explanation : "";
    if (!judged && submittedFor === q.id) text = t("play.submitted");
    setText(explain, text ? (judged ? t("display.explanation") + "：" + text : text) : "");
    explain.hidden = !text;
  }

  function render(state) {
    var m = Q.syncOpening(Q.model(state), function () {
      render(state);
    });
    current = m;
    var you = m.you || {};
    var side = you.side === "red" || you.side === "blue" ? you.side : null;
    Q.setPhase(m.phase);
    body.dataset.side = side || "";
    body.dataset.role = side ? "contestant" : "audience";
    var seatedName = side ? m.sides[side].name || you.name || "" : "";
    var name = seatedName ? " · " + seatedName : "";
    setText($("#who"), side ? Q.sideName(side) + name : t("play.audience"));
    audienceChrome(!side);
    renderSurvey(!side);
    $("#show-seat").hidden = !!side;
    if (side) $("#seat-form").hidden = true;

    var line = side ? contestantLine(m, side) : audienceStatus(m);
    setText($("#status"), line.text);
    body.dataset.tone = line.tone;

    // No buzzer before the match is on, after it ended (a finished screen instead) or while
    // this side answers on its options.
    buzz.hidden =
      !side ||
      !m.match ||
      m.phase === "finished" ||
      (m.phase === "answering" && m.answering === side && m.question && m.question.options.length > 0);
    if (side) {
      var open = m.phase === "buzzing" && m.eligible.indexOf(side) >= 0 && !violated(m, side);
      var out = !!m.question && (m.eligible.indexOf(side) < 0 || violated(m, side)) && m.phase !== "result";
      buzz.classList.toggle("is-open", open);
      buzz.classList.toggle("is-closed", !open);
      buzz.classList.toggle("is-out", out);
      buzz.setAttribute("aria-label", t("play.buzz"));
    }
    renderQuestion(m, side);
    tick();
    wake(!!(side && m.match && m.phase !== "finished"));
    react(m, side);
  }

  /* Haptics and sound for this phone's own moments. */
  var lastMoment = null;
  function react(m, side) {
    var mo = m.moment;
    if (!mo || !side) return;
    var key = [m.matchId, mo.type, mo.side || "", mo.at || m.state.seq].join("|");
    if (key === lastMoment) return;
    lastMoment = key;
    if (mo.type === "buzz_won" && mo.side === side) {
      if (navigator.vibrate) navigator.vibrate([80, 50, 80]);
      Q.sound.play(side === "blue" ? "buzz_blue" : "buzz_red");
    } else if (mo.type === "early_buzz" && mo.side === side) {
      if (navigator.vibrate) navigator.vibrate([200]);
      Q.sound.play("early");
    } else if (mo.type === "buzzing_opened") {
      Q.sound.play("open");
    }
  }

  /* The countdown under the state line (answer time for the answering side, else windows). */
  function tick() {
    var m = current;
    if (!m) return;
    var text = "";
    if (m.deadline != null && !m.paused && m.phase !== "arbitrating") {
      var secs = Q.secondsLeft(m.deadline);
      text = t("play.seconds_left", { n: secs });
    }
    var audience = !(m.you && m.you.side);
    if (!audience && m.phase === "finished" && (m.match || m.result)) {
      // The finished screen: the final score under who won.
      text = t("play.final_score", { red: m.sides.red.games, blue: m.sides.blue.games });
    }
    var r = audience ? audienceRound(m) : null;
    if (r) {
      // The audience's own timer, and one re-render when it runs out (buttons off).
      text = audienceSub(m) || "";
      var late = timeIsUp(r);
      if (late !== aud.late) {
        aud.late = late;
        render(m.state);
        return;
      }
    }
    setText($("#sub"), text);
  }
  window.setInterval(tick, 200);

  /* ------------------------------------------------------------------ wake lock */

  /* A Screen Wake Lock needs a secure context (HTTPS or localhost); a phone on the venue's
   * plain-HTTP LAN has none, so it gets a visible hint instead. The lock is dropped by the
   * browser when the page is hidden, so it is requested again on visibilitychange. */
  var wakeWanted = false;
  var wakeLock = null;

  function wake(wanted) {
    wakeWanted = wanted;
    var supported = "wakeLock" in navigator && window.isSecureContext;
    $("#wake-hint").hidden = !wanted || (supported && wakeLock != null);
    if (!supported) return;
    if (wanted && !wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").then(
        function (lock) {
          wakeLock = lock;
          $("#wake-hint").hidden = true;
          lock.addEventListener("release", function () {
            wakeLock = null;
          });
        },
        function () {
          $("#wake-hint").hidden = false;
        },
      );
    } else if (!wanted && wakeLock) {
      wakeLock.release();
      wakeLock = null;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") wake(wakeWanted);
  });

  /* ------------------------------------------------------------------ connection */

  Q.on("status", function (s) {
    var dot = $("#conn-dot");
    dot.className = "conn-dot" + (s.status === "online" ? " is-online" : s.status === "connecting" ? "" : " is-offline");
    setText($("#conn-text"), t("conn." + (s.status === "error" ? "offline" : s.status)));
    if (!Q.lastState()) Q.setPhase("connecting");
    // Connection trouble goes on its own line: the state line keeps showing the match.
    var err = $("#conn-error");
    setText(err, s.status === "error" && s.error ? s.error.message : "");
    err.hidden = !(s.status === "error" && s.error);
    // Seated again (e.g. the host approved this phone's takeover): no stale 请稍候.
    if (s.status === "online" && $("#seat-error").dataset.pending === "1") showSeatError("");
    // A message about the seat (e.g. it moved to another phone) stays in view once online.
    if (s.status === "online" && $("#seat-error").textContent && !$("#seat-error").hidden) {
      $("#seat-form").hidden = false;
    }
    if (s.status !== "error" || !s.error) return;
    var code = s.error.code;
    if (code === "takeover_pending") {
      // The host has been asked to move the seat to this phone: keep the code and ask again.
      showSeatError(t("play.takeover_pending"));
      $("#seat-error").dataset.pending = "1";
      err.hidden = true; // the seat line already says it, in words
      window.setTimeout(Q.reconnect, 3000);
      return;
    }
    if (code === "unknown_seat" || code === "seat_taken" || code === "bad_auth") {
      // The code was wrong or taken: say so, forget it, and carry on as an audience phone.
      showSeatError(s.error.message);
      forgetSeat();
      window.setTimeout(Q.reconnect, 300);
    }
  });

  document.addEventListener(
    "pointerdown",
    function () {
      Q.sound.unlock();
    },
    { once: true },
  );

  if (Q.page.seat) {
    var code = Q.page.seat.toUpperCase();
    if (seatPattern.test(code) && Q.session) Q.session.setItem(SEAT_KEY, code);
  }

  Q.setRenderer(render);
  Q.connect({
    role: "player",
    auth: function () {
      return { seat: seat() || null };
    },
  });
})();
