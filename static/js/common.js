/*
 * common.js: what every page shares. The socket connection (auth, device id, seq check,
 * reconnect and resync), clock sync, the message catalog t(), safe DOM building, reading the
 * state snapshot (docs/protocol.md), fit-text, the Web Audio sound synthesiser and the test
 * hooks. Classic script, ES2017, no modules: older WeChat browsers lack them.
 *
 * Exposes one global, window.Quiz.
 */
(function () {
  "use strict";

  var SIDES = ["red", "blue"];
  var body = document.body;

  /* ---------------------------------------------------------------- page data and catalog */

  function readJson(id, fallback) {
    var node = document.getElementById(id);
    if (!node) return fallback;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return fallback;
    }
  }

  var catalog = readJson("quiz-catalog", {});
  var page = readJson("quiz-page", {});
  var lang = body.getAttribute("data-lang") || "zh-CN";

  /* t("key", {name: value}): the catalog text with {placeholders} filled. A missing key
   * shows the key itself, which a test catches, instead of a blank on the LED wall. With
   * {n: 1} a "key.one" entry, if the catalog has one, is the singular ("1 pt", not "1 pts"). */
  function t(key, params) {
    if (params && params.n === 1 && Object.prototype.hasOwnProperty.call(catalog, key + ".one")) key += ".one";
    var text = Object.prototype.hasOwnProperty.call(catalog, key) ? catalog[key] : key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  /* A bilingual value {zh, en} (or a plain string) in the page language. */
  function pick(value) {
    if (value == null) return "";
    if (typeof value === "string") return value;
    var first = lang === "en" ? value.en : value.zh;
    var second = lang === "en" ? value.zh : value.en;
    return String(first || second || "");
  }

  /* ------------------------------------------------------------------------ DOM helpers */

  /* el("div", {class: "x", "data-testid": "y"}, [children or strings]). Strings become text
   * nodes, so nothing a user typed is ever parsed as HTML. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value == null || value === false) return;
        if (name === "text") node.textContent = String(value);
        // Through the CSSOM: the pages' Content-Security-Policy refuses style attributes.
        else if (name === "style") node.style.cssText = String(value);
        else if (name.indexOf("on") === 0 && typeof value === "function") {
          node.addEventListener(name.slice(2), value);
        } else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    if (children == null) return node;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child == null || child === false) return;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  /* Replace all children (the one way pages rebuild a region). */
  function fill(node, children) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return append(node, children);
  }

  /* Set text only when it changed: cheaper, and keeps fit-text results stable. */
  function setText(node, text) {
    if (!node) return;
    text = text == null ? "" : String(text);
    if (node.textContent !== text) node.textContent = text;
  }

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function $all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function setPhase(phase) {
    if (body.dataset.phase !== phase) body.dataset.phase = phase;
  }

  /* -------------------------------------------------------------------- storage, ids */

  function storage(kind) {
    try {
      var s = window[kind];
      s.setItem("quiz.probe", "1");
      s.removeItem("quiz.probe");
      return s;
    } catch (e) {
      return null; // private mode or disabled storage: the page still works, just forgets
    }
  }

  var local = storage("localStorage");
  var session = storage("sessionStorage");

  function randomId(length) {
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    var bytes = new Uint8Array(length);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
    var out = "";
    for (var j = 0; j < length; j++) out += alphabet[bytes[j] % alphabet.length];
    return out;
  }

  /* The persistent device id: a reloaded phone reconnects to the same seat with it. */
  function deviceId() {
    var id = local && local.getItem("quiz.device");
    if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      id = randomId(22);
      if (local) local.setItem("quiz.device", id);
    }
    return id;
  }

  var commandCounter = 0;
  function commandId() {
    commandCounter += 1;
    return deviceId().slice(0, 8) + "-" + Date.now().toString(36) + "-" + commandCounter;
  }

  /* ------------------------------------------------------------------------ clock sync */

  /* The offset between performance.now() and the server clock comes from fair.js (the
   * algorithm of quiz/fair/clock.py); `synced` once a real `sync` round trip came back. */
  var syncer = new window.QuizFair.Syncer(function (payload, done) {
    if (!socket || !socket.connected) return done(new Error("offline"));
    socket.timeout(3000).emit("sync", payload, done);
  });
  var clock = { offset: null, rtt: null, synced: false, rough: null, fair: syncer.clock };

  function syncEstimate() {
    var est = syncer.clock.estimate;
    clock.synced = !!est;
    clock.offset = est ? est.offsetAt(performance.now()) : null;
    clock.rtt = syncer.rtt;
    return est;
  }
  syncer.onSample = syncEstimate;

  /* Server ms now: synced offset, else the rough offset from the last state's `now`. */
  function serverNow() {
    var p = performance.now();
    var est = syncEstimate();
    if (est) return est.toServer(p);
    if (clock.rough != null) return p + clock.rough;
    return Date.now();
  }

  /* A press time in server ms, or null when unsynced (the server then uses arrival). */
  function pressAt(perfTime) {
    var est = syncEstimate();
    return est ? Math.round(est.toServer(perfTime)) : null;
  }

  /* ------------------------------------------------------------------------ the socket */

  var listeners = { state: [], status: [], console: [], audience: [], notice: [] };
  /* Audience play-along and prize draws (docs/protocol.md §14): passed on as they come. */
  // The satisfaction survey and the LED playlist (§14, §16) come the same way.
  var AUDIENCE_EVENTS = ["audience_round", "audience_you", "audience_screen", "audience_admin", "survey", "playlist"];
  AUDIENCE_EVENTS.forEach(function (name) {
    listeners[name] = [];
  });
  var socket = null;
  var last = { seq: -1, eventId: null, matchId: null, role: null, resync: true, state: null, trev: null };
  var frozen = false; // set by the test render hook: socket states no longer render
  var connStatus = { status: "connecting", error: null };

  function on(name, fn) {
    listeners[name].push(fn);
  }

  function emit(name, value) {
    listeners[name].forEach(function (fn) {
      try {
        fn(value);
      } catch (e) {
        if (window.console) window.console.error(e);
      }
    });
  }

  function setStatus(status, error) {
    connStatus = { status: status, error: error || null };
    body.dataset.conn = status;
    emit("status", connStatus);
  }

  /* Protocol rule: drop a state whose seq is not newer, unless the event or match changed;
   * right after a (re)connect the next state is taken as is (the server may have restarted).
   * A change of role (a seated phone moving from the audience view to its side's view when
   * its match starts) is a different view of the same seq, so it is taken too. */
  function acceptState(state) {
    if (!state || typeof state !== "object") return false;
    var eventId = state.event ? state.event.id : null;
    var matchId = state.match ? state.match.id : null;
    var seq = typeof state.seq === "number" ? state.seq : 0;
    var role = state.role || null;
    // The tournament changes between matches, when seq does not move: its own revision
    // (docs/protocol.md §12) makes such a state new.
    var trev = state.tournament && typeof state.tournament.rev === "number" ? state.tournament.rev : null;
    var fresh =
      last.resync ||
      eventId !== last.eventId ||
      matchId !== last.matchId ||
      role !== last.role ||
      (trev != null && (last.trev == null || trev > last.trev));
    if (!fresh && seq <= last.seq) return false;
    // A seated phone may also get the audience's view of its own match while the server
    // regroups rooms at match start; within one match the side's view is never downgraded
    // (losing the seat disconnects, and a reconnect resyncs).
    if (!last.resync && last.role === "player" && role === "audience" && matchId === last.matchId) {
      return false;
    }
    last = { seq: seq, eventId: eventId, matchId: matchId, role: role, resync: false, state: state, trev: trev };
    if (typeof state.now === "number") clock.rough = state.now - performance.now();
    return true;
  }

  function deliver(state) {
    if (frozen || !acceptState(state)) return;
    emit("state", state);
  }

  // A phone that slept may come back with a paused performance.now(): sync afresh.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && socket && socket.connected) syncer.reanchor();
  });

  /* connect({role, auth: fn returning extra auth fields}) */
  function connect(options) {
    if (typeof window.io !== "function") {
      setStatus("error", { code: "no_client", message: t("error.no_client") });
      return null;
    }
    socket = window.io({
      path: page.socketio_path || "/socket.io",
      // WebSocket first, long-polling only if it fails: no upgrade in flight. The client
      // closes its transport when the server refuses the connect (a wrong seat code, a bad
      // token); closing it in the middle of a polling-to-WebSocket upgrade broke the socket
      // ("Invalid frame header", then 400s) on about half of the refusals. One request per
      // phone instead of three also lightens a join storm.
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      auth: function (cb) {
        var auth = { v: 1, role: options.role, device: deviceId(), lang: lang };
        var extra = options.auth ? options.auth() : {};
        Object.keys(extra).forEach(function (k) {
          if (extra[k] != null && extra[k] !== "") auth[k] = extra[k];
        });
        cb(auth);
      },
      reconnectionDelay: 500,
      // The LED wall must show the state within 1 s of the server being back
      // (docs/reliability.md); phones back off further so hundreds do not retry in step.
      reconnectionDelayMax: options.role === "display" ? 500 : 3000,
      timeout: 8000,
    });
    socket.on("connect", function () {
      last.resync = true;
      setStatus("online");
      syncer.burst();
    });
    socket.on("disconnect", function (reason) {
      setStatus("offline");
      // The server closed us on purpose (e.g. a seat was re-issued): reconnect by hand so
      // the page learns the reason from connect_error instead of going silent.
      if (reason === "io server disconnect") {
        window.setTimeout(function () {
          socket.connect();
        }, 1000);
      }
    });
    socket.on("connect_error", function (err) {
      var data = (err && err.data) || {};
      var code = data.code || "connect_failed";
      var error = { code: code, message: errorText(code, data.message || (err && err.message)) };
      setStatus("error", error);
      // A refusal by the server (bad token, unknown seat) is not retried by the client
      // library; a network failure is. Pages offer a retry for refusals.
    });
    socket.on("state", deliver);
    socket.on("console", function (c) {
      emit("console", c);
    });
    // Why the server is about to close this socket (e.g. seat_moved, docs/protocol.md §13).
    socket.on("notice", function (n) {
      if (n && typeof n === "object") emit("notice", n);
    });
    socket.on("audience", function (a) {
      emit("audience", a);
    });
    AUDIENCE_EVENTS.forEach(function (name) {
      socket.on(name, function (m) {
        emit(name, m);
      });
    });
    // Contestant phones and the LED wall need the sharpest clock; audience phones (a player
    // without a seat) sync half as often, which halves the load of a full hall.
    syncer.start(function () {
      var extra = options.role === "player" && options.auth ? options.auth() : null;
      var seated = !extra || !!extra.seat;
      return (seated ? 1 : 2) * window.QuizFair.SYNC_INTERVAL_MS;
    });
    return socket;
  }

  /* Connect again with fresh auth (a new token, a forgotten seat). A refused socket's
   * transport was closed by the client library; connect() opens a new one. */
  function reconnect() {
    if (!socket) return;
    if (socket.connected) socket.disconnect();
    socket.connect();
  }

  /* command(type, args) -> Promise of the ack. Never rejects: failures come back as
   * {ok: false, error: {code, message}} with the message already translated. */
  function command(type, args, withSeq) {
    return new Promise(function (resolve) {
      if (!socket || !socket.connected) {
        resolve({ ok: false, error: { code: "offline", message: errorText("offline") } });
        return;
      }
      var payload = { id: commandId(), type: type };
      if (args) {
        Object.keys(args).forEach(function (k) {
          payload[k] = args[k];
        });
      }
      if (withSeq) payload.seq = last.seq < 0 ? 0 : last.seq;
      socket.timeout(5000).emit("command", payload, function (err, ack) {
        if (err) {
          resolve({ ok: false, error: { code: "timeout", message: errorText("timeout") } });
          return;
        }
        if (!ack || ack.ok !== true) {
          var e = (ack && ack.error) || {};
          var code = e.code || "internal";
          resolve({ ok: false, error: { code: code, message: errorText(code, e.message) } });
          return;
        }
        resolve(ack);
      });
    });
  }

  /* The catalog's words for an error code; the server's English message is the fallback. */
  function errorText(code, fallback) {
    var key = "error." + code;
    if (Object.prototype.hasOwnProperty.call(catalog, key)) return t(key);
    return t("error.generic", { code: code, message: fallback || "" });
  }

  /* ------------------------------------------------------------- reading the snapshot */

  function answerLetters(answer) {
    var list = Array.isArray(answer) ? answer : answer ? [answer] : null;
    if (!list) return null;
    return list.filter(function (a) {
      return typeof a === "string";
    });
  }

  function openAnswers(q) {
    var texts = [];
    [q.accepted, q.answer_text, q.answer].forEach(function (list) {
      if (!Array.isArray(list)) return;
      list.forEach(function (a) {
        var text = a && typeof a === "object" ? pick(a) : "";
        if (text && texts.indexOf(text) < 0) texts.push(text);
      });
    });
    return texts.length ? texts : null;
  }

  function num(value, fallback) {
    return typeof value === "number" && isFinite(value) ? value : fallback;
  }

  function sideList(value) {
    if (!Array.isArray(value)) return [];
    return value.filter(function (s) {
      return s === "red" || s === "blue";
    });
  }

  /* The one place that interprets the snapshot (docs/protocol.md §3 and §8); every view
   * renders from this model, so a protocol change is fixed here once. */
  function model(state) {
    var m = (state && state.match) || null;
    var eng = (m && m.engine) || {};
    var rules = (m && m.rules) || {};
    // A contestant phone back on the seat of its finished match: no match, its result (§3).
    var result = (!m && state && state.you && state.you.result) || null;
    var phase = m ? m.phase || eng.phase || "ready" : result ? "finished" : "attract";
    // Games won per side: `score` in the engine snapshot (its `games` is the list of games).
    var games = eng.score && typeof eng.score === "object" ? eng.score : {};
    if (result) games = result.games || {};
    var sides = {};
    SIDES.forEach(function (s) {
      var side = (m && m.sides && m.sides[s]) || {};
      sides[s] = {
        key: s,
        name: side.name || (result && result.names && result.names[s]) || "",
        // null when the server does not say (then the host console asks its seat list).
        online: typeof side.online === "boolean" ? side.online : null,
        games: num(games[s], 0),
      };
    });
    var q = (m && m.question) || null;
    var question = null;
    if (q) {
      question = {
        id: q.id,
        code: q.code || "",
        kind: q.kind || (q.options && q.options.length ? "choice" : "open"),
        // A multiple-choice question: its key is a set of letters, picked then submitted.
        multiple: q.multiple === true || q.kind === "multiple",
        category: q.category || "",
        difficulty: q.difficulty,
        prompt: pick(q.prompt),
        options: (q.options || []).map(function (o, i) {
          return { key: o.key || String.fromCharCode(65 + i), text: pick(o) };
        }),
        // Letters of a choice question; an open question's accepted answers ({zh, en} each,
        // `accepted` after judging) are shown as text in the page's language, never raw.
        answer: answerLetters(q.answer),
        answerText: openAnswers(q),
        explanation: q.explanation ? pick(q.explanation) : "",
      };
    }
    var attempts = Array.isArray(eng.attempts) ? eng.attempts : [];
    var lastAttempt = attempts.length ? attempts[attempts.length - 1] : null;
    var outcome = eng.outcome || null;
    var winner = (outcome && outcome.winner) || eng.match_winner || (result && result.winner) || null;
    var gamesToWin = num(rules.games_to_win, num(eng.games_to_win, 3));
    var matchPoint = sideList(eng.match_point);
    if (!eng.match_point && phase !== "finished") {
      matchPoint = SIDES.filter(function (s) {
        return sides[s].games === gamesToWin - 1;
      });
    }
    var deadline = null;
    if (phase === "countdown") deadline = num(eng.opens_at, null);
    else if (phase === "buzzing") deadline = num(eng.buzz_deadline, null);
    else if (phase === "answering") deadline = num(eng.answer_deadline, null);
    else if (phase === "arbitrating") deadline = num(eng.arbitration_until, null);
    var total = null;
    if (phase === "countdown") total = num(rules.pre_countdown_ms, null);
    else if (phase === "buzzing") {
      total = eng.rebound ? num(rules.rebound_buzz_window_ms, null) : num(rules.buzz_window_ms, null);
    } else if (phase === "answering") {
      total = eng.rebound
        ? num(rules.rebound_answer_time_ms, null)
        : num(q && q.answer_time_ms, num(rules.answer_time_ms, null));
    }
    return {
      state: state,
      role: state ? state.role : null,
      phase: phase,
      paused: !!(m && (m.paused || eng.paused_at)),
      event: (state && state.event) || {},
      match: m,
      matchId: m ? m.id : null,
      matchNo: m ? num(m.number, null) : null,
      gameNo: num(eng.game_no, num(eng.game, null)),
      gamesToWin: gamesToWin,
      bestOf: gamesToWin * 2 - 1,
      sides: sides,
      question: question,
      answering: eng.answering || null,
      eligible: Array.isArray(eng.eligible) ? sideList(eng.eligible) : SIDES.slice(),
      lockouts: sideList(eng.lockouts),
      violations: Array.isArray(eng.violations) ? eng.violations : [],
      buzzes: Array.isArray(eng.buzzes) ? eng.buzzes : [],
      tied: sideList(eng.tied),
      rebound: !!eng.rebound,
      questionWinner: eng.winner || null,
      voidReason: eng.void_reason || null,
      lastAttempt: lastAttempt,
      outcome: outcome,
      result: result,
      winner: winner,
      matchPoint: matchPoint,
      deadline: deadline,
      deadlineTotal: total,
      you: (state && state.you) || null,
      moment: (state && state.moment) || null,
    };
  }

  /* The synchronised opening: buzzing opens at the server instant `opens_at`, which each page
   * meets on its own synced clock rather than when the `buzzing` state (sent at that instant)
   * happens to arrive. Returns the model to render (a countdown that has reached its instant
   * renders as buzzing) and calls `rerender` once at the instant if it is still ahead. */
  var openingTimer = null;
  function syncOpening(m, rerender) {
    if (openingTimer) window.clearTimeout(openingTimer);
    openingTimer = null;
    var eng = (m && m.match && m.match.engine) || {};
    var opensAt = num(eng.opens_at, null);
    if (!m || m.phase !== "countdown" || m.paused || opensAt == null) return m;
    var wait = opensAt - serverNow();
    if (wait > 0) {
      openingTimer = window.setTimeout(rerender, Math.ceil(wait));
      return m;
    }
    var rules = (m.match && m.match.rules) || {};
    var windowMs = num(rules.buzz_window_ms, null);
    var open = {};
    for (var k in m) if (Object.prototype.hasOwnProperty.call(m, k)) open[k] = m[k];
    open.phase = "buzzing";
    open.deadline = windowMs == null ? null : opensAt + windowMs;
    open.deadlineTotal = windowMs;
    return open;
  }

  /* A question category's name (bank files use "anti-fraud", the server may send
   * "anti_fraud"); an unknown one shows as sent. */
  function categoryName(cat) {
    if (!cat) return "";
    var key = "category." + String(cat).replace(/-/g, "_");
    return Object.prototype.hasOwnProperty.call(catalog, key) ? catalog[key] : String(cat);
  }

  function sideName(side) {
    return side ? t("side." + side) : "";
  }

  /* The name of a tournament pairing for people: 决赛, 半决赛, 季军赛, 第2轮 … */
  function pairingLabel(tour, pairing) {
    if (pairing.id === "3P") return t("display.tour.third");
    var left = tour.format === "single_elimination" ? tour.rounds - pairing.round : -1;
    if (left === 0) return t("display.tour.final");
    if (left === 1) return t("display.tour.semi");
    if (left === 2) return t("display.tour.quarter");
    if (left === 3) return t("display.tour.eighth");
    return t("display.tour.round", { n: pairing.round });
  }

  /* Remaining whole seconds until a server-ms deadline (never negative). */
  function secondsLeft(deadline) {
    if (deadline == null) return null;
    return Math.max(0, Math.ceil((deadline - serverNow()) / 1000));
  }

  /* ----------------------------------------------------------------------- fit-text */

  function fits(node) {
    return node.scrollHeight <= node.clientHeight && node.scrollWidth <= node.clientWidth;
  }

  /* Largest font size (px) at which the node's content fits its own box: binary search
   * between `min` and `max`. The box must get its size from the layout, not its text. */
  function fitText(node, maxPx, minPx) {
    var lo = minPx || 6;
    var hi = Math.max(lo, maxPx);
    node.style.fontSize = hi + "px";
    if (node.clientHeight === 0 || fits(node)) return hi;
    for (var i = 0; i < 16 && hi - lo > 0.5; i++) {
      var mid = (lo + hi) / 2;
      node.style.fontSize = mid + "px";
      if (fits(node)) lo = mid;
      else hi = mid;
    }
    node.style.fontSize = lo + "px";
    return lo;
  }

  /* Fit every visible [data-fit] node under root. data-fit is the largest size in vmin;
   * nodes sharing data-fit-group end at the group's smallest size, so options A–D match. */
  function fitAll(root) {
    var vmin = Math.min(window.innerWidth, window.innerHeight) / 100;
    var groups = {};
    $all("[data-fit]", root).forEach(function (node) {
      if (!node.offsetParent && node !== document.body) return; // hidden
      var max = parseFloat(node.getAttribute("data-fit")) * vmin;
      var size;
      if (node.hasAttribute("data-fit-line")) {
        // Names read best on one line; a long one may wrap if one line would be tiny.
        node.style.whiteSpace = "nowrap";
        size = fitText(node, max, 6);
        if (size < 0.45 * max) {
          node.style.whiteSpace = "normal";
          var wrapped = fitText(node, max, 6);
          if (wrapped > size * 1.25) size = wrapped;
          else {
            node.style.whiteSpace = "nowrap";
            size = fitText(node, max, 6);
          }
        }
      } else {
        size = fitText(node, max, 6);
      }
      var group = node.getAttribute("data-fit-group");
      if (group) {
        if (!groups[group]) groups[group] = [];
        groups[group].push({ node: node, size: size });
      }
    });
    Object.keys(groups).forEach(function (name) {
      var smallest = Math.min.apply(
        null,
        groups[name].map(function (g) {
          return g.size;
        }),
      );
      groups[name].forEach(function (g) {
        g.node.style.fontSize = smallest + "px";
      });
    });
  }

  /* How far below its largest size the text of a region is: the smallest size/max of its
   * visible [data-fit] nodes (1: all at their largest). A node that overflows even at the
   * size it ended with counts as smaller still, by the square root of its overflow (wrapped
   * text needs height in proportion to the square of its size). Also the height the region
   * could give away (its nodes' spare height, per row of nodes) and whether all of it fits. */
  function regionFit(region, vmin) {
    var out = { ratio: 1, spare: Infinity, fits: true, height: region.offsetHeight };
    var rows = {};
    var nodes = region.hasAttribute("data-fit") ? [region] : $all("[data-fit]", region);
    nodes.forEach(function (node) {
      if (!node.offsetParent) return;
      var max = parseFloat(node.getAttribute("data-fit")) * vmin;
      var ratio = parseFloat(node.style.fontSize) / max;
      if (!fits(node)) {
        out.fits = false;
        var overH = node.clientHeight / node.scrollHeight;
        ratio *= Math.sqrt(Math.min(overH, node.clientWidth / node.scrollWidth));
      }
      out.ratio = Math.min(out.ratio, ratio);
      var range = document.createRange();
      range.selectNodeContents(node);
      out.spare = Math.min(out.spare, node.clientHeight - range.getBoundingClientRect().height);
      rows[Math.round(node.getBoundingClientRect().top)] = true;
    });
    out.spare = out.spare === Infinity ? 0 : Math.max(0, out.spare) * Object.keys(rows).length;
    return out;
  }

  /* Share a grid's height among the text regions in its rows, so that a long question's
   * options do not end at the smallest size (or overflow) while its prompt keeps three times
   * theirs. `rows` lists the grid's rows in order, one element each: {el, fixed} keeps the
   * row's height, {el, min} is a text region given at least `min` px. Call it after fitAll
   * with the grid's own rows (style.gridTemplateRows unset). First a region at its largest
   * size keeps it and gives away only its spare height, the smaller ones sharing the rest so
   * that each ends at the same fraction of its largest size; if some region still ends below
   * SHARE_ALIKE of its largest, all regions share alike. Leftover height goes to the first
   * region. Height grows with the square of the text size only roughly (padding, gaps), so a
   * few rounds correct the estimate; the grid's own rows stay unless a round does clearly
   * better (by 5% of the largest size), so the smallest text never gets smaller than with
   * the grid's own rows. */
  function shareRows(grid, rows) {
    var vmin = Math.min(window.innerWidth, window.innerHeight) / 100;
    function measure() {
      return rows.map(function (r) {
        return r.fixed ? { height: r.el.offsetHeight, fixed: true } : regionFit(r.el, vmin);
      });
    }
    function score(fitsOf) {
      var regions = fitsOf.filter(function (f) {
        return !f.fixed;
      });
      var worst = Math.min.apply(
        null,
        regions.map(function (f) {
          return f.ratio;
        }),
      );
      return regions.every(function (f) {
        return f.fits;
      })
        ? worst
        : worst - 1;
    }
    var now = measure();
    var regions = rows.filter(function (r) {
      return !r.fixed;
    });
    if (regions.length < 2) return;
    var best = { score: score(now), heights: null };
    if (best.score >= 0.995) return; // every region at its largest size already
    [true, false].forEach(function (keep) {
      if (!keep && best.score >= SHARE_ALIKE) return;
      for (var round = 0; round < 3; round++) {
        var heights = planRows(now, rows, keep);
        setRows(grid, heights);
        fitAll(grid);
        now = measure();
        var s = score(now);
        // Leaving the grid's own rows must be worth it: a clear gain for the smallest text.
        if (s > best.score + (best.heights ? 0.005 : 0.05)) best = { score: s, heights: heights };
      }
    });
    setRows(grid, best.heights);
    fitAll(grid);
  }

  var SHARE_ALIKE = 0.75;

  /* One round of shareRows: the rows' next heights (px) from what they measure now; `keep`:
   * a region at its largest size keeps it. */
  function planRows(now, rows, keep) {
    var total = 0;
    var heights = [];
    var need = {}; // the growing regions: their height at their largest size (square law)
    now.forEach(function (f, i) {
      total += f.height;
      if (f.fixed) heights[i] = f.height;
      else if (f.ratio < 0.995) need[i] = f.height / Math.pow(Math.max(f.ratio, 0.05), 2);
      else if (keep) heights[i] = Math.max(rows[i].min || 0, f.height - f.spare);
      else need[i] = f.height - f.spare;
    });
    // Shared in proportion to need; a region under its floor gets the floor and leaves the
    // sharing, and the others share again.
    for (var again = true; again; ) {
      again = false;
      var free = total;
      var wanted = 0;
      heights.forEach(function (h, i) {
        if (h != null && !(i in need)) free -= h;
      });
      Object.keys(need).forEach(function (i) {
        wanted += need[i];
      });
      var scale = Math.min(1, Math.max(0, free) / Math.max(wanted, 1));
      Object.keys(need).forEach(function (i) {
        heights[i] = need[i] * scale;
        if (rows[i].min && heights[i] < rows[i].min) {
          heights[i] = rows[i].min;
          delete need[i];
          again = true;
        }
      });
    }
    var used = heights.reduce(function (a, b) {
      return a + b;
    }, 0);
    var first = rows.findIndex(function (r) {
      return !r.fixed;
    });
    heights[first] += Math.max(0, total - used);
    return heights;
  }

  /* Rows in proportion to `heights` (px), or the grid's own rows for null. */
  function setRows(grid, heights) {
    grid.style.gridTemplateRows = heights
      ? heights
          .map(function (h) {
            return "minmax(0, " + Math.max(0.01, h).toFixed(2) + "fr)";
          })
          .join(" ")
      : "";
  }

  /* ----------------------------------------------------------------- sound synthesiser */

  /* Every sound is made here with oscillators: no audio files, nothing fetched. Browsers
   * only allow audio after a user gesture, so pages call sound.unlock() from one. */
  var sound = (function () {
    var ctx = null;
    var muted = local ? local.getItem("quiz.muted") === "1" : false;

    function unlock() {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return false;
      if (!ctx) ctx = new AC();
      if (ctx.state === "suspended") ctx.resume();
      return true;
    }

    function tone(freq, start, duration, type, gain, slideTo) {
      var osc = ctx.createOscillator();
      var amp = ctx.createGain();
      var t0 = ctx.currentTime + start;
      osc.type = type || "sine";
      osc.frequency.setValueAtTime(freq, t0);
      if (slideTo) osc.frequency.exponentialRampToValueAtTime(slideTo, t0 + duration);
      amp.gain.setValueAtTime(0.0001, t0);
      amp.gain.exponentialRampToValueAtTime(gain || 0.25, t0 + 0.01);
      amp.gain.exponentialRampToValueAtTime(0.0001, t0 + duration);
      osc.connect(amp);
      amp.connect(ctx.destination);
      osc.start(t0);
      osc.stop(t0 + duration + 0.02);
    }

    function notes(list, type, gain) {
      list.forEach(function (n) {
        tone(n[0], n[1], n[2], type, gain);
      });
    }

    var library = {
      open: function () {
        notes([[660, 0, 0.12], [880, 0.1, 0.12], [1320, 0.2, 0.25]], "triangle", 0.3);
      },
      buzz_red: function () {
        notes([[523, 0, 0.1], [784, 0.09, 0.3]], "square", 0.18);
      },
      buzz_blue: function () {
        notes([[392, 0, 0.1], [988, 0.09, 0.3]], "sawtooth", 0.14);
      },
      early: function () {
        tone(180, 0, 0.18, "sawtooth", 0.3);
        tone(150, 0.22, 0.3, "sawtooth", 0.3);
      },
      correct: function () {
        notes([[523, 0, 0.15], [659, 0.12, 0.15], [784, 0.24, 0.35]], "triangle", 0.3);
      },
      wrong: function () {
        tone(330, 0, 0.2, "square", 0.2, 300);
        tone(247, 0.2, 0.45, "square", 0.2, 200);
      },
      tick: function () {
        tone(1000, 0, 0.06, "square", 0.15);
      },
      tick_last: function () {
        tone(1400, 0, 0.12, "square", 0.2);
      },
      game_won: function () {
        notes([[523, 0, 0.12], [659, 0.1, 0.12], [784, 0.2, 0.12], [1047, 0.3, 0.4]], "triangle", 0.3);
      },
      match_point: function () {
        notes([[880, 0, 0.1], [880, 0.16, 0.1], [1175, 0.32, 0.3]], "square", 0.16);
      },
      match_won: function () {
        notes(
          [[523, 0, 0.15], [659, 0.15, 0.15], [784, 0.3, 0.15], [1047, 0.45, 0.3], [784, 0.75, 0.12], [1047, 0.9, 0.6]],
          "triangle",
          0.32,
        );
      },
      press: function () {
        tone(700, 0, 0.05, "sine", 0.2);
      },
      // The host console: another phone asks for a seat (two rising pings, repeated once).
      takeover: function () {
        notes([[740, 0, 0.12], [988, 0.14, 0.18], [740, 0.45, 0.12], [988, 0.59, 0.18]], "sine", 0.3);
      },
    };

    function play(name) {
      if (muted || !ctx || ctx.state !== "running" || !library[name]) return false;
      library[name]();
      return true;
    }

    function setMuted(value) {
      muted = !!value;
      if (local) local.setItem("quiz.muted", muted ? "1" : "0");
      body.dataset.muted = muted ? "1" : "0";
    }

    body.dataset.muted = muted ? "1" : "0";
    return {
      unlock: unlock,
      play: play,
      names: Object.keys(library),
      isMuted: function () {
        return muted;
      },
      setMuted: setMuted,
      ready: function () {
        return !!ctx && ctx.state === "running";
      },
    };
  })();

  /* Sound and CSS animation class for a moment; shared by the display and the phones. */
  function momentSound(moment, mdl) {
    if (!moment) return null;
    switch (moment.type) {
      case "buzzing_opened":
        return "open";
      case "buzz_won":
        return moment.side === "blue" ? "buzz_blue" : "buzz_red";
      case "early_buzz":
        return "early";
      case "answer_judged":
        return moment.correct ? "correct" : "wrong";
      case "game_won":
        return mdl && mdl.matchPoint.length ? "match_point" : "game_won";
      case "match_point":
        return "match_point";
      case "match_won":
        return "match_won";
      default:
        return null;
    }
  }

  /* Restart a CSS animation class on a node (the animation itself lives in CSS). */
  function flash(node, className) {
    if (!node) return;
    node.classList.remove(className);
    void node.offsetWidth; // reflow so the same class animates again
    node.classList.add(className);
  }

  /* ----------------------------------------------------------------------- test hooks */

  /* Test hook (kept stable): window.__quizRender(state) renders a snapshot as if it came
   * from the server and then ignores the socket's states, so layout tests can show any
   * phase without driving a match. Pages register their renderer with setRenderer. */
  var renderer = null;
  function setRenderer(fn) {
    renderer = fn;
    on("state", fn);
  }
  window.__quizRender = function (state, options) {
    frozen = !(options && options.live);
    last.resync = true;
    if (acceptState(state) && renderer) renderer(state);
    return body.dataset.phase;
  };

  /* Test hook (kept stable): hand a state to the page exactly as the socket would, seq
   * check included. */
  window.__quizDeliver = deliver;

  /* Test hook (kept stable): hand the page an audience message (`audience`, `audience_round`,
   * `audience_you`, `audience_screen`, `audience_admin`) as if it came from the server. */
  window.__quizAudience = function (name, message) {
    if (name === "audience" || AUDIENCE_EVENTS.indexOf(name) >= 0) emit(name, message);
  };

  window.Quiz = {
    SIDES: SIDES,
    lang: lang,
    page: page,
    t: t,
    hasText: function (key) {
      return Object.prototype.hasOwnProperty.call(catalog, key);
    },
    pick: pick,
    el: el,
    fill: fill,
    append: append,
    setText: setText,
    $: $,
    $all: $all,
    setPhase: setPhase,
    session: session,
    local: local,
    deviceId: deviceId,
    connect: connect,
    reconnect: reconnect,
    command: command,
    errorText: errorText,
    on: on,
    setRenderer: setRenderer,
    status: function () {
      return connStatus;
    },
    lastState: function () {
      return last.state;
    },
    clock: clock,
    serverNow: serverNow,
    pressAt: pressAt,
    syncOpening: syncOpening,
    model: model,
    sideName: sideName,
    pairingLabel: pairingLabel,
    categoryName: categoryName,
    secondsLeft: secondsLeft,
    fitText: fitText,
    fitAll: fitAll,
    shareRows: shareRows,
    sound: sound,
    momentSound: momentSound,
    flash: flash,
  };
})();
