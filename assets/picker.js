(function () { // People pickers (views/picker.rs): type to search GET /people, chosen people as chips.
  'use strict';
  // A picker: div.picker[data-src][data-name][data-multiple] > ul.picker-chips, input.picker-input
  // (role=combobox), ul.picker-list (role=listbox), .picker-status (aria-live). Every chip holds a
  // hidden <input name=NAME value=ID>, so the form posts what a <select> posted. All listeners are
  // delegated from the document, so pickers swapped in by htmx work without set-up.
  var DEBOUNCE_MS = 150;
  var state = new WeakMap(); // picker → { timer, seq }

  function pickerOf(el) { return el instanceof Element ? el.closest('.picker') : null; }
  function input(p) { return p.querySelector('.picker-input'); }
  function list(p) { return p.querySelector('.picker-list'); }
  function options(p) { return Array.prototype.slice.call(p.querySelectorAll('.picker-list [role=option]')); }
  function chips(p) { return Array.prototype.slice.call(p.querySelectorAll('.picker-chips .chip')); }
  function chosenIds(p) { return chips(p).map(function (c) { var i = c.querySelector('input'); return i ? i.value : ''; }); }
  function st(p) { var s = state.get(p); if (!s) { s = { timer: null, seq: 0 }; state.set(p, s); } return s; }
  function say(p, text) { var s = p.querySelector('.picker-status'); if (s) s.textContent = text; }

  function setOpen(p, open) {
    var l = list(p), i = input(p);
    l.hidden = !open;
    i.setAttribute('aria-expanded', String(open));
    if (!open) { i.removeAttribute('aria-activedescendant'); }
  }
  function highlight(p, opt) {
    options(p).forEach(function (o) { o.setAttribute('aria-selected', String(o === opt)); });
    if (opt) {
      input(p).setAttribute('aria-activedescendant', opt.id);
      opt.scrollIntoView({ block: 'nearest' });
    } else {
      input(p).removeAttribute('aria-activedescendant');
    }
  }
  function current(p) { return p.querySelector('.picker-list [role=option][aria-selected=true]'); }
  function move(p, step) {
    var all = options(p);
    if (!all.length) return;
    var at = all.indexOf(current(p));
    highlight(p, all[(at + step + all.length) % all.length]);
  }

  // Asks the server; answers that arrive after a newer question are dropped.
  function search(p) {
    var s = st(p);
    clearTimeout(s.timer);
    s.timer = setTimeout(function () {
      var seq = ++s.seq;
      var url = p.getAttribute('data-src') + '&q=' + encodeURIComponent(input(p).value.trim());
      fetch(url, { headers: { 'HX-Request': 'true' }, credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { if (!r.ok) throw new Error('people: ' + r.status); return r.text(); })
        .then(function (html) { if (seq === s.seq && p.isConnected) show(p, html); })
        .catch(function () { if (seq === s.seq && p.isConnected) show(p, ''); });
    }, DEBOUNCE_MS);
  }
  function show(p, html) {
    var l = list(p);
    var doc = new DOMParser().parseFromString('<ul>' + html + '</ul>', 'text/html');
    var taken = chosenIds(p);
    l.textContent = '';
    var n = 0;
    Array.prototype.forEach.call(doc.querySelectorAll('ul > li[role=option]'), function (o) {
      if (taken.indexOf(o.getAttribute('data-id')) >= 0) return; // already a chip
      o.id = l.id + '-' + o.getAttribute('data-id');
      l.appendChild(document.importNode(o, true));
      n += 1;
    });
    if (!n) {
      var empty = document.createElement('li');
      empty.className = 'picker-empty';
      empty.setAttribute('role', 'presentation');
      empty.textContent = 'No one matches.';
      l.appendChild(empty);
    }
    setOpen(p, document.activeElement === input(p));
    highlight(p, options(p)[0] || null);
    say(p, n ? n + (n === 1 ? ' person' : ' people') + ' found.' : 'No one matches.');
  }

  // Chosen people: the same markup as views/picker.rs `chip`. A change event on the hidden input
  // lets a filter form (hx-trigger="change") follow.
  function add(p, opt) {
    var id = opt.getAttribute('data-id'), label = opt.getAttribute('data-label');
    if (p.getAttribute('data-multiple') !== 'true') chips(p).forEach(function (c) { c.remove(); });
    if (chosenIds(p).indexOf(id) >= 0) return;
    var li = document.createElement('li');
    li.className = 'chip';
    var span = document.createElement('span');
    span.className = 'chip-label';
    span.textContent = label;
    span.title = label;
    var hidden = document.createElement('input');
    hidden.type = 'hidden';
    hidden.name = p.getAttribute('data-name');
    hidden.value = id;
    var btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'chip-remove';
    btn.setAttribute('aria-label', 'Remove ' + label);
    btn.textContent = '×';
    li.appendChild(span); li.appendChild(hidden); li.appendChild(btn);
    p.querySelector('.picker-chips').appendChild(li);
    input(p).value = '';
    setOpen(p, false);
    list(p).textContent = '';
    say(p, label + ' added.');
    hidden.dispatchEvent(new Event('change', { bubbles: true }));
  }
  function remove(p, chip) {
    var label = chip.querySelector('.chip-label').textContent;
    var form = p.closest('form');
    chip.remove();
    say(p, label + ' removed.');
    if (form) form.dispatchEvent(new Event('change', { bubbles: true }));
  }

  document.addEventListener('input', function (e) {
    var p = pickerOf(e.target);
    if (p && e.target.classList.contains('picker-input')) search(p);
  });
  // The text typed into a picker is not a value of the form: a filter form must not react to it.
  document.addEventListener('change', function (e) {
    if (e.target instanceof Element && e.target.classList.contains('picker-input')) e.stopPropagation();
  }, true);
  document.addEventListener('keydown', function (e) {
    var p = pickerOf(e.target);
    if (!p || !e.target.classList.contains('picker-input')) return;
    var open = !list(p).hidden;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        e.preventDefault();
        if (!open) search(p); else move(p, e.key === 'ArrowDown' ? 1 : -1);
        break;
      case 'Enter':
        // Enter picks; it never submits a half-typed name.
        if (open && current(p)) { e.preventDefault(); add(p, current(p)); }
        else if (e.target.value.trim()) e.preventDefault();
        break;
      case 'Escape':
        if (open) { e.preventDefault(); e.stopPropagation(); setOpen(p, false); }
        break;
      case 'Backspace':
        if (!e.target.value && chips(p).length) { e.preventDefault(); remove(p, chips(p)[chips(p).length - 1]); }
        break;
      case 'Tab':
        setOpen(p, false);
        break;
    }
  });
  // A click on an option picks it (mousedown: before the input loses focus); on a chip's × removes it.
  document.addEventListener('mousedown', function (e) {
    var opt = e.target instanceof Element && e.target.closest('.picker-list [role=option]');
    if (opt) { e.preventDefault(); add(pickerOf(opt), opt); }
  });
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var p = pickerOf(t);
    if (!p) return;
    var x = t.closest('.chip-remove');
    if (x) { remove(p, x.closest('.chip')); input(p).focus(); return; }
    if (t === input(p) && list(p).hidden) { search(p); return; }
    if (!t.closest('.picker-list')) input(p).focus();
  });
  document.addEventListener('focusout', function (e) {
    var p = pickerOf(e.target);
    if (p && !(e.relatedTarget instanceof Node && p.contains(e.relatedTarget))) setOpen(p, false);
  });
})();
