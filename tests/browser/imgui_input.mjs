// Keyboard input as Dear ImGui 1.86 sees it: it reads key state once per frame, so a key
// pressed and released between two frames is not seen. Shared by the browser test and the
// studio benchmark.

// Selects all text in the focused field (Ctrl+A), holding the keys over a frame.
// `frames(n)` resolves once the page has drawn n more frames.
export async function selectAll(page, frames) {
  await page.keyboard.down('Control');
  await page.keyboard.down('a');
  await frames(1);
  await page.keyboard.up('a');
  await page.keyboard.up('Control');
  await frames(1);
}
