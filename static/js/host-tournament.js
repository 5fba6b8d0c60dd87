/*
 * host-tournament.js: the tournament card of the host console (/host, docs/protocol.md §12).
 * A plain script loaded after host.js: it uses the console's command sender, dialog and
 * match settings (Q.hostConsole) and registers its renderer as Q.hostTournament, which
 * host.js calls with every `console` message.
 */
(function () {
  "use strict";

  var Q = window.Quiz;
  var t = Q.t;
  var $ = Q.$;
  var el = Q.el;
  var setText = Q.setText;
  var H = Q.hostConsole;
  var send = H.send;
  var showError = H.showError;
  var ask = H.ask;
  var matchSettings = H.matchSettings;
  var token = H.token;

  /* ------------------------------------------------------------------ the tournament */

  /* The tournament card (docs/protocol.md §12): import a contestant list, create the
   * schedule from the ticked contestants in list order (or drawn), then start each next
   * pairing, correct or clear results and undo. A pairing's match records its result by
   * itself when it ends. */
  var tour = null; // console.tournament
  var tourReplacing = false; // the host asked to start the tournament over
  var tourEditing = null; // the pairing whose result form is open
  var entrantTicks = {}; // contestant id -> ticked

  function tourIsLive() {
    return !!(tour && tour.live);
  }

  function renderTournament(c) {
    tour = c.tournament || null;
    var contestants = c.contestants || [];
    Q.fill(
      $("#tour-entrants"),
      contestants.map(function (p) {
        return el("label", {}, [
          el("input", {
            type: "checkbox",
            value: String(p.id),
            checked: entrantTicks[p.id] !== false,
            "data-testid": "tour-entrant-" + p.id,
            onchange: function (e) {
              entrantTicks[p.id] = e.target.checked;
            },
          }),
          " " + p.name,
        ]);
      }),
    );
    var usable = tour && Array.isArray(tour.matches);
    $("#tour-form").hidden = !!usable && !tourReplacing;
    var panel = $("#tour-panel");
    panel.hidden = !usable;
    if (!usable) {
      Q.fill(panel, []);
      if (tour && tour.broken) showError(t("host.tour.broken"));
      return;
    }
    Q.fill(panel, [tourSummary(), tourActions()].concat(tourAddPairing(), [tourTable(), tourMatches()]));
  }

  function entrantName(id) {
    var list = (tour && tour.entrants) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i].name;
    return "#" + id;
  }

  function tourSummary() {
    var parts = [t("host.tour.format." + tour.format), t("host.tour.count", { n: tour.entrants.length })];
    if (tour.draw_seed) parts.push(t("host.tour.drawn", { seed: tour.draw_seed }));
    var children = [el("div", { class: "ht-summary", text: parts.join(" · ") })];
    if (tour.finished && tour.champion) {
      children.push(el("div", { class: "ht-champion", "data-testid": "tour-champion", text: "★ " + t("display.tour.champion") + " " + tour.champion.name }));
    }
    return el("div", {}, children);
  }

  function tourActions() {
    var next = tour.next ? tourPairing(tour.next) : null;
    var startLabel = next
      ? t("host.tour.start_next", { label: Q.pairingLabel(tour, next), red: next.red.name, blue: next.blue.name })
      : t("host.tour.none_ready");
    var last = tour.undo && tour.undo.last;
    var buttons = [
      el("button", {
        type: "button",
        class: "h-btn is-ok",
        "data-testid": "tour-start-next",
        disabled: !next || tourIsLive() || !!(H.state() && H.state().match && H.state().match.status === "live"),
        text: startLabel,
        onclick: function () {
          send("start_next_match", {});
        },
      }),
      el("button", {
        type: "button",
        class: "h-btn",
        "data-testid": "tour-undo",
        disabled: !last || tourIsLive(),
        text: t("host.tour.undo"),
        onclick: function () {
          var text = t("host.tour.confirm_undo", { action: t("host.tour.action." + last.action), match: pairingText(last.match) });
          if (last.reset.length) text += " " + t("host.tour.confirm_reset", { matches: last.reset.map(pairingText).join("、") });
          ask(text, [{ label: t("host.tour.undo"), kbd: "Enter", value: "yes", danger: true }]).then(function (v) {
            if (v) send("undo_tournament", {});
          });
        },
      }),
      el("button", {
        type: "button",
        class: "h-btn is-danger",
        "data-testid": "tour-replace",
        text: t(tourReplacing ? "host.cancel" : "host.tour.replace"),
        onclick: function () {
          tourReplacing = !tourReplacing;
          if (H.console()) renderTournament(H.console());
        },
      }),
    ];
    return el("div", { class: "ht-actions" }, buttons);
  }

  function tourPairing(id) {
    for (var i = 0; i < tour.matches.length; i++) if (tour.matches[i].id === id) return tour.matches[i];
    return null;
  }

  function pairingText(id) {
    var p = tourPairing(id);
    return p ? Q.pairingLabel(tour, p) + " (" + id + ")" : id;
  }

  /* A manual event pairs contestants one match at a time. */
  function tourAddPairing() {
    if (tour.format !== "manual") return [];
    function picker(side) {
      return el(
        "select",
        { class: "ht-pick", "data-testid": "tour-pair-" + side },
        tour.entrants.map(function (e) {
          return el("option", { value: e.id, text: e.name });
        }),
      );
    }
    var red = picker("red");
    var blue = picker("blue");
    if (tour.entrants.length > 1) blue.value = tour.entrants[1].id;
    var round = el("input", { type: "number", min: "1", max: "999", class: "ht-num", "data-testid": "tour-pair-round", placeholder: t("host.tour.round") });
    var form = el("form", { class: "h-form h-inline ht-pair" }, [
      el("span", { class: "h-red-text", text: t("side.red") }),
      red,
      el("span", { class: "h-blue-text", text: t("side.blue") }),
      blue,
      round,
      el("button", { type: "submit", "data-testid": "tour-pair-add", text: t("host.tour.add_pairing") }),
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var args = { red: parseInt(red.value, 10), blue: parseInt(blue.value, 10) };
      if (round.value) args.round = parseInt(round.value, 10);
      send("add_pairing", args);
    });
    return [form];
  }

  /* Knockout places, or the standings with the tie rule that placed each row. */
  function tourTable() {
    if (tour.placements) {
      return el(
        "ol",
        { class: "h-list ht-table", "data-testid": "tour-table" },
        tour.placements.map(function (p) {
          return el("li", { text: (p.place ? t("host.tour.place", { n: p.place }) : t("host.tour.still_in")) + " · " + p.name });
        }),
      );
    }
    var head = el("tr", {}, ["rank", "name", "played", "wins", "losses", "games_won", "games_lost", "violations", "decided_by"].map(function (k) {
      return el("th", { text: t("display.tour.col." + k) });
    }));
    var rows = (tour.standings || []).map(function (r) {
      return el("tr", {}, [r.rank, r.name, r.played, r.wins, r.losses, r.games_won, r.games_lost, r.violations, r.decided_by ? t("display.tour.by." + r.decided_by) : ""].map(function (v) {
        return el("td", { text: v });
      }));
    });
    return el("table", { class: "ht-table", "data-testid": "tour-table" }, [el("thead", {}, head), el("tbody", {}, rows)]);
  }

  function tourMatches() {
    return el(
      "ol",
      { class: "h-list ht-matches", "data-testid": "tour-matches" },
      tour.matches.map(function (p) {
        var red = p.red ? p.red.name : t(p.status === "bye" ? "display.tour.bye" : "display.tour.tbd");
        var blue = p.blue ? p.blue.name : t(p.status === "bye" ? "display.tour.bye" : "display.tour.tbd");
        var status = p.id === tour.live ? t("host.match_status.live") : t("host.tour.status." + p.status);
        var parts = [
          el("span", { class: "ht-label", text: Q.pairingLabel(tour, p) + " " + p.id }),
          el("span", { class: "h-red-text", text: red }),
          " vs ",
          el("span", { class: "h-blue-text", text: blue }),
          " · " + status,
        ];
        if (p.result) {
          parts.push(" · " + p.result.games[0] + ":" + p.result.games[1]);
          if (p.result.forfeit) parts.push(" · " + t("host.tour.forfeit"));
          if (p.result.violations[0] || p.result.violations[1]) {
            parts.push(" · " + t("host.tour.violations", { red: p.result.violations[0], blue: p.result.violations[1] }));
          }
        }
        var cls = p.id === tour.next ? "is-next" : "";
        var row = [el("span", {}, parts)];
        var editable = (p.status === "ready" || p.status === "done") && p.id !== tour.live && !tourIsLive();
        if (editable) {
          row.push(
            el("button", {
              type: "button",
              class: "h-btn h-btn-small",
              "data-testid": "tour-edit-" + p.id,
              text: t(p.result ? "host.tour.correct" : "host.tour.enter"),
              onclick: function () {
                tourEditing = tourEditing === p.id ? null : p.id;
                if (H.console()) renderTournament(H.console());
              },
            }),
          );
        }
        if (editable && p.result) {
          row.push(
            el("button", {
              type: "button",
              class: "h-btn h-btn-small is-danger",
              "data-testid": "tour-clear-" + p.id,
              text: t("host.tour.clear"),
              onclick: function () {
                ask(t("host.tour.confirm_clear", { match: pairingText(p.id) }), [{ label: t("host.tour.clear"), kbd: "Enter", value: "yes", danger: true }]).then(function (v) {
                  if (v) send("clear_result", { pairing: p.id });
                });
              },
            }),
          );
        }
        if (editable && tourEditing === p.id) row.push(resultForm(p));
        return el("li", { class: cls, "data-pairing": p.id }, row);
      }),
    );
  }

  /* Enter or correct a result: winner, games and early buzzes (违规) per side. */
  function resultForm(p) {
    var r = p.result || { winner: "red", games: [0, 0], violations: [0, 0], forfeit: false };
    function num(value, testid, max) {
      return el("input", { type: "number", min: "0", max: String(max), value: String(value), class: "ht-num", "data-testid": testid });
    }
    var winner = el("select", { "data-testid": "tour-result-winner" }, ["red", "blue"].map(function (side) {
      return el("option", { value: side, text: Q.sideName(side) + " · " + (p[side] ? p[side].name : "") });
    }));
    winner.value = r.winner;
    var gRed = num(r.games[0], "tour-result-games-red", 99);
    var gBlue = num(r.games[1], "tour-result-games-blue", 99);
    var vRed = num(r.violations[0], "tour-result-violations-red", 999);
    var vBlue = num(r.violations[1], "tour-result-violations-blue", 999);
    var forfeit = el("input", { type: "checkbox", checked: r.forfeit, "data-testid": "tour-result-forfeit" });
    var form = el("form", { class: "h-form h-grid ht-result" }, [
      el("label", { class: "h-wide" }, [t("host.tour.winner"), winner]),
      el("label", {}, [t("host.tour.games", { side: Q.sideName("red") }), gRed]),
      el("label", {}, [t("host.tour.games", { side: Q.sideName("blue") }), gBlue]),
      el("label", {}, [t("host.tour.early", { side: Q.sideName("red") }), vRed]),
      el("label", {}, [t("host.tour.early", { side: Q.sideName("blue") }), vBlue]),
      el("label", { class: "ht-check h-wide" }, [forfeit, " " + t("host.tour.forfeit")]),
      el("button", { type: "submit", class: "h-wide", "data-testid": "tour-result-save", text: t("host.tour.save") }),
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var values = [gRed, gBlue, vRed, vBlue].map(function (input) {
        return parseInt(input.value, 10);
      });
      if (values.some(isNaN)) return showError(t("host.tour.error.numbers"));
      send("correct_result", {
        pairing: p.id,
        winner: winner.value,
        games: values.slice(0, 2),
        violations: values.slice(2),
        forfeit: forfeit.checked,
      }).then(function (ack) {
        if (ack.ok) {
          tourEditing = null;
          if (H.console()) renderTournament(H.console());
        }
      });
    });
    return form;
  }

  $("#tour-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var entrants = Q.$all("#tour-entrants input")
      .filter(function (i) {
        return i.checked;
      })
      .map(function (i) {
        return parseInt(i.value, 10);
      });
    if (entrants.length < 2) return showError(t("host.tour.error.entrants"));
    var settings = matchSettings();
    if (!settings) return;
    var args = {
      format: $("#tour-format").value,
      entrants: entrants,
      third_place: $("#tour-third").checked,
      rules: settings.rules,
      filter: settings.filter,
    };
    var seed = $("#tour-seed").value.trim();
    if ($("#tour-seeding").value === "draw") {
      if (seed) args.seed = seed;
      else args.shuffle = true;
    }
    if (tourReplacing) args.replace = true;
    send("create_tournament", args).then(function (ack) {
      if (ack.ok) tourReplacing = false;
    });
  });

  /* The list goes up as a form post with the host token in a header (docs/protocol.md §12);
   * the new contestants arrive with the next `console`. */
  $("#import-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("#import-file");
    var file = input.files && input.files[0];
    if (!file) return showError(t("host.tour.error.no_file"));
    var data = new FormData();
    data.append("file", file);
    var out = $("#import-result");
    setText(out, t("host.tour.importing"));
    fetch("/host/contestants/import", { method: "POST", headers: { "X-Host-Token": token() }, body: data })
      .then(function (response) {
        return response.json().catch(function () {
          // Not JSON: refused in front of the route (the body limit answers 413 in plain text).
          var code = response.status === 413 ? "too_large" : "http_" + response.status;
          return { ok: false, error: { code: code, message: "HTTP " + response.status } };
        });
      })
      .then(function (body) {
        if (body.ok) {
          input.value = "";
          // The listed contestants are the ones ticked for the next tournament.
          Object.keys(entrantTicks).forEach(function (id) {
            entrantTicks[id] = false;
          });
          ((H.console() && H.console().contestants) || []).forEach(function (p) {
            entrantTicks[p.id] = false;
          });
          body.contestants.forEach(function (id) {
            entrantTicks[id] = true;
          });
          setText(out, t("host.tour.imported", { added: body.added.length, existing: body.existing.length }));
          showError("");
          if (H.console()) renderTournament(H.console());
          return;
        }
        var problems = (body.problems || []).slice(0, 5).map(function (p) {
          return (p.row ? t("host.tour.row", { n: p.row }) + " " : "") + p.message;
        });
        setText(out, t("host.tour.import_failed") + " " + problems.join("；"));
        showError(t("host.command_failed", { command: t("host.tour.import"), message: Q.errorText(body.error.code, body.error.message) }));
      })
      .catch(function () {
        setText(out, t("host.tour.import_failed"));
        showError(Q.errorText("offline"));
      });
  });

  Q.hostTournament = { render: renderTournament };
})();
