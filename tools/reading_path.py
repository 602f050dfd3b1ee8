"""What the reading-path checks measure on a chapter page, as JavaScript run in Chromium.

Shared by ``tests/test_reading_path.py`` (which asserts the limits) and
``tools/preview.py --measure`` (which prints the figures for a writer).
``page.evaluate(MEASURE)`` returns a dict:

- ``code``: visible lines of code (cell sources and literal blocks, not outputs);
- ``asserts``: the visible lines that start with ``assert``;
- ``referenceShown``: visible code that still holds ``### BEGIN/END SOLUTION``;
- ``glued``: numbers glued into the prose (MyST-NB ``{glue:text}``, ``{glue:math}``);
- ``folded``: for every folded (``hide-input``) cell that asserts, its first
  source line and its visible result text;
- ``passes``: visible check outputs that report a pass outside a solution.
"""

MEASURE = r"""() => {
  const main = document.querySelector('main') || document.body;
  const shown = el => el.checkVisibility();
  let code = 0;
  const asserts = [], referenceShown = [];
  for (const pre of main.querySelectorAll('pre')) {
    if (pre.closest('.cell_output, .output') || !shown(pre) || !pre.innerText.trim()) continue;
    const lines = pre.innerText.replace(/\n+$/, '').split('\n');
    code += lines.length;
    for (const line of lines) {
      if (/^\s*assert\b/.test(line)) asserts.push(line.trim());
    }
    if (/###\s*(BEGIN|END) SOLUTION/.test(pre.innerText)) referenceShown.push(lines[0]);
  }
  const glued = main.querySelectorAll('.pasted-text, .pasted-math').length;
  const folded = [];
  for (const cell of main.querySelectorAll('div.cell')) {
    const details = cell.querySelector(':scope > details.hide.above-input');
    const source = cell.querySelector('.cell_input pre');
    if (!details || !source || !/^\s*assert\b/m.test(source.textContent)) continue;
    if (cell.closest('.solution')) continue;  // inside a closed solution dropdown: not on the reading path
    const out = cell.querySelector(':scope > .cell_output');
    folded.push({first: source.textContent.split('\n')[0],
                 result: out && shown(out) ? out.innerText.trim() : ''});
  }
  const passes = [];
  for (const out of main.querySelectorAll('.cell_output')) {
    if (!shown(out) || out.closest('.solution')) continue;
    if (/passed \d+ case/.test(out.innerText)) passes.push(out.innerText.trim().slice(0, 80));
  }
  return {code, asserts, referenceShown, glued, folded, passes};
}"""
