// ChargeKit System page, Firmware card: upload with a progress bar (XMLHttpRequest upload progress), then the
// installation's progress live (server-sent events from /system/firmware/events), then the version the station runs
// after its restart. No inline script: this file is loaded by the card (Content-Security-Policy script-src 'self').
(function () {
  function ready(fn) { if (document.readyState !== 'loading') fn(); else document.addEventListener('DOMContentLoaded', fn); }
  ready(function () {
    var card = document.querySelector('[data-firmware]');
    if (!card) return;
    var t = card.dataset;
    var form = document.getElementById('fw-form');
    var input = document.getElementById('fw-file');
    var button = document.getElementById('fw-upload');
    var bar = document.getElementById('fw-progress');
    var barText = document.getElementById('fw-progress-text') || document.createElement('span');
    var stateEl = document.getElementById('fw-state');
    var versionEl = document.getElementById('fw-version');
    var resultEl = document.getElementById('fw-result');
    var maxBytes = parseInt(t.maxBytes, 10);
    if (bar) bar.style.width = '100%';  // as wide as the form (CSSOM: allowed where inline style attributes are not)
    var source = null;
    var restarting = false;

    function showResult(text, ok) {
      resultEl.textContent = text;
      resultEl.className = 'alert ' + (ok ? 'success' : 'error');
      resultEl.hidden = !text;
    }

    function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }

    function stateText(view) {
      var text = t['t' + cap(view.state)] || view.state;
      if (view.packageVersion) text += ' (' + view.packageVersion + ')';
      if (view.state === 'waiting' && view.waitingFor && view.waitingFor.length) {
        text += ' — ' + t.tWaitingFor.replace('%@', view.waitingFor.join(', '));
      }
      return text;
    }

    function render(view) {
      stateEl.textContent = stateText(view);
      stateEl.dataset.state = view.state;
      versionEl.textContent = view.runningVersion;
      // From here on a broken stream means the restart that completes the installation.
      if (view.state === 'installing' || view.state === 'restarting') restarting = true;
      if (view.lastResult) {
        var key = view.lastResult.outcome === 'failed' ? 'tFailedResult' : 't' + cap(view.lastResult.outcome);
        showResult((t[key] || view.lastResult.outcome) + ': ' + view.lastResult.message, view.lastResult.outcome === 'installed');
      }
    }

    // After the restart the session is gone (sessions live in memory): once the station answers again, the login
    // page is shown, after which this card shows the new version.
    function waitForRestart() {
      if (restarting) barText.textContent = t.tRestarted;
      var timer = setInterval(function () {
        var xhr = new XMLHttpRequest();
        xhr.open('GET', '/system/firmware');
        xhr.onload = function () {
          if (xhr.status !== 200) return;
          clearInterval(timer);
          if (xhr.responseURL && xhr.responseURL.indexOf('/login') >= 0) { window.location.href = '/menu/system'; return; }
          try { render(JSON.parse(xhr.responseText)); restarting = false; follow(); } catch (e) { window.location.href = '/menu/system'; }
        };
        xhr.send();
      }, 2000);
    }

    function follow() {
      if (source || !window.EventSource) return;
      source = new EventSource('/system/firmware/events');
      source.addEventListener('firmware', function (e) { render(JSON.parse(e.data)); });
      source.onerror = function () {
        // While nothing is being installed the browser reconnects by itself; a stream that cannot be reopened (the
        // session ended) or that breaks during an installation leads to the wait for the restarted station.
        if (!restarting && source.readyState !== EventSource.CLOSED) return;
        source.close(); source = null;
        waitForRestart();
      };
    }

    follow();
    if (!form) return;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = input.files && input.files[0];
      if (!file) { input.focus(); return; }
      if (file.size > maxBytes) { showResult(t.tTooLarge.replace('%@', String(Math.floor(maxBytes / 1048576)) + ' MiB'), false); return; }
      showResult('', true);
      button.disabled = true;
      bar.hidden = false; bar.value = 0;
      var xhr = new XMLHttpRequest();
      xhr.open('POST', '/system/firmware');
      xhr.setRequestHeader('X-CSRF-Token', t.csrf);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.upload.addEventListener('progress', function (p) {
        if (!p.lengthComputable) return;
        var percent = Math.floor(100 * p.loaded / p.total);
        bar.value = percent;
        barText.textContent = t.tUploading.replace('%@', percent + ' %');
      });
      xhr.onload = function () {
        button.disabled = false;
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = { error: xhr.statusText }; }
        if (xhr.status === 202) {
          bar.value = 100;
          barText.textContent = t.tUploaded;
          render(answer);
          follow();
        } else {
          bar.hidden = true;
          barText.textContent = '';
          showResult(t.tFailed.replace('%@', answer.error || String(xhr.status)), false);
        }
      };
      xhr.onerror = function () {
        button.disabled = false; bar.hidden = true;
        showResult(t.tFailed.replace('%@', 'network error'), false);
      };
      xhr.send(file);
    });
  });
})();
