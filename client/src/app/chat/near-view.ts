/**
 * "Tell me when this element comes within reach of its scroll container": one IntersectionObserver
 * per scroller (the conversation), shared by all its messages, so rendering an off-screen message's
 * markdown waits until the person scrolls toward it.
 */
const REACH = '1500px 0px 1500px 0px';

interface Watch {
  observer: IntersectionObserver;
  callbacks: Map<Element, () => void>;
}

const watches = new WeakMap<Element, Watch>();

function watchFor(root: Element): Watch {
  let watch = watches.get(root);
  if (!watch) {
    const callbacks = new Map<Element, () => void>();
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          observer.unobserve(entry.target);
          const callback = callbacks.get(entry.target);
          callbacks.delete(entry.target);
          callback?.();
        }
      },
      { root, rootMargin: REACH },
    );
    watch = { observer, callbacks };
    watches.set(root, watch);
  }
  return watch;
}

/** Calls `reached` once `element` is near the visible part of `root`; returns a cancel function. */
export function whenNearView(root: Element, element: Element, reached: () => void): () => void {
  const watch = watchFor(root);
  watch.callbacks.set(element, reached);
  watch.observer.observe(element);
  return () => {
    watch.callbacks.delete(element);
    watch.observer.unobserve(element);
  };
}
