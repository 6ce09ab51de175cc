// Shared by the app's canvas components (the live chart, the Boundaries panel): each keeps
// one panel per mount and redraws every new payload into it in place. Prepended to each
// component's module body (see panel_kit.py).

function mountedPanel(component, rootClass, stateKey, build) {
  // The panel's state: built on the first payload, found again by its root's class after.
  const root = component.parentElement.querySelector(`.${rootClass}`);
  return root ? root[stateKey] : build(component.parentElement);
}

function panelRoot(parent, className, html) {
  // The panel's root element, appended to the component's element, with its markup.
  const root = document.createElement("div");
  root.className = className;
  root.innerHTML = html;
  parent.appendChild(root);
  return root;
}

function tipShower(tip, root, keepInside) {
  // show(text, event) for the panel's tooltip element: hidden without text, else placed
  // 14 px right of and below the pointer; with keepInside, its left edge stays in the
  // panel, leaving room for a 180 px tip on the right.
  return (text, event) => {
    if (!text) {
      tip.hidden = true;
      return;
    }
    tip.textContent = text;
    tip.hidden = false;
    const box = root.getBoundingClientRect();
    const left = event.clientX - box.left + 14;
    tip.style.left = `${keepInside ? Math.max(0, Math.min(left, box.width - 180)) : left}px`;
    tip.style.top = `${event.clientY - box.top + 14}px`;
  };
}
