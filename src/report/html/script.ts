/**
 * The page's only script, inline so the file works from disk with no network.
 * Plain ES2017 in a string: it runs in the reader's browser, not in Node, and
 * touches the page only through textContent and attributes (no innerHTML),
 * so report text can never become markup.
 */
export const DETAILS_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var byIndex = {};
  data.frames.forEach(function (frame, position) { frame.position = position; byIndex[frame.i] = frame; });
  var chart = document.getElementById('chart');
  var cursor = document.getElementById('cursor');
  var scrub = document.getElementById('scrub');
  var thumb = document.getElementById('detail-thumb');
  var rows = document.querySelector('#detail-scores tbody');
  var selected = [];

  function text(id, value) { document.getElementById(id).textContent = value; }

  function cell(row, tag, value) {
    var element = document.createElement(tag);
    element.textContent = value;
    row.appendChild(element);
    return element;
  }

  function show(frame) {
    cursor.setAttribute('x1', frame.x);
    cursor.setAttribute('x2', frame.x);
    cursor.setAttribute('visibility', 'visible');
    scrub.value = String(frame.position);
    selected.forEach(function (element) { element.classList.remove('selected'); });
    selected = Array.prototype.slice.call(chart.querySelectorAll('.pt[data-frame="' + frame.i + '"], .fail[data-frame="' + frame.i + '"]'));
    selected.forEach(function (element) { element.classList.add('selected'); });
    text('detail-frame', 'Frame ' + frame.i);
    text('detail-time', frame.tc + (frame.req ? ' (asked for ' + frame.req + ')' : ''));
    if (frame.th) { thumb.src = frame.th; thumb.hidden = false; } else { thumb.removeAttribute('src'); thumb.hidden = true; }
    while (rows.firstChild) rows.removeChild(rows.firstChild);
    var note = frame.n ? ' · ' + frame.n : '';
    if (!frame.s) {
      text('detail-status', 'Not scored: ' + frame.err + note);
      return;
    }
    text('detail-status', 'Top: ' + frame.top + note);
    data.labels.forEach(function (label, i) {
      var row = document.createElement('tr');
      row.setAttribute('data-label', label);
      if (frame.s[i] >= data.threshold) row.className = 'over';
      cell(row, 'th', label);
      cell(row, 'td', frame.s[i].toFixed(4));
      var bar = cell(row, 'td', '');
      var fill = document.createElement('span');
      fill.className = 'bar';
      fill.style.width = (frame.s[i] * 100).toFixed(1) + '%';
      fill.style.background = data.colours[i];
      bar.appendChild(fill);
      rows.appendChild(row);
    });
  }

  function frameAt(target) {
    var element = target && target.closest ? target.closest('[data-frame]') : null;
    return element ? byIndex[element.getAttribute('data-frame')] : undefined;
  }

  function pick(event) {
    var frame = frameAt(event.target);
    if (frame) show(frame);
  }

  function step(delta) {
    var position = Number(scrub.value) + delta;
    if (position >= 0 && position < data.frames.length) show(data.frames[position]);
  }

  Array.prototype.forEach.call(document.querySelectorAll('.legend .toggle'), function (button) {
    button.addEventListener('click', function () {
      var label = button.getAttribute('data-label');
      var shown = button.getAttribute('aria-pressed') !== 'true';
      button.setAttribute('aria-pressed', String(shown));
      Array.prototype.forEach.call(chart.querySelectorAll('.series, .seg'), function (element) {
        if (element.getAttribute('data-label') === label) element.classList.toggle('off', !shown);
      });
    });
  });

  chart.addEventListener('mouseover', pick);
  chart.addEventListener('click', pick);
  chart.addEventListener('keydown', function (event) {
    if (event.key === 'ArrowRight') { step(1); event.preventDefault(); }
    if (event.key === 'ArrowLeft') { step(-1); event.preventDefault(); }
  });
  scrub.addEventListener('input', function () { show(data.frames[Number(scrub.value)]); });
})();`;
