(function () { // The deal board: drag a card to another stage. CSP-safe, no framework.
  'use strict';
  // A drop submits the card's own move form (the keyboard's ◀ / ▶ path) with the column's stage in
  // its `to` field, through htmx, and moves the card at once; the board's live region then shows
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
    var to = form && form.querySelector('input[name="to"]');
    var stage = col.getAttribute('data-stage');
    var from = column(card);
    if (!to || !stage || (from && from.getAttribute('data-stage') === stage)) return;
    to.value = stage;
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
