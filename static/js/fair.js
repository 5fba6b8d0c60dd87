/*
 * fair.js: fair buzzing on the page side. QuizFair.ClockSync is an operation-by-operation port
 * of quiz/fair/clock.py (same constants, same order of floating-point operations, so a phone
 * and the server reach the same numbers from the same exchanges; tests/fair/test_browser.py
 * checks it). QuizFair.Syncer is the exchange schedule that quiz/testing/phone.py mirrors: a
 * burst of BURST_SIZE back-to-back exchanges on connect, reconnect and when the page becomes
 * visible again, then one every SYNC_INTERVAL_MS; each exchange reports the previous one's
 * t0/t3 so the server can complete its own sample. Times are performance.now() ms.
 */
(function () {
  "use strict";

  var WINDOW = 60;
  var DRIFT_BLOCK = 5;
  var DRIFT_POINTS = 40;
  var MIN_DRIFT_SPAN_MS = 120000;
  var DRIFT_SIGNIFICANCE = 3;
  var MIN_DRIFT_POINTS = 4;
  var MAX_DRIFT_PPM = 500;
  var UNSEEN_DRIFT_PPM = 20;
  var DRIFT_ALLOWANCE_PPM = 100;
  var MAX_RTT_MS = 10000;
  var RESOLUTION_MS = 1;
  var EXCESS_SPACINGS = 2;
  var BURST_SIZE = 5;
  var SYNC_INTERVAL_MS = 1000;
  var PPM = 1e-6;

  function finite(name, value) {
    if (typeof value !== "number" || !isFinite(value)) {
      throw new Error(name + " must be a finite number of milliseconds");
    }
    return value;
  }

  function makeSample(t0, t1, t2, t3) {
    var a = finite("t0", t0);
    var b = finite("t1", t1);
    var c = finite("t2", t2);
    var d = finite("t3", t3);
    if (d < a) throw new Error("t3 is before t0: the device clock ran backwards");
    if (c < b) throw new Error("t2 is before t1: the server clock ran backwards");
    var raw = d - a - (c - b);
    if (raw < -2 * RESOLUTION_MS) throw new Error("the server held the request longer than the device waited");
    if (raw > MAX_RTT_MS) throw new Error("round trip over " + MAX_RTT_MS + " ms");
    return { t0: a, t1: b, t2: c, t3: d, rtt: Math.max(raw, 0), offset: (b - a + (c - d)) / 2, mid: (a + d) / 2 };
  }

  function Estimate(fields) {
    for (var k in fields) if (Object.prototype.hasOwnProperty.call(fields, k)) this[k] = fields[k];
  }
  Estimate.prototype.offsetAt = function (deviceMs) {
    return this.offset_ms + this.drift_ppm * PPM * (deviceMs - this.anchor_ms);
  };
  Estimate.prototype.toServer = function (deviceMs) {
    return deviceMs + this.offsetAt(deviceMs);
  };
  Estimate.prototype.uncertaintyAt = function (deviceMs) {
    var age = Math.max(0, deviceMs - this.last_ms);
    return this.uncertainty_ms + DRIFT_ALLOWANCE_PPM * PPM * age;
  };

  function mean(values) {
    var total = 0;
    for (var i = 0; i < values.length; i++) total += values[i];
    return total / values.length;
  }

  function median(ordered) {
    var n = ordered.length;
    var half = Math.floor(n / 2);
    if (n % 2) return ordered[half];
    return (ordered[half - 1] + ordered[half]) / 2;
  }

  function lowest(samples) {
    var best = samples[0];
    for (var i = 0; i < samples.length; i++) if (samples[i].rtt < best.rtt) best = samples[i];
    return best;
  }

  function slope(points) {
    var n = points.length;
    if (n < MIN_DRIFT_POINTS || points[n - 1].mid - points[0].mid < MIN_DRIFT_SPAN_MS) return 0;
    var mx = mean(points.map(function (p) { return p.mid; }));
    var my = mean(points.map(function (p) { return p.offset; }));
    var sxx = 0;
    var sxy = 0;
    var i;
    for (i = 0; i < n; i++) {
      sxx += (points[i].mid - mx) * (points[i].mid - mx);
      sxy += (points[i].mid - mx) * (points[i].offset - my);
    }
    var rate = sxy / sxx;
    var squares = 0;
    for (i = 0; i < n; i++) {
      var residual = points[i].offset - my - rate * (points[i].mid - mx);
      squares += residual * residual;
    }
    var error = Math.sqrt(squares / (n - 2) / sxx);
    if (Math.abs(rate) < DRIFT_SIGNIFICANCE * error) return 0;
    return Math.max(-MAX_DRIFT_PPM, Math.min(MAX_DRIFT_PPM, rate / PPM));
  }

  function ClockSync(window_) {
    this.window = window_ || WINDOW;
    this.samples = [];
    this.steps = 0;
    this.block = [];
    this.points = [];
    this.estimate = null;
  }

  ClockSync.prototype.reset = function () {
    this.samples = [];
    this.block = [];
    this.points = [];
    this.estimate = null;
  };

  /* Record one exchange; throws (and changes nothing) for an impossible one. */
  ClockSync.prototype.add = function (t0, t1, t2, t3) {
    var sample = makeSample(t0, t1, t2, t3);
    if (this.samples.length && this.stepped(sample)) {
      this.steps += 1;
      this.reset();
    }
    this.samples.push(sample);
    if (this.samples.length > this.window) this.samples.splice(0, this.samples.length - this.window);
    this.block.push(sample);
    if (this.block.length === DRIFT_BLOCK) {
      this.points.push(lowest(this.block));
      this.block = [];
      if (this.points.length > DRIFT_POINTS) this.points.splice(0, this.points.length - DRIFT_POINTS);
    }
    this.estimate = this.compute();
    return sample;
  };

  ClockSync.prototype.stepped = function (sample) {
    if (sample.t0 < this.samples[this.samples.length - 1].t0) return true;
    var est = this.estimate;
    if (!est) return false;
    var gap = Math.abs(sample.offset - est.offsetAt(sample.mid));
    var allowed =
      sample.rtt / 2 +
      est.bound_ms +
      DRIFT_ALLOWANCE_PPM * PPM * Math.abs(sample.mid - est.anchor_ms) +
      2 * RESOLUTION_MS;
    return gap > allowed;
  };

  ClockSync.prototype.compute = function () {
    var samples = this.samples;
    var n = samples.length;
    if (n === 0) return null;
    var drift = slope(this.points);
    var anchor = samples[n - 1].mid;
    var byRtt = samples.slice().sort(function (a, b) {
      return a.rtt - b.rtt;
    });
    var floor = byRtt[0].rtt;
    var lo = -Infinity;
    var lo2 = -Infinity;
    var hi = Infinity;
    var hi2 = Infinity;
    var loMid = anchor;
    var hiMid = anchor;
    for (var i = 0; i < n; i++) {
      var s = samples[i];
      var level = s.offset + drift * PPM * (anchor - s.mid);
      var half = (s.rtt - floor) / 2;
      if (level - half > lo) {
        lo2 = lo;
        lo = level - half;
        loMid = s.mid;
      } else if (level - half > lo2) {
        lo2 = level - half;
      }
      if (level + half < hi) {
        hi2 = hi;
        hi = level + half;
        hiMid = s.mid;
      } else if (level + half < hi2) {
        hi2 = level + half;
      }
    }
    var offset = (lo + hi) / 2;
    var width = Math.max(0, hi - lo) / 2;
    var spacings = n > 1 ? hi2 - hi + (lo - lo2) : floor;
    var bound = width + floor / 2 + RESOLUTION_MS;
    var uncertainty = width + Math.min(floor, EXCESS_SPACINGS * spacings) / 2 + RESOLUTION_MS;
    if (drift === 0) {
      var unseen = UNSEEN_DRIFT_PPM * PPM * (anchor - Math.min(loMid, hiMid));
      uncertainty += unseen;
      bound += unseen;
    }
    var rtts = byRtt.map(function (x) {
      return x.rtt;
    });
    var high = rtts[Math.max(0, Math.ceil(0.9 * n) - 1)];
    return new Estimate({
      offset_ms: offset,
      anchor_ms: anchor,
      drift_ppm: drift,
      uncertainty_ms: uncertainty,
      bound_ms: bound,
      rtt_min_ms: rtts[0],
      rtt_median_ms: median(rtts),
      rtt_high_ms: high,
      rtt_last_ms: samples[n - 1].rtt,
      jitter_ms: (high - rtts[0]) / 2,
      samples: n,
      last_ms: samples[n - 1].t3,
    });
  };

  /* The exchange schedule. send(payload, callback(err, ack)) emits one `sync`. */
  function Syncer(send, now) {
    this.send = send;
    this.now = now || function () {
      return performance.now();
    };
    this.clock = new ClockSync();
    this.prev = null;
    this.rtt = null;
    this.timer = null;
    this.bursting = false;
    this.onSample = null; // called after every exchange the estimate took in
  }

  Syncer.prototype.once = function (done) {
    var self = this;
    var t0 = self.now();
    var payload = { t0: t0 };
    if (self.rtt != null) payload.rtt = Math.round(self.rtt * 1000) / 1000;
    if (self.prev) payload.prev = self.prev;
    self.send(payload, function (err, ack) {
      var t3 = self.now();
      if (!err && ack && typeof ack.t1 === "number" && typeof ack.t2 === "number") {
        try {
          var sample = self.clock.add(t0, ack.t1, ack.t2, t3);
          self.rtt = sample.rtt;
          self.prev = { t0: t0, t3: t3 };
          if (self.onSample) self.onSample(sample);
        } catch (e) {
          // An impossible exchange (a clock jumped mid-flight) is simply not used.
        }
      }
      if (done) done();
    });
  };

  Syncer.prototype.burst = function () {
    var self = this;
    if (self.bursting) return;
    self.bursting = true;
    var left = BURST_SIZE;
    (function next() {
      if (left-- <= 0) {
        self.bursting = false;
        return;
      }
      self.once(next);
    })();
  };

  /* period: ms between exchanges, or a function returning it (default SYNC_INTERVAL_MS). */
  Syncer.prototype.start = function (period) {
    var self = this;
    self.burst();
    if (self.timer) window.clearTimeout(self.timer);
    (function schedule() {
      var ms = typeof period === "function" ? period() : period || SYNC_INTERVAL_MS;
      self.timer = window.setTimeout(function () {
        if (!self.bursting) self.once(null);
        schedule();
      }, ms);
    })();
  };

  /* After sleep or a hidden spell, performance.now() may have paused while the server's clock
   * did not: start the estimate again from a fresh burst. */
  Syncer.prototype.reanchor = function () {
    this.clock.reset();
    this.prev = null;
    this.burst();
  };

  window.QuizFair = {
    ClockSync: ClockSync,
    Syncer: Syncer,
    BURST_SIZE: BURST_SIZE,
    SYNC_INTERVAL_MS: SYNC_INTERVAL_MS,
    WINDOW: WINDOW,
  };
})();
