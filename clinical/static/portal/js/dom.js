// Building DOM nodes from data. Every server string goes in as a text node (textContent);
// nothing here ever assigns HTML, so a diagnosis name or a chat message cannot become markup.

/**
 * h("li", {class: "item", dataset: {seq: 3}, attrs: {"aria-label": "x"}, on: {click: fn}}, ...children)
 * Children are nodes, strings (text nodes), numbers, or null/false (skipped); arrays are flattened.
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "attrs") setAttrs(node, value);
    else if (key === "on")
      for (const [name, fn] of Object.entries(value)) node.addEventListener(name, fn);
    else if (key === "testid") node.dataset.testid = value;
    else node[key] = value;
  }
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false)
      node.setAttribute(name, String(value));
  }
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}
