(function () { // The deal board: drag a card to another stage. CSP-safe, no framework.
  'use strict';
  // A drop does what the card's own "Move" form does (the keyboard path): it sets the form's stage
  // and submits it through htmx, and moves the card at once; the board's live region then shows
  // what the server saved (and puts the card back if the move was refused).
  var dragged = null;
  function column(el) { return el instanceof Element ? el.closest('.board-column') : null; }
  function clear() {
    document.querySelectorAll('.board-column.drop-target').forEach(function (c) { c.classList.remove('drop-target'); });
  }
  document.addEventListener('dragstart', function (e) {
    var card = e.target instanceof Element ? e.target.closest('.deal-card[draggable="true"]') : null;
    if (!card) return;
    dragged = card;
    card.classList.add('dragging');
    if (e.dataTransfer) {
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', card.getAttribute('data-id') || '');
    }
  });
  document.addEventListener('dragover', function (e) {
    var col = column(e.target);
    if (!dragged || !col) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    if (!col.classList.contains('drop-target')) { clear(); col.classList.add('drop-target'); }
  });
  document.addEventListener('drop', function (e) {
    var col = column(e.target);
    var card = dragged;
    if (!card || !col) return;
    e.preventDefault();
    clear();
    var form = card.querySelector('form.card-move');
    var select = form && form.querySelector('select[name="stage"]');
    var stage = col.getAttribute('data-stage');
    if (!select || !stage || select.value === stage) return;
    select.value = stage;
    var cards = col.querySelector('.board-cards');
    if (cards) cards.insertBefore(card, cards.firstChild);
    form.requestSubmit();
  });
  document.addEventListener('dragend', function () {
    if (dragged) dragged.classList.remove('dragging');
    dragged = null;
    clear();
  });
})();
