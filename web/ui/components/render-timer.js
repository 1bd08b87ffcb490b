// The render benchmark's figure, window.__plumbline = {renders, lastRenderMs} (set up by
// app.js): bumped when every panel of a view has drawn after a navigation, with the time
// from that navigation's start to the last panel's draw.

/**
 * A done() callback for `count` panels; once it has been called `count` times (at once for
 * none) the render is counted. A null navStart (an auto refresh) is not counted.
 */
export function renderTimer(count, navStart) {
  let remaining = count;
  const rendered = () => {
    if (navStart === null) return;
    window.__plumbline.renders += 1;
    window.__plumbline.lastRenderMs = performance.now() - navStart;
  };
  if (remaining === 0) rendered();
  return () => {
    remaining -= 1;
    if (remaining === 0) rendered();
  };
}
