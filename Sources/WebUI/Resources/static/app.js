// ChargeKit web interface: a little progressive enhancement. Everything works without it.
(function () {
  function ready(fn) { if (document.readyState !== 'loading') fn(); else document.addEventListener('DOMContentLoaded', fn); }
  ready(function () {
    document.querySelectorAll('[data-toggle-nav]').forEach(function (b) {
      b.addEventListener('click', function () { document.getElementById('nav').classList.toggle('open'); });
    });
    document.querySelectorAll('[data-autosubmit]').forEach(function (s) {
      s.addEventListener('change', function () { s.form.submit(); });
    });
    document.querySelectorAll('form[data-confirm]').forEach(function (f) {
      f.addEventListener('submit', function (e) { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); });
    });
    document.querySelectorAll('button.help').forEach(function (b) {
      b.addEventListener('click', function () { var h = document.getElementById(b.dataset.help); h.hidden = !h.hidden; });
    });
    // A pending network change's countdown (the page shows the seconds left when it was loaded).
    document.querySelectorAll('[data-countdown]').forEach(function (c) {
      var left = parseInt(c.dataset.countdown, 10);
      var timer = setInterval(function () { left = Math.max(0, left - 1); c.textContent = String(left); if (left === 0) clearInterval(timer); }, 1000);
    });
    // "Unsaved Changes": shown while a field differs from the value the page was loaded with.
    document.querySelectorAll('form[data-track-changes]').forEach(function (form) {
      var flag = form.querySelector('[data-unsaved]');
      function changed() {
        return Array.prototype.some.call(form.elements, function (e) {
          if (e.type === 'hidden' || e.tagName === 'BUTTON' || !e.name) return false;
          if (e.type === 'checkbox' || e.type === 'radio') return e.checked !== e.defaultChecked;
          if (e.tagName === 'SELECT') return Array.prototype.some.call(e.options, function (o) { return o.selected !== o.defaultSelected; });
          return e.value !== e.defaultValue;
        });
      }
      function update() { flag.hidden = !changed(); dependencies(form); }
      form.addEventListener('input', update);
      form.addEventListener('change', update);
      form.addEventListener('reset', function () { setTimeout(update, 0); });
      update();
    });
    // "Browser (only once)": the form sends the browser's clock, read when the button is pressed.
    document.querySelectorAll('form[data-browser-time]').forEach(function (f) {
      f.querySelectorAll('[data-nojs]').forEach(function (el) { el.hidden = true; });
      f.addEventListener('submit', function () { f.elements.epochMs.value = String(Date.now()); });
    });
    // "Use browser's timezone" (seeds/002 §1.6): selects the browser's zone for the Timezone parameter; Save applies it.
    document.querySelectorAll('[data-browser-timezone]').forEach(function (b) {
      var select = document.getElementById('p-Timezone'), note = document.getElementById('tz-browser-note');
      if (!select || select.disabled || !window.Intl) return;
      b.closest('[data-browser-timezone-row]').hidden = false;
      b.addEventListener('click', function () {
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
        if (known) { select.value = zone; select.dispatchEvent(new Event('change', { bubbles: true })); }
        note.textContent = known ? zone : b.dataset.missing.replace('%@', zone);
      });
    });
    live();
  });
  // Fields that only matter for a value of another field (e.g. the meter's address once a meter model is chosen).
  function dependencies(form) {
    form.querySelectorAll('[data-depends]').forEach(function (row) {
      var other = form.elements[row.dataset.depends];
      if (!other) return;
      var spec = row.dataset.dependsValue, except = spec.charAt(0) === '!';
      var values = (except ? spec.slice(1) : spec).split('|');
      row.hidden = (values.indexOf(other.value) >= 0) === except;
    });
  }
  // The dashboard follows the station through server-sent events.
  function live() {
    var dot = document.getElementById('live');
    if (!dot || !window.EventSource) return;
    var source = new EventSource('/live/status');
    source.addEventListener('status', function (e) {
      dot.classList.add('on');
      var s = JSON.parse(e.data);
      s.connectors.forEach(function (c) {
        var card = document.querySelector('[data-connector="' + c.id + '"]');
        if (!card) return;
        Object.keys(c.fields).forEach(function (k) {
          var el = card.querySelector('[data-field="' + k + '"]');
          if (el && el.textContent !== c.fields[k]) el.textContent = c.fields[k];
        });
        var lamp = card.querySelector('.lamp');
        if (lamp && lamp.dataset.lamp !== c.fields.ledState) lamp.dataset.lamp = c.fields.ledState;
      });
      var errors = document.getElementById('errors');
      if (errors) {
        errors.innerHTML = '';
        if (s.errors.length === 0) { var li = document.createElement('li'); li.className = 'muted'; li.textContent = s.noErrors; errors.appendChild(li); }
        s.errors.forEach(function (err) { var li = document.createElement('li'); var b = document.createElement('strong'); b.textContent = err.id; li.appendChild(b); li.appendChild(document.createTextNode(' ' + err.message)); errors.appendChild(li); });
      }
      ['available', 'applied'].forEach(function (k) { var el = document.getElementById('dlm-' + k); if (el && s.dlm) el.textContent = s.dlm[k]; });
      if (s.backend) {
        Object.keys(s.backend).forEach(function (k) {
          var el = document.querySelector('[data-backend="' + k + '"]');
          if (!el) return;
          if (k === 'online') el.dataset.on = s.backend[k]; else if (el.textContent !== s.backend[k]) el.textContent = s.backend[k];
        });
      }
    });
    source.onerror = function () { dot.classList.remove('on'); };
  }
})();
